// Laws of the training-batch loader, checked with fast-check over random datasets and options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { LoaderState, ShuffleMode } from '../../src/index.ts';
import { batchIds, tokenRows, tokensOf } from './loader-fixtures.ts';
import { defineTableOp, takeChunk } from '../../src/index.ts';
import { rowRng, rowUint32 } from '../../src/ops/random.ts';

const shuffles: ShuffleMode[] = [false, 'buffer', 'full'];

const arbSetup = fc.record({
  lens: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 0, maxLength: 60 }),
  batchSize: fc.integer({ min: 1, max: 9 }),
  shuffle: fc.constantFrom(...shuffles),
  bufferSize: fc.integer({ min: 1, max: 20 }),
  seed: fc.integer({ min: 0, max: 1000 }),
  epoch: fc.integer({ min: 0, max: 3 }),
  bucket: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  upstreamBatch: fc.integer({ min: 1, max: 17 }),
});
type Setup = typeof arbSetup extends fc.Arbitrary<infer T> ? T : never;

function loaderOpts(s: Setup) {
  return {
    batchSize: s.batchSize, shuffle: s.shuffle, bufferSize: s.bufferSize, seed: s.seed, epoch: s.epoch,
    ...(s.bucket ? { bucketBy: { column: 'tokens' as const, windowBatches: s.bucket } } : {}),
    upstream: { batchSize: s.upstreamBatch, workers: 0 },
  };
}

test('every row appears exactly once per epoch (no dropLast), in full batches but the last', async () => {
  await fc.assert(fc.asyncProperty(arbSetup, async (s) => {
    const got = await batchIds(tokenRows(s.lens).batches(loaderOpts(s)));
    const flat = got.flat();
    assert.deepEqual([...flat].sort((a, b) => a - b), s.lens.map((_, i) => i));
    // Without bucketing only the last batch may be short; with it, one batch per window may be.
    const short = got.filter((b) => b.length < s.batchSize).length;
    if (!s.bucket) assert.ok(got.slice(0, -1).every((b) => b.length === s.batchSize));
    else assert.ok(short <= Math.ceil(s.lens.length / (s.batchSize * s.bucket)));
    assert.ok(got.every((b) => b.length > 0 && b.length <= s.batchSize));
  }), { numRuns: 60 });
});

test('dropLast keeps only full batches and loses fewer than batchSize rows per window', async () => {
  await fc.assert(fc.asyncProperty(arbSetup, async (s) => {
    const got = await batchIds(tokenRows(s.lens).batches({ ...loaderOpts(s), dropLast: true }));
    assert.ok(got.every((b) => b.length === s.batchSize));
    const flat = got.flat();
    assert.equal(new Set(flat).size, flat.length);
    const windows = s.bucket ? Math.ceil(s.lens.length / (s.batchSize * s.bucket)) : 1;
    assert.ok(s.lens.length - flat.length < s.batchSize * Math.max(1, windows));
  }), { numRuns: 40 });
});

test('same seed → same order whatever the upstream batch size', async () => {
  await fc.assert(fc.asyncProperty(arbSetup, fc.integer({ min: 1, max: 17 }), async (s, other) => {
    const a = await batchIds(tokenRows(s.lens).batches(loaderOpts(s)));
    const b = await batchIds(tokenRows(s.lens).batches({ ...loaderOpts(s), upstream: { batchSize: other, workers: 0 } }));
    assert.deepEqual(b, a);
  }), { numRuns: 40 });
});

test('full shuffle: the order depends on the set of rows only, not on the order they arrive in', async () => {
  await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 99 }), async (n, seed) => {
    const lens = Array.from({ length: n }, (_, i) => i % 5);
    const ds = tokenRows(lens);
    // Same rows (same row ids), delivered in reverse order by the upstream.
    const reversed = ds.apply(reverseRows());
    const a = await batchIds(ds.batches({ batchSize: 4, shuffle: 'full', seed }));
    const b = await batchIds(reversed.batches({ batchSize: 4, shuffle: 'full', seed }));
    assert.deepEqual(b, a);
  }), { numRuns: 20 });
});

test('resume from state() at any point ≡ the uninterrupted run (also across epochs and JSON)', async () => {
  await fc.assert(fc.asyncProperty(arbSetup, fc.nat(), fc.integer({ min: 1, max: 3 }), async (s, at, epochs) => {
    const ds = tokenRows(s.lens);
    const opts = { ...loaderOpts(s), epochs, prefetch: at % 3 };
    const full: [number, number, number[]][] = [];
    for await (const b of ds.batches(opts)) full.push([b.epoch, b.index, Array.from(b.rowIds)]);
    const stop = full.length ? at % (full.length + 1) : 0;
    const first = ds.batches(opts);
    const head: [number, number, number[]][] = [];
    let state: LoaderState = first.state();
    if (stop > 0) {
      for await (const b of first) {
        head.push([b.epoch, b.index, Array.from(b.rowIds)]);
        if (head.length === stop) break;
      }
      state = first.state();
    }
    const saved = JSON.parse(JSON.stringify(state)) as LoaderState;
    const tail: [number, number, number[]][] = [];
    for await (const b of ds.batches({ ...opts, resume: saved, prefetch: 1 })) tail.push([b.epoch, b.index, Array.from(b.rowIds)]);
    assert.deepEqual([...head, ...tail], full);
    // Iterating the same loader again continues where the break left it.
    const rest: [number, number, number[]][] = [];
    for await (const b of first) rest.push([b.epoch, b.index, Array.from(b.rowIds)]);
    assert.deepEqual(rest, stop > 0 ? tail : full);
  }), { numRuns: 40 });
});

test('padding never truncates, is minimal, and masks and lengths match the rows', async () => {
  await fc.assert(fc.asyncProperty(arbSetup, fc.integer({ min: 1, max: 5 }), fc.integer({ min: -3, max: 3 }), async (s, multiple, value) => {
    const ds = tokenRows(s.lens);
    for await (const b of ds.batches({ ...loaderOpts(s), padMultiple: multiple, padValue: value })) {
      const c = b.columns.tokens;
      const [B, L] = c.shape as [number, number];
      const data = c.data as Int32Array;
      const lens = Array.from(b.rowIds, (id) => s.lens[id]!);
      assert.equal(B, b.size);
      assert.equal(L, Math.ceil(Math.max(0, ...lens) / multiple) * multiple);
      assert.deepEqual(Array.from(c.lengths!), lens);
      b.rowIds.forEach((id, r) => {
        const row = Array.from(data.subarray(r * L, (r + 1) * L));
        const mask = Array.from(c.mask!.subarray(r * L, (r + 1) * L));
        assert.deepEqual(row.slice(0, lens[r]), tokensOf(id, lens[r]!));
        assert.ok(row.slice(lens[r]).every((x) => x === value));
        assert.deepEqual(mask, row.map((_, k) => (k < lens[r]! ? 1 : 0)));
      });
    }
  }), { numRuns: 40 });
});

test('each epoch reshuffles from (seed, epoch); another seed gives another order', async () => {
  const ds = tokenRows(Array.from({ length: 40 }, (_, i) => i % 3));
  for (const shuffle of ['buffer', 'full'] as const) {
    const e0 = (await batchIds(ds.batches({ batchSize: 8, shuffle, bufferSize: 16, seed: 1, epoch: 0 }))).flat();
    const e1 = (await batchIds(ds.batches({ batchSize: 8, shuffle, bufferSize: 16, seed: 1, epoch: 1 }))).flat();
    const s2 = (await batchIds(ds.batches({ batchSize: 8, shuffle, bufferSize: 16, seed: 2, epoch: 0 }))).flat();
    const again = (await batchIds(ds.batches({ batchSize: 8, shuffle, bufferSize: 16, seed: 1, epoch: 0 }))).flat();
    assert.deepEqual(again, e0);
    assert.notDeepEqual(e1, e0, shuffle);
    assert.notDeepEqual(s2, e0, shuffle);
    // Two epochs in one loader are the two single-epoch loaders back to back.
    const both = (await batchIds(ds.batches({ batchSize: 8, shuffle, bufferSize: 16, seed: 1, epoch: 0, epochs: 2 }))).flat();
    assert.deepEqual(both, [...e0, ...e1]);
  }
});

test('rowUint32 (the full shuffle key) is the first draw of rowRng for the same key', () => {
  fc.assert(fc.property(fc.integer(), fc.integer(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (seed, key, id) => {
    assert.equal(rowUint32(seed, key, id), rowRng(seed, key, id).uint32());
  }), { numRuns: 300 });
});

const reverseDef = defineTableOp<Record<string, never>>({
  name: 'test.loader-reverse-rows',
  module: import.meta.url,
  arity: 1,
  outputs: (_p, [s]) => s!,
  run: ([c]) => takeChunk(c!, Array.from({ length: c!.length }, (_, i) => c!.length - 1 - i)),
});
/** The rows of a dataset, same row ids, delivered in reverse order. */
function reverseRows() {
  return reverseDef.call<ReturnType<typeof tokenRows> extends { schema: infer S } ? NonNullable<S> : never>({});
}
