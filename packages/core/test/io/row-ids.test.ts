// Row ids described, not written out: sources hand out ranges; slices, filters and concatenation
// keep them compact; they are written out (8 bytes per row) only when something reads them, and
// the written-out ids always equal what the same operations on arrays would give.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import fc from 'fast-check';
import * as arrow from 'apache-arrow';
import { buildData, defineTableOp, dt, fromSource, type Schema, type Source, type SourceReadOptions } from '../../src/index.ts';
import type { Chunk, RowIds } from '../../src/exec/chunk.ts';
import { concatChunks, makeChunk, recordBatchChunks, rowIdAt, rowIdRange, rowIdsOf, sliceChunk, takeChunk, takeChunkMask, writeRowIds } from '../../src/exec/chunk.ts';
import { decodeChunk, encodeChunk, PACK_BELOW } from '../../src/exec/pool/transfer.ts';
import { arrowTableSource, shardChunk } from '../../src/io/memory.ts';
import { affine } from '../exec/test-ops.ts';

const table = () => arrow.tableFromArrays({ x: Float64Array.from({ length: 1000 }, (_, i) => i) });
const described = (ids: RowIds) => !(ids instanceof Float64Array);

test('recordBatchChunks: zero-copy chunks whose row ids are described ranges', () => {
  const b = table().batches[0]!;
  const cs = [...recordBatchChunks(b, 5000, 300)];
  assert.deepEqual(cs.map((c) => c.length), [300, 300, 300, 100]);
  assert.ok(cs.every((c) => described(rowIdsOf(c))), 'no row ids written out by the source');
  assert.deepEqual(cs.map((c) => rowIdAt(c, 0)), [5000, 5300, 5600, 5900]);
  assert.deepEqual(cs.flatMap((c) => Array.from(c.rowIds)), Array.from({ length: 1000 }, (_, i) => 5000 + i));
  assert.deepEqual(cs.flatMap((c) => Array.from(c.columns['x']!.values as Float64Array).slice(0, c.length)), Array.from({ length: 1000 }, (_, i) => i));
  // Consecutive ranges concatenate to one range: gathering a source writes no ids.
  const all = concatChunks(cs[0]!.schema, cs);
  assert.deepEqual(rowIdsOf(all), { first: 5000, n: 1000, runs: null });
});

/** One chunk of n rows, ids described as a range from `first` or written out. */
function chunkOf(n: number, first: number, write: boolean): Chunk {
  const x = Float64Array.from({ length: n }, (_, i) => i);
  const ids = write ? writeRowIds(rowIdRange(first, n)) : rowIdRange(first, n);
  return makeChunk({ x: dt.float64() }, { x: buildData(dt.float64(), x) }, ids);
}

type Step = { op: 'slice'; a: number; b: number } | { op: 'mask'; bits: boolean[] } | { op: 'take'; idx: number[] } | { op: 'split-concat'; at: number };

function apply(c: Chunk, s: Step): Chunk {
  const n = c.length;
  switch (s.op) {
    case 'slice': { const a = Math.min(n, s.a % (n + 1)), b = Math.min(n, a + (s.b % (n + 1))); return sliceChunk(c, a, b); }
    case 'mask': { const m = new Uint8Array(n); for (let i = 0; i < n; i++) if (s.bits[i % s.bits.length]) m[i] = 1; return takeChunkMask(c, m); }
    case 'take': return takeChunk(c, n === 0 ? [] : s.idx.map((i) => i % n));
    case 'split-concat': { const at = n === 0 ? 0 : s.at % (n + 1); return concatChunks(c.schema, [sliceChunk(c, 0, at), sliceChunk(c, at, n)]); }
  }
}

test('law: described row ids written out ≡ the same slices, filters, gathers and concatenations of written-out ids', () => {
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ op: fc.constant('slice' as const), a: fc.nat(400), b: fc.nat(400) }),
    // Long runs (a filter keeping most rows: copied run by run) and short ones (gathered).
    fc.record({ op: fc.constant('mask' as const), bits: fc.oneof(fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), fc.array(fc.boolean().map((b) => b || Math.random() < 0.9), { minLength: 64, maxLength: 200 })) }),
    fc.record({ op: fc.constant('take' as const), idx: fc.array(fc.nat(1000), { maxLength: 100 }) }),
    fc.record({ op: fc.constant('split-concat' as const), at: fc.nat(400) }),
  );
  fc.assert(fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 1e9 }), fc.array(step, { maxLength: 5 }), (n, first, steps) => {
    let lazy = chunkOf(n, first, false), eager = chunkOf(n, first, true);
    for (const s of steps) { lazy = apply(lazy, s); eager = apply(eager, s); }
    assert.equal(lazy.length, eager.length);
    for (let i = 0; i < lazy.length; i++) assert.equal(rowIdAt(lazy, i), eager.rowIds[i]);
    assert.deepEqual(Array.from(lazy.rowIds), Array.from(eager.rowIds));
    assert.deepEqual(Array.from(lazy.columns['x']!.values as Float64Array).slice(0, lazy.length), Array.from(eager.columns['x']!.values as Float64Array).slice(0, eager.length));
  }), { numRuns: 300 });
});

test('a filter keeping long runs of a range keeps its ids described; a spread of a chunk still carries them', () => {
  const c = chunkOf(1000, 7, false);
  const m = new Uint8Array(1000).fill(1);
  for (let i = 0; i < 1000; i += 100) m[i] = 0;
  const kept = takeChunkMask(c, m);
  assert.equal(kept.length, 990);
  const ids = rowIdsOf(kept);
  assert.ok(!(ids instanceof Float64Array) && ids.runs !== null, 'kept rows described as runs of the range');
  assert.equal(rowIdAt(kept, 0), 8);
  const spread = { ...kept, schema: kept.schema };
  assert.deepEqual(Array.from(spread.rowIds), Array.from(kept.rowIds));
  assert.equal(spread.rowIds[99], 7 + 101, 'kept position 99 is row 101 (rows 0 and 100 dropped)');
});

test('transfer: a range crosses threads as a description (no id buffer); written-out ids as a buffer', () => {
  const lazy = chunkOf(500, 42, false);
  const e = encodeChunk(lazy, true);
  assert.equal(e.bytes.transferred + e.bytes.copied, 500 * 8, 'only the column buffer moves');
  assert.deepEqual(Array.from(decodeChunk(e.wire).rowIds), Array.from({ length: 500 }, (_, i) => 42 + i));
  const eager = chunkOf(500, 42, true);
  const e2 = encodeChunk(eager, true);
  assert.equal(e2.bytes.transferred + e2.bytes.copied, 500 * 16, 'column and id buffers move');
  assert.deepEqual(Array.from(decodeChunk(e2.wire).rowIds), Array.from({ length: 500 }, (_, i) => 42 + i));
});

test('transfer without hand-over: small buffers are copied into the pack, large whole buffers cloned, large partial views copied; the sender keeps all', async () => {
  const big = PACK_BELOW / 8 + 100; // float64 rows above the pack size
  const cases = [
    { c: chunkOf(300, 0, false), from: 0, packed: true },
    { c: sliceChunk(chunkOf(300, 0, false), 100, 200), from: 100, packed: true },
    { c: chunkOf(big, 0, false), from: 0, packed: false },
    { c: sliceChunk(chunkOf(2 * big, 0, false), big, 2 * big), from: big, packed: false },
  ];
  for (const { c, from, packed } of cases) {
    const e = encodeChunk(c, false);
    assert.equal(e.bytes.copied, c.length * 8);
    assert.equal(e.bytes.transferred, 0);
    const whole = c.columns['x']!.values.byteLength === c.columns['x']!.values.buffer.byteLength;
    // Transferred: the pack (the header at least), and the explicit copy of a large partial view; a large whole buffer is cloned.
    assert.equal(e.transferList.length, packed || whole ? 1 : 2);
    assert.equal(e.transferList[e.transferList.length - 1], e.wire.pack);
    assert.equal(e.wire.pack.byteLength > e.wire.packAt, packed);
    assert.equal(e.wire.header.buffer, e.wire.pack, 'the header travels in the pack');
    const { port1, port2 } = new MessageChannel();
    const got = new Promise<unknown>((r) => port2.once('message', r));
    port1.postMessage(e.wire, e.transferList);
    const back = decodeChunk(await got as Parameters<typeof decodeChunk>[0]);
    port1.close();
    assert.deepEqual(Array.from(back.columns['x']!.values as Float64Array), Array.from({ length: c.length }, (_, i) => from + i));
    assert.equal((c.columns['x']!.values as Float64Array).length, c.length, 'the sender still has its data');
    assert.equal((c.columns['x']!.values as Float64Array)[1], from + 1);
  }
});

const passDef = defineTableOp<Record<string, never>>({
  name: 'test.row-ids-pass',
  module: import.meta.url,
  arity: 1,
  outputs: (_p, [s]) => s!,
  run: ([c]) => { gathered.push(rowIdsOf(c!)); return c!; },
});
const gathered: RowIds[] = [];

test('the executor: a table op gathers one described range; collected is asked only there', async () => {
  const asked: (boolean | undefined)[] = [];
  const spy = (): Source => {
    const inner = arrowTableSource(table());
    return {
      name: 'spy', knownSchema: inner.knownSchema, describe: () => 'spy', resolveSchema: () => inner.resolveSchema(), rowCount: 1000,
      async *read(o: SourceReadOptions) {
        asked.push(o.collected);
        for await (const b of inner.read(o)) yield b;
      },
    };
  };
  const streamed = await fromSource<{ x: ReturnType<typeof dt.float64> }>(spy()).map(affine({ column: 'x', output: 'y', a: 1, b: 0 })).compute({ workers: 0, batchSize: 128 });
  assert.equal(streamed.numRows, 1000);
  const out = await fromSource<Schema>(spy()).apply(passDef.call({})).compute({ workers: 0, batchSize: 128 });
  assert.equal(out.numRows, 1000);
  assert.deepEqual(asked, [undefined, true]);
  assert.deepEqual(gathered, [{ first: 0, n: 1000, runs: null }], 'the table op sees one range: gathering wrote no row ids');
});

test('law: shardChunk of a described range keeps exactly the rows whose id ≡ index (mod count)', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 1e6 }), fc.integer({ min: 1, max: 9 }), fc.nat(8), (n, first, count, index) => {
    const shard = { index: index % count, count };
    const lazy = shardChunk(chunkOf(n, first, false), shard), eager = shardChunk(chunkOf(n, first, true), shard);
    const want = Array.from({ length: n }, (_, i) => first + i).filter((id) => id % count === shard.index);
    assert.deepEqual(Array.from(lazy.rowIds), want);
    assert.deepEqual(Array.from(eager.rowIds), want);
  }), { numRuns: 300 });
});
