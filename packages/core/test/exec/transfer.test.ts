// The wire form of batches (transfer.ts): whatever the dtypes, sizes, slices and null patterns,
// batches that cross a real MessagePort come back with the same values and row ids; small buffers
// travel in the message's pack, large ones on their own; transfer gives away only what the sender
// owns outright.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import fc from 'fast-check';
import { buildData, dt, getValue, type DType, type Schema } from '../../src/index.ts';
import type { Chunk } from '../../src/exec/chunk.ts';
import { makeChunk, rowIdRange, rowIdsOf, sliceChunk, takeChunkMask, writeRowIds } from '../../src/exec/chunk.ts';
import { BatchEncoder, decodeBatches, encodeBatches, PACK_BELOW, type WireBatches } from '../../src/exec/pool/transfer.ts';

const SCHEMA: Schema = {
  f64: dt.float64(), i32: dt.int32(), i64: dt.int64(), s: dt.utf8(), b: dt.bool(),
  l: dt.list(dt.float32()), t: dt.tensor(dt.float32(), [3]), st: dt.struct({ a: dt.int16(), z: dt.utf8() }),
};

function rowValue(i: number, nulls: boolean): Record<string, unknown> {
  const isNull = nulls && i % 7 === 3;
  return {
    f64: isNull ? null : i * 0.5, i32: i - 40, i64: isNull ? null : BigInt(i) * 3n, s: isNull ? null : `r${i}`.repeat(1 + (i % 3)),
    b: isNull ? null : i % 2 === 0, l: isNull ? null : Array.from({ length: i % 4 }, (_, k) => k + i),
    t: Float32Array.from([i, i + 1, i + 2]), st: isNull ? null : { a: i % 100, z: `z${i}` },
  };
}

function batchOf(n: number, first: number, nulls: boolean): Chunk {
  const rows = Array.from({ length: n }, (_, i) => rowValue(first + i, nulls));
  const cols: Record<string, ReturnType<typeof buildData>> = {};
  for (const [k, t] of Object.entries(SCHEMA)) cols[k] = buildData(t as DType, rows.map((r) => r[k]), k);
  return makeChunk(SCHEMA, cols, rowIdRange(first, n));
}

/** Plain data (typed arrays copied out: a transfer detaches the views getValue returns). */
function plain(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<unknown>);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function valuesOf(c: Chunk): unknown[][] {
  return Object.entries(c.schema).map(([k, t]) => Array.from({ length: c.length }, (_, i) => plain(getValue(t, c.columns[k]!, i))));
}

async function roundTrip(chunks: Chunk[], transfer: boolean): Promise<{ back: Chunk[]; wire: WireBatches; transferList: ArrayBuffer[] }> {
  const e = encodeBatches(chunks, transfer);
  const { port1, port2 } = new MessageChannel();
  const got = new Promise<unknown>((r) => port2.once('message', r));
  port1.postMessage(e.wire, e.transferList);
  // A message that never arrives (e.g. shared memory in the transfer list) fails, not hangs.
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('the message never arrived')), 10_000); });
  const wire = await Promise.race([got, late]) as WireBatches;
  clearTimeout(timer);
  port1.close();
  return { back: decodeBatches(wire), wire, transferList: e.transferList };
}

type Shape = { n: number; nulls: boolean; cut: 'none' | 'slice' | 'mask' | 'written'; a: number; b: number };

const shape: fc.Arbitrary<Shape> = fc.record({
  // Up to ~5000 rows: int64 and float64 columns above PACK_BELOW travel on their own.
  n: fc.oneof(fc.integer({ min: 1, max: 60 }), fc.integer({ min: PACK_BELOW / 8 - 5, max: PACK_BELOW / 8 + 900 })),
  nulls: fc.boolean(),
  cut: fc.constantFrom('none', 'slice', 'mask', 'written'),
  a: fc.nat(), b: fc.nat(),
});

function make(s: Shape, first: number): Chunk {
  const c = batchOf(s.n, first, s.nulls);
  if (s.cut === 'slice') { const a = s.a % s.n, b = a + 1 + (s.b % (s.n - a)); return sliceChunk(c, a, b); }
  if (s.cut === 'mask') { const m = new Uint8Array(s.n); for (let i = 0; i < s.n; i++) m[i] = (i * 7 + s.a) % 5 === 0 ? 0 : 1; m[0] = 1; return takeChunkMask(c, m); }
  if (s.cut === 'written') return makeChunk(c.schema, c.columns, writeRowIds(rowIdsOf(c)));
  return c;
}

test('law: batches of every dtype round-trip through a MessagePort unchanged (values, nulls, row ids), copied or transferred', async () => {
  await fc.assert(fc.asyncProperty(fc.array(shape, { minLength: 1, maxLength: 4 }), fc.boolean(), async (shapes, transfer) => {
    const chunks = shapes.map((s, i) => make(s, i * 100_000));
    const expected = chunks.map((c) => ({ values: valuesOf(c), ids: Array.from(c.rowIds), length: c.length }));
    const { back, wire } = await roundTrip(chunks, transfer);
    assert.equal(back.length, chunks.length);
    back.forEach((c, i) => {
      assert.equal(c.length, expected[i]!.length);
      assert.deepEqual(valuesOf(c), expected[i]!.values);
      assert.deepEqual(Array.from(c.rowIds), expected[i]!.ids);
    });
    // Small buffers share one pack; large ones travel on their own (as received).
    for (const v of wire.own) assert.ok(v.byteLength >= PACK_BELOW);
    if (!transfer) chunks.forEach((c, i) => assert.deepEqual(valuesOf(c), expected[i]!.values, 'the sender keeps its batches'));
  }), { numRuns: 40 });
});

test('transfer gives away only large whole buffers; row ids, partial views and small buffers stay with the sender', async () => {
  const n = PACK_BELOW / 8 + 10;
  const whole = batchOf(n, 0, false);
  const part = sliceChunk(batchOf(2 * n, 0, false), n, 2 * n);
  const small = batchOf(20, 7, false);
  const written = makeChunk(SCHEMA, batchOf(n, 0, false).columns, writeRowIds(rowIdRange(5, n)));
  const f64 = (c: Chunk) => c.columns['f64']!.values as Float64Array;
  const { back } = await roundTrip([whole, part, small, written], true);
  assert.equal(f64(whole).byteLength, 0, 'a large whole buffer is handed over');
  assert.equal(f64(part).length, n, 'a partial view is copied');
  assert.equal(f64(small).length, 20, 'a small buffer is copied into the pack');
  assert.equal(written.rowIds.length, n, 'written-out row ids are never given away');
  assert.deepEqual(Array.from(back[3]!.rowIds.subarray(0, 3)), [5, 6, 7]);
  assert.equal(f64(back[1]!)[0], n * 0.5);
  assert.equal(f64(back[2]!)[1], 8 * 0.5);
});

test('a batch that cannot cross threads fails alone: the encoder drops what it had added of it', () => {
  const ok = batchOf(10, 0, true);
  const ok2 = batchOf(30, 50, true);
  const broken: Chunk = { ...ok, columns: { ...ok.columns, s: undefined as never } };
  const enc = new BatchEncoder(false);
  enc.add(ok);
  assert.throws(() => enc.add(broken), /no column 's'/);
  enc.add(ok2);
  const { wire } = enc.finish();
  assert.equal(wire.count, 2);
  const back = decodeBatches(wire);
  assert.deepEqual(valuesOf(back[0]!), valuesOf(ok));
  assert.deepEqual(valuesOf(back[1]!), valuesOf(ok2));
  assert.deepEqual(Array.from(back[1]!.rowIds), Array.from({ length: 30 }, (_, i) => 50 + i));
});

test('columns over shared memory cross as copies (a SharedArrayBuffer is never put in a transfer list)', async () => {
  const n = PACK_BELOW / 8 + 50;
  const sab = new Float64Array(new SharedArrayBuffer(n * 8 * 2));
  for (let i = 0; i < sab.length; i++) sab[i] = i;
  const whole = makeChunk({ x: dt.float64() }, { x: buildData(dt.float64(), sab) }, rowIdRange(0, sab.length));
  const part = makeChunk({ x: dt.float64() }, { x: buildData(dt.float64(), sab.subarray(n, 2 * n)) }, rowIdRange(0, n));
  const small = makeChunk({ x: dt.float64() }, { x: buildData(dt.float64(), sab.subarray(0, 10)) }, rowIdRange(0, 10));
  for (const transfer of [false, true]) {
    const { back, transferList } = await roundTrip([whole, part, small], transfer);
    assert.ok(transferList.every((b) => b instanceof ArrayBuffer));
    assert.equal((back[0]!.columns['x']!.values as Float64Array)[2 * n - 1], 2 * n - 1);
    assert.equal((back[1]!.columns['x']!.values as Float64Array)[0], n);
    assert.equal((back[2]!.columns['x']!.values as Float64Array)[9], 9);
    assert.equal(sab[5], 5, 'the shared memory is untouched');
  }
});
