// Sharding is the engine's guarantee, not only each source's: a source that ignores the shard
// option (a custom one) must not give every shard every row, and write(..., { shard }) must write
// each shard's rows once.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { fromSource, fromRows, readArrow, makeChunk, buildData, dt } from '../../src/index.ts';
import type { Schema, Source, SourceBatch, SourceReadOptions } from '../../src/index.ts';
import { shutdownPools } from '../../src/exec/pool/pool.ts';
import { rowsOf, tempDir } from '../helpers.ts';
import { affine } from './test-ops.ts';

after(() => shutdownPools());

const XS = { x: dt.float64() } as const;

/** Rows 0..n-1 (x = row id) in batches of `rows`, ignoring `o.shard`; every `bad`-th row is a read error. */
class ShardBlindSource implements Source {
  readonly name = 'shard-blind';
  readonly knownSchema = XS;
  constructor(readonly n: number, readonly rows: number, readonly bad: number) {}
  describe(): string { return `${this.n} rows`; }
  async resolveSchema(): Promise<Schema> { return XS; }
  async *read(o: SourceReadOptions): AsyncGenerator<SourceBatch> {
    for (let s = 0; s < this.n; s += this.rows) {
      const ids: number[] = [], errors = [];
      for (let i = s; i < Math.min(this.n, s + this.rows); i++) {
        if (this.bad > 0 && i % this.bad === this.bad - 1) errors.push({ rowId: i, op: 'shard-blind', code: 'MF_PARSE', message: `row ${i} is bad` });
        else ids.push(i);
      }
      const x = Float64Array.from(ids);
      yield { chunk: makeChunk(XS, { x: buildData(dt.float64(), x) }, Float64Array.from(ids)), errors };
      if (o.signal.aborted) return;
    }
  }
}

test('law: shards of a source that ignores the shard option are disjoint and together ≡ the whole run, bad rows counted once', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 90 }),
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 0, max: 7 }),
      fc.integer({ min: 1, max: 4 }),
      fc.constantFrom(0, 2),
      async (n, rows, bad, count, workers) => {
        const ds = fromSource<typeof XS>(new ShardBlindSource(n, rows, bad)).map(affine({ column: 'x', output: 'y', a: 2, b: 1 }));
        const whole = await ds.run({ onError: 'skip', workers: 0 });
        const seen: number[] = [];
        let failed = 0;
        for (let index = 0; index < count; index++) {
          const r = await ds.run({ onError: 'skip', workers, shard: { index, count } });
          const xs = rowsOf(r.table).map((row) => row['x'] as number);
          for (const x of xs) assert.equal(x % count, index, `row ${x} is not in shard ${index} of ${count}`);
          seen.push(...xs);
          failed += r.report.failed;
        }
        assert.deepEqual(seen.sort((a, b) => a - b), rowsOf(whole.table).map((row) => row['x'] as number).sort((a, b) => a - b));
        assert.equal(failed, whole.report.failed);
      },
    ),
    { numRuns: 15 },
  );
});

test('write(..., { shard }): the shard files together hold each row of the whole output exactly once', async () => {
  const dir = tempDir();
  const ds = fromRows(Array.from({ length: 103 }, (_, i) => ({ x: i })), XS).map(affine({ column: 'x', output: 'y', a: 3, b: 0 }));
  const count = 3;
  const xs: number[] = [];
  for (let index = 0; index < count; index++) {
    const path = join(dir, `part-${index}.arrow`);
    const report = await ds.write(path, { format: 'arrow', shard: { index, count }, batchSize: 10, workers: 0 });
    const back = rowsOf(await readArrow(path).compute());
    assert.equal(report.rowsOut, back.length);
    for (const r of back) {
      assert.equal((r['x'] as number) % count, index);
      assert.equal(r['y'], 3 * (r['x'] as number));
      xs.push(r['x'] as number);
    }
  }
  assert.deepEqual(xs.sort((a, b) => a - b), Array.from({ length: 103 }, (_, i) => i));
});
