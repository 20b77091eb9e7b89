import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildData, dt, fromRows } from '@modaflow/core';
import { interpolate } from '../src/index.ts';
import { asofIndices, asofSorted } from '../src/ops/align-asof.ts';
import { keyReaders, lastAtMost } from '../src/util/keys.ts';
import { column } from './helpers.ts';

const BASE = 1403715273262142976n; // ns keys above 2^53, as real timestamps are

function readers(left: bigint[], right: bigint[]) {
  const kr = keyReaders([buildData(dt.timestamp('ns'), BigInt64Array.from(left)), buildData(dt.timestamp('ns'), BigInt64Array.from(right))], [dt.timestamp('ns'), dt.timestamp('ns')]);
  assert.ok(kr);
  return kr;
}

test('law: the galloping as-of on a sorted right side equals asofIndices, any left order, every direction and tolerance', () => {
  fc.assert(fc.property(
    fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 40 }),
    fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 80 }),
    fc.constantFrom('backward', 'forward', 'nearest' as const), fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }), fc.boolean(),
    (l, r, direction, tol, exact) => {
      const right = [...r].sort((a, b) => a - b).map((x) => BASE + BigInt(x));
      const left = l.map((x) => BASE + BigInt(x));
      const kr = readers(left, right);
      assert.equal(kr.sorted[1], true);
      const lk = Float64Array.from(left, (x) => Number(x - (left.length ? left[0]! : right[0] ?? 0n)));
      const rk = Float64Array.from(right, (x) => Number(x - (left.length ? left[0]! : right[0] ?? 0n)));
      const want = asofIndices(lk, rk, null, null, 1, direction, tol ?? Infinity, exact);
      assert.deepEqual(asofSorted(kr.readers[0]!, kr.readers[1]!, direction, tol ?? Infinity, exact), want);
    }), { numRuns: 400 });
});

test('lastAtMost finds the last key <= x (or < x) from any hint', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 50 }), fc.integer({ min: -2, max: 32 }), fc.integer({ min: -1, max: 60 }), fc.boolean(), (ks, x, hint, strict) => {
    const keys = [...ks].sort((a, b) => a - b);
    const kr = keyReaders([buildData(dt.float64(), Float64Array.from(keys))], [dt.float64()])!;
    let want = -1;
    keys.forEach((k, i) => { if (strict ? k < x : k <= x) want = i; });
    assert.equal(lastAtMost(kr.readers[0]!, x, strict, Math.min(hint, keys.length - 1)), want);
  }), { numRuns: 400 });
});

test('key readers refuse what the general path must handle: NaN, nulls, mixed kinds; they report sortedness', () => {
  const f = (v: number[]) => buildData(dt.float64(), Float64Array.from(v));
  assert.equal(keyReaders([f([1, NaN])], [dt.float64()]), null);
  assert.equal(keyReaders([buildData(dt.float64(), [1, null])], [dt.float64()]), null);
  assert.equal(keyReaders([f([1]), buildData(dt.int64(), BigInt64Array.of(1n))], [dt.float64(), dt.int64()]), null);
  assert.deepEqual(keyReaders([f([1, 2, 2]), f([3, 1])], [dt.float64(), dt.float64()])!.sorted, [true, false]);
  // int64 keys more than 2^52 apart cannot be float64 offsets: the general (bigint) path decides.
  assert.equal(keyReaders([buildData(dt.int64(), BigInt64Array.of(0n, 2n ** 60n))], [dt.int64()]), null);
});

test('law: linear interpolation from a sorted source (fast path) equals the general path (the same samples unsorted), with NaN samples and outside null', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 0, maxLength: 30 }),
    fc.array(fc.record({ t: fc.integer({ min: 10, max: 190 }), y: fc.oneof({ weight: 8, arbitrary: fc.double({ min: -100, max: 100, noNaN: true }) }, { weight: 1, arbitrary: fc.constant(NaN) }) }), { minLength: 0, maxLength: 40 }),
    fc.boolean(),
    async (tt, src, outsideNull) => {
      const sorted = [...src].sort((a, b) => a.t - b.t); // stable: equal times keep their order
      const rows = sorted.map((s) => ({ t: BASE + BigInt(s.t), y: s.y }));
      const S = { t: dt.timestamp('ns'), y: dt.float64() };
      const target = fromRows(tt.map((t) => ({ t: BASE + BigInt(t) })), { t: dt.timestamp('ns') });
      const opts = { on: 't' as const, columns: ['y'] as const, ...(outsideNull ? { outside: 'null' as const } : {}) };
      const fast = column(await interpolate(target, fromRows(rows, S), opts).compute({ batchSize: 7 }), 'y');
      // An unsorted copy (a later row moved first, stably re-sorted inside the op) takes the general path.
      const unsorted = rows.length > 1 ? [rows[rows.length - 1]!, ...rows.slice(0, -1)] : rows;
      const general = column(await interpolate(target, fromRows(unsorted, S), opts).compute({ batchSize: 7 }), 'y');
      // Moving the last row first changes the order among equal times when it ties with others
      // (then the two inputs legitimately differ); compare when its time is unique.
      const lastT = rows.length ? rows[rows.length - 1]!.t : null;
      if (rows.filter((r) => r.t === lastT).length <= 1) assert.deepEqual(fast.map(String), general.map(String));
    }), { numRuns: 200 });
});
