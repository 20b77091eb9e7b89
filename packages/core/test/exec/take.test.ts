// takeChunkMask (a filter's kept rows from its 0/1 mask; run-by-run copies for fixed-width
// columns without nulls) gives exactly what takeChunk over the kept indices gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildData, columnValues, concatChunks, dt, makeChunk, sliceChunk, takeChunk } from '../../src/index.ts';
import type { DType, Schema } from '../../src/index.ts';
import { scanMask, takeChunkMask } from '../../src/exec/chunk.ts';

const kinds: Record<string, DType> = {
  f32: dt.float32(), f64: dt.float64(), i64: dt.int64(), ts: dt.timestamp('ms'), u8: dt.uint8(),
  tensor: dt.tensor(dt.float32(), [2]), s: dt.utf8(),
};

function value(t: DType, i: number): unknown {
  switch (t.kind) {
    case 'int64': case 'timestamp': return BigInt(i * 3 - 7);
    case 'uint8': return i % 251;
    case 'tensor': return { data: Float32Array.of(i, -i / 2), shape: [2] };
    case 'utf8': return `r${i}`;
    default: return i * 0.25 - 3;
  }
}

// A mask made of runs: long kept runs with short gaps (a filter keeping most rows) or alternation.
const maskArb = fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 90 })), { minLength: 1, maxLength: 30 })
  .map((runs) => Uint8Array.from(runs.flatMap(([keep, len]) => Array<number>(len).fill(keep ? 1 : 0))));

test('law: takeChunkMask ≡ takeChunk over the kept indices (fixed-width, tensors, strings, nulls, sliced inputs)', () => {
  fc.assert(fc.property(
    fc.subarray(Object.keys(kinds), { minLength: 1 }), maskArb, fc.boolean(), fc.integer({ min: 0, max: 40 }),
    (cols, mask, withNulls, offset) => {
      const n = mask.length + offset;
      const schema: Schema = Object.fromEntries(cols.map((k) => [k, kinds[k]!]));
      const data = Object.fromEntries(cols.map((k, c) => [k, buildData(kinds[k]!, Array.from({ length: n }, (_, i) => (withNulls && c === 0 && i % 7 === 3 ? null : value(kinds[k]!, i))), k)]));
      const whole = makeChunk(schema, data, Float64Array.from({ length: n }, (_, i) => 1000 + i));
      const c = offset ? sliceChunk(whole, offset, n) : whole;
      let kept = 0;
      for (const m of mask) kept += m;
      const idx = Uint32Array.from([...mask.keys()].filter((i) => mask[i]));
      const got = takeChunkMask(c, mask), want = takeChunk(c, idx);
      assert.equal(got.length, kept);
      assert.deepEqual(Array.from(got.rowIds), Array.from(want.rowIds));
      for (const k of cols) assert.deepEqual(columnValues(kinds[k]!, got.columns[k]!), columnValues(kinds[k]!, want.columns[k]!), k);
    },
  ), { numRuns: 300 });
});

test('law: takeChunk of strings, bytes and booleans gives the values at the indices (any order, repeats, nulls, long and multi-byte values, sliced inputs)', () => {
  const str = fc.oneof(fc.string({ maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 50 }), fc.constant(''), fc.constant(null));
  fc.assert(fc.property(
    fc.array(fc.tuple(str, fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }), fc.option(fc.boolean(), { nil: null })), { minLength: 1, maxLength: 60 }),
    fc.integer({ min: 0, max: 10 }), fc.array(fc.nat(), { maxLength: 80 }),
    (rows, offset, picks) => {
      const schema: Schema = { s: dt.utf8(), b: dt.binary(), f: dt.bool() };
      const whole = makeChunk(schema, { s: buildData(dt.utf8(), rows.map((r) => r[0])), b: buildData(dt.binary(), rows.map((r) => r[1])), f: buildData(dt.bool(), rows.map((r) => r[2])) }, Float64Array.from(rows, (_, i) => i));
      const off = Math.min(offset, rows.length - 1);
      const c = off ? sliceChunk(whole, off, rows.length) : whole;
      const idx = Uint32Array.from(picks, (p) => p % c.length);
      const got = takeChunk(c, idx);
      const s = columnValues(dt.utf8(), c.columns['s']!), b = columnValues(dt.binary(), c.columns['b']!);
      assert.deepEqual(columnValues(dt.utf8(), got.columns['s']!), Array.from(idx, (i) => s[i]));
      assert.deepEqual(columnValues(dt.binary(), got.columns['b']!), Array.from(idx, (i) => b[i]));
      const f = columnValues(dt.bool(), c.columns['f']!);
      assert.deepEqual(columnValues(dt.bool(), got.columns['f']!), Array.from(idx, (i) => f[i]));
    },
  ), { numRuns: 300 });
});

test('law: scanMask counts the kept rows and gives exactly their runs, for any byte offset and any non-zero byte', () => {
  fc.assert(fc.property(maskArb, fc.integer({ min: 0, max: 7 }), fc.boolean(), (bits, at, odd) => {
    // The mask at an unaligned offset of a larger buffer, with non-1 "kept" bytes now and then.
    const buf = new Uint8Array(bits.length + 16);
    const mask = buf.subarray(at, at + bits.length);
    for (let i = 0; i < bits.length; i++) mask[i] = bits[i]! ? (odd && i % 5 === 0 ? 7 : 1) : 0;
    buf.fill(1, 0, at); buf.fill(1, at + bits.length); // bytes around the view must not count
    const { kept, runs } = scanMask(mask);
    const want: number[] = [];
    for (let i = 0; i < mask.length; i++) if (mask[i]) want.push(i);
    assert.equal(kept, want.length);
    let count = 0;
    for (let i = 0; i < mask.length; i++) if (mask[i] && (i === 0 || !mask[i - 1])) count++;
    assert.equal(runs !== null, kept >= 64 && count <= kept >> 4, 'runs only when they average 16+ rows');
    if (runs) {
      const got: number[] = [];
      for (let r = 0; r < runs.length; r += 3) {
        assert.equal(runs[r], got.length, 'dst is the running count');
        for (let k = 0; k < runs[r + 2]!; k++) got.push(runs[r + 1]! + k);
      }
      assert.deepEqual(got, want);
    }
  }), { numRuns: 500 });
});

test('law: concatChunks of consecutive slices of one nullable column gives its values back (without a copy of the values)', () => {
  fc.assert(fc.property(
    fc.array(fc.option(fc.double({ noNaN: true }), { nil: null }), { minLength: 1, maxLength: 300 }), fc.array(fc.nat(300), { maxLength: 6 }), fc.nat(20),
    (vals, cuts, from) => {
      const all = makeChunk({ x: dt.float64() }, { x: buildData(dt.float64(), [...Array<number>(from).fill(1), ...vals]) }, Float64Array.from({ length: from + vals.length }, (_, i) => i));
      const c = sliceChunk(all, from, all.length); // the column itself starts at an offset
      const at = [...new Set([0, ...cuts.map((k) => k % (c.length + 1)), c.length])].sort((a, b) => a - b);
      const parts = at.slice(1).map((e, i) => sliceChunk(c, at[i]!, e));
      const got = concatChunks(c.schema, parts);
      assert.deepEqual(columnValues(dt.float64(), got.columns['x']!), vals);
      assert.deepEqual(Array.from(got.rowIds), Array.from({ length: vals.length }, (_, i) => from + i));
      if (parts.length > 1) assert.equal((got.columns['x']!.values as Float64Array).buffer, (all.columns['x']!.values as Float64Array).buffer, 'values not copied');
    },
  ), { numRuns: 300 });
});

test('scanMask: a word of zeros but for one 0x80 byte (−0 as a float64) is a kept row, not a dropped word', () => {
  const mask = new Uint8Array(4096).fill(1);
  mask.fill(0, 8, 16); mask[15] = 0x80; // bytes 8..15: −0 read as a float64
  mask.fill(0, 24, 32);                 // bytes 24..31: +0
  const { kept, runs } = scanMask(mask);
  assert.equal(kept, 4096 - 7 - 8);
  assert.deepEqual(Array.from(runs!), [0, 0, 8, 8, 15, 9, 17, 32, 4064]);
});
