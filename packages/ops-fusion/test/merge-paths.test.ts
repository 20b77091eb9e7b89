// The merge paths of alignAsof and interpolate (an ascending left/target side: one pass over the
// right/source keys checks their order and finds every row's match) against the references: the
// general path's asofIndices on exact keys, the op's general path (a `by` with one group), and an
// exact bigint search for interpolation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type * as arrow from 'apache-arrow';
import { buildData, columnValues, dt, fromRows, makeChunk, sliceChunk } from '@modaflow/core';
import type { Chunk, Dataset, DType, Tensor } from '@modaflow/core';
import { alignAsofOp, interpolate, interpolateOp } from '../src/index.ts';
import { asofIndices, asofMerge } from '../src/ops/align-asof.ts';
import { lastAtMostMerge, lastBelowFromLe, mergeKeys } from '../src/util/keys.ts';
import { takeOrNull } from '../src/util/columns.ts';
import { gather64Wasm, interpI64Wasm, lastAtMostI64Wasm } from '../src/util/wasm-merge.ts';
import { linearFromLe } from '../src/ops/interpolate.ts';
import { column } from './helpers.ts';

const I64_MAX = 2n ** 63n - 1n;
const clampI64 = (x: bigint) => (x > I64_MAX ? I64_MAX : x < -(2n ** 63n) ? -(2n ** 63n) : x);
// Bases around the edges of the int64 → ordinal mapping: tiny positive keys (ordinals are
// subnormal doubles), 0 and negatives (refused by mergeKeys), real ns timestamps, 2^62, and the
// top of the range where bit patterns are +Inf (2^63 − 2^52) and NaN (above it).
const BASES = [1n, 0n, -30n, -(2n ** 62n), 2n ** 53n + 7n, 1403715273262142976n, 2n ** 62n, 0x7ff0000000000000n - 30n, I64_MAX - 60n];

const ctx = { signal: new AbortController().signal, seed: 0 };
const ids = (n: number) => Float64Array.from({ length: n }, (_, i) => i);
const i64 = (v: bigint[]) => buildData(dt.int64(), BigInt64Array.from(v));
const f64 = (v: number[]) => buildData(dt.float64(), Float64Array.from(v));

/** Exact keys of both sides for asofIndices (bigint; tolerance as a bigint, -1n = none). */
function reference(left: bigint[], right: bigint[], direction: 'backward' | 'forward' | 'nearest', tol: number | undefined, exact: boolean): number[] {
  return [...asofIndices(BigInt64Array.from(left), BigInt64Array.from(right), null, null, 1, direction, tol === undefined ? -1n : BigInt(tol), exact)];
}

const keysArb = (base: bigint, n: number) => fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: n }).map((xs) => xs.map((x) => clampI64(base + BigInt(x))));

test('law: asofMerge equals asofIndices on exact keys: int64 keys at every edge, duplicates, any direction, tolerance, exact or not; an unsorted right side is refused', () => {
  fc.assert(fc.property(
    fc.constantFrom(...BASES).chain((base) => fc.tuple(keysArb(base, 40), keysArb(base, 80))),
    fc.constantFrom('backward', 'forward', 'nearest' as const), fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }), fc.boolean(), fc.boolean(),
    ([l, r], direction, tol, exact, sortRight) => {
      const left = [...l].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const right = sortRight ? [...r].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) : r;
      const mk = mergeKeys(i64(left), i64(right), dt.int64(), dt.int64());
      if (!mk) { assert.ok(left.length === 0 || right.length === 0); return; }
      const got = asofMerge(mk, direction, tol ?? Infinity, exact);
      const sorted = right.every((x, i) => i === 0 || right[i - 1]! <= x);
      if (!sorted) { assert.equal(got, null); return; }
      assert.deepEqual([...got!], reference(left, right, direction, tol, exact));
      // The JS kernel, where the ordinals apply: the same answers, or a refusal of a right side
      // running into the NaN bit patterns ("not ascending" as doubles).
      if (!mk.ordinalsOk) { assert.ok(left[0]! <= 0n || right[0]! <= 0n || left.at(-1)! > 0x7ff0000000000000n || right[0]! > 0x7ff0000000000000n); return; }
      const le = new Int32Array(left.length);
      if (lastAtMostMerge(mk.lo.v, 0, left.length, mk.ro.v, 0, right.length, le)) {
        assert.deepEqual([...le], reference(left, right, 'backward', undefined, true));
      } else assert.ok(right.at(-1)! > 0x7ff0000000000000n);
    }), { numRuns: 1500 });
});

test('law: asofMerge on float64 keys (negatives, ±0, duplicates) equals asofIndices', () => {
  const val = fc.oneof(fc.integer({ min: -20, max: 20 }).map((x) => x / 4), fc.constantFrom(0, -0, 1e300, -1e300, 5e-324));
  fc.assert(fc.property(fc.array(val, { maxLength: 40 }), fc.array(val, { maxLength: 60 }), fc.constantFrom('backward', 'forward', 'nearest' as const), fc.option(fc.constantFrom(0, 0.25, 1), { nil: undefined }), fc.boolean(),
    (l, r, direction, tol, exact) => {
      const left = [...l].sort((a, b) => a - b), right = [...r].sort((a, b) => a - b);
      const mk = mergeKeys(f64(left), f64(right), dt.float64(), dt.float64());
      if (!mk) { assert.ok(left.length === 0 || right.length === 0); return; }
      const want = asofIndices(Float64Array.from(left), Float64Array.from(right), null, null, 1, direction, tol ?? Infinity, exact);
      assert.deepEqual(asofMerge(mk, direction, tol ?? Infinity, exact), want);
    }), { numRuns: 800 });
});

test('lastAtMostMerge: long sides across many blocks, runs of equal keys across block edges and longer than a block, a late disorder', () => {
  const n = 20_000;
  // The reference: a plain binary search per left key (r ascending).
  const brute = (l: Float64Array, lo: number, m: number, r: Float64Array, ro: number, rn: number, strict: boolean) =>
    Array.from({ length: m }, (_, i) => {
      const x = l[lo + i]!;
      let a = 0, b = rn; // first index whose key is > x (≥ x when strict)
      while (a < b) { const c = (a + b) >> 1; if (strict ? r[ro + c]! < x : r[ro + c]! <= x) a = c + 1; else b = c; }
      return a - 1;
    });
  const shapes: [string, (k: number) => number][] = [
    ['irregular', (k) => 10 + Math.floor(k * 2.5) - (k % 7 === 3 ? 1 : 0)],
    ['runs of 10', (k) => Math.floor(k / 10) * 3],
    ['runs of 3000', (k) => Math.floor(k / 3000) * 3],
  ];
  for (const [name, f] of shapes) {
    const r = Float64Array.from({ length: n }, (_, k) => f(k));
    for (let k = 1; k < n; k++) r[k] = Math.max(r[k]!, r[k - 1]!);
    const top = r[n - 1]! + 2;
    // Left keys: every integer and half-integer from below the first key to above the last.
    const l = Float64Array.from({ length: Math.ceil(top) * 2 + 4 }, (_, i) => i / 2 - 1);
    const out = new Int32Array(l.length);
    assert.equal(lastAtMostMerge(l, 0, l.length, r, 0, n, out), true, name);
    assert.deepEqual([...out], brute(l, 0, l.length, r, 0, n, false), name);
    const mk = mergeKeys(buildData(dt.float64(), l), buildData(dt.float64(), r), dt.float64(), dt.float64())!;
    assert.deepEqual([...lastBelowFromLe(mk.left, mk.right, out)], brute(l, 0, l.length, r, 0, n, true), name);
    // Offsets into the arrays (sliced columns).
    const out2 = new Int32Array(100);
    assert.equal(lastAtMostMerge(l, 50, 100, r, 1000, n - 1000, out2), true, name);
    assert.deepEqual([...out2], brute(l, 50, 100, r, 1000, n - 1000, false), name);
    // A disorder after every left row was answered is still found (the whole right side is read).
    const bad = r.slice();
    bad[n - 2] = bad[n - 1]! + 1;
    assert.equal(lastAtMostMerge(l, 0, 10, bad, 0, n, out), false, name);
    bad[n - 2] = NaN;
    assert.equal(lastAtMostMerge(l, 0, 10, bad, 0, n, out), false, name);
  }
});

function chunk(schema: Record<string, DType>, cols: Record<string, arrow.Data>): Chunk {
  return makeChunk(schema, cols, ids(Object.values(cols)[0]!.length));
}

/** A fixed-width column of a chunk as its raw values (bigints as strings; null for nulls). */
function values(c: Chunk, k: string): unknown[] {
  const d = c.columns[k]!;
  const v = d.values as Float64Array | BigInt64Array;
  return Array.from({ length: d.length }, (_, i) => {
    const j = d.offset + i;
    if (d.nullCount !== 0 && !((d.nullBitmap![j >> 3]! >> (j & 7)) & 1)) return null;
    return typeof v[j] === 'bigint' ? String(v[j]) : v[j];
  });
}

test('law: alignAsof through the merge path gives the columns of the general path (a one-group `by`), timestamps at every edge', async () => {
  await fc.assert(fc.asyncProperty(
    fc.constantFrom(...BASES).chain((base) => fc.tuple(keysArb(base, 30), keysArb(base, 60))),
    fc.constantFrom('backward', 'forward', 'nearest' as const), fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }), fc.boolean(), fc.boolean(),
    async ([l, r], direction, tol, exact, sortRight) => {
      const left = [...l].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      // Distinct right keys when unsorted: the general path sorts stably, which then equals any order.
      const right = sortRight ? [...r].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) : [...new Set(r)];
      const T = dt.timestamp('ns');
      const L = chunk({ t: T, g: dt.int32() }, { t: buildData(T, BigInt64Array.from(left)), g: buildData(dt.int32(), new Int32Array(left.length)) });
      const rid = Float64Array.from(right, (_, i) => (i % 5 === 4 ? NaN : i * 1.5));
      const R = chunk({ t: T, g: dt.int32(), v: dt.float64(), k: dt.int64() }, {
        t: buildData(T, BigInt64Array.from(right)), g: buildData(dt.int32(), new Int32Array(right.length)),
        v: buildData(dt.float64(), rid), k: buildData(dt.int64(), BigInt64Array.from(right, (x, i) => x ^ BigInt(i))),
      });
      const p = { on: 't', direction, allowExactMatches: exact, rightKeyAs: 'rt', ...(tol !== undefined ? { tolerance: tol } : {}) };
      const fast = await alignAsofOp.spec.run([L, R], p, ctx) as Chunk;
      const general = await alignAsofOp.spec.run([L, R], { ...p, by: 'g' }, ctx) as Chunk;
      for (const k of ['v', 'k', 'rt']) assert.deepEqual(values(fast, k), values(general, k), k);
    }), { numRuns: 500 });
});

/** numpy.interp at x of samples (xs ascending, exact bigint keys), the op's arithmetic on exact offsets. */
function interpRef(xs: bigint[], ys: number[], x: bigint, outsideNull: boolean): number | null {
  let j = -1;
  for (let k = 0; k < xs.length; k++) if (xs[k]! <= x) j = k;
  const last = xs.length - 1;
  if (outsideNull && (j < 0 || (j === last && x > xs[last]!))) return null;
  if (j < 0) return ys[0]!;
  if (j === last) return ys[last]!;
  const y0 = ys[j]!, y1 = ys[j + 1]!;
  const slope = (y1 - y0) / Number(xs[j + 1]! - xs[j]!);
  let y = slope * Number(x - xs[j]!) + y0;
  if (Number.isNaN(y)) { y = slope * Number(x - xs[j + 1]!) + y1; if (Number.isNaN(y) && y0 === y1) y = y0; }
  return y;
}

test('law: linear interpolation through the merge path equals an exact-key numpy.interp, the galloping path (target in another order) and the general path (source shuffled)', async () => {
  const yArb = fc.oneof({ weight: 10, arbitrary: fc.double({ min: -1e6, max: 1e6, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(Infinity, -Infinity) });
  await fc.assert(fc.asyncProperty(
    fc.constantFrom(1n, 0n, -(2n ** 40n), 2n ** 53n + 7n, 1403715273262142976n, 2n ** 62n),
    fc.array(fc.integer({ min: -20, max: 220 }), { maxLength: 40 }),
    fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { maxLength: 60 }),
    fc.array(yArb, { minLength: 60, maxLength: 60 }),
    fc.boolean(), fc.integer({ min: 0, max: 2 ** 31 }),
    async (base, tt, st, ys, outsideNull, seed) => {
      const tgt = [...tt].sort((a, b) => a - b).map((x) => base + BigInt(x));
      const src = [...st].sort((a, b) => a - b).map((x) => base + BigInt(x));
      const y = ys.slice(0, src.length);
      const T = dt.timestamp('ns');
      const target = (t: bigint[]) => chunk({ t: T }, { t: buildData(T, BigInt64Array.from(t)) });
      const source = (order: number[]) => chunk({ t: T, y: dt.float64() }, {
        t: buildData(T, BigInt64Array.from(order, (i) => src[i]!)), y: buildData(dt.float64(), Float64Array.from(order, (i) => y[i]!)),
      });
      const p = { on: 't', columns: ['y'], ...(outsideNull ? { outside: 'null' as const } : {}) };
      const id = src.map((_, i) => i);
      const fast = values(await interpolateOp.spec.run([target(tgt), source(id)], p, ctx) as Chunk, 'y');
      const want = tgt.map((x) => (src.length ? interpRef(src, y, x, outsideNull) : null));
      assert.deepEqual(fast.map(String), want.map(String));
      // The target reversed: the galloping path (the same values, reversed).
      const rev = values(await interpolateOp.spec.run([target([...tgt].reverse()), source(id)], p, ctx) as Chunk, 'y');
      assert.deepEqual(rev.reverse().map(String), fast.map(String));
      // The source shuffled (distinct times): the general path, which sorts it.
      let s = seed;
      const shuffled = [...id];
      for (let i = shuffled.length - 1; i > 0; i--) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; const j = s % (i + 1); [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]; }
      const gen = values(await interpolateOp.spec.run([target(tgt), source(shuffled)], p, ctx) as Chunk, 'y');
      assert.deepEqual(gen.map(String), fast.map(String));
    }), { numRuns: 400 });
});

test('mergeKeys applies to ascending int64 (ordinals when positive) and float64 keys within 2^52 of each other, and refuses the rest', () => {
  const t = (v: bigint[]) => i64(v);
  const I = dt.int64();
  assert.equal(mergeKeys(t([1n, 2n]), t([1n, 1n, 3n]), I, I)?.ordinalsOk, true);
  assert.equal(mergeKeys(t([2n ** 62n]), t([2n ** 62n + 5n]), I, I)?.ordinalsOk, true);
  // Keys the ordinals cannot order: the WebAssembly kernels only (exact int64 compares).
  assert.equal(mergeKeys(t([0n, 2n]), t([1n]), I, I)?.ordinalsOk, false, 'a zero key');
  assert.equal(mergeKeys(t([1n]), t([-1n, 3n]), I, I)?.ordinalsOk, false, 'a negative key');
  assert.equal(mergeKeys(t([I64_MAX - 1n, I64_MAX]), t([I64_MAX]), I, I)?.ordinalsOk, false, 'NaN bit patterns on the left');
  assert.equal(mergeKeys(t([-5n, -6n]), t([1n]), I, I), null, 'an unsorted left side (exact check)');
  assert.equal(mergeKeys(t([3n, 2n]), t([1n]), I, I), null, 'an unsorted left side');
  assert.equal(mergeKeys(t([1n]), t([1n, 2n ** 53n]), I, I), null, 'offsets of 2^52 or more');
  assert.equal(mergeKeys(t([]), t([1n]), I, I), null, 'an empty side');
  assert.equal(mergeKeys(buildData(I, [1n, null]), t([1n]), I, I), null, 'a null key');
  assert.equal(mergeKeys(f64([1, NaN]), f64([1]), dt.float64(), dt.float64()), null, 'NaN');
  assert.equal(mergeKeys(f64([1, Infinity]), f64([1]), dt.float64(), dt.float64()), null, 'an infinite key');
  assert.equal(mergeKeys(f64([1]), t([1n]), dt.float64(), I), null, 'mixed kinds');
  assert.ok(mergeKeys(f64([-3, -0, 0, 2]), f64([-1e300, 1e300]), dt.float64(), dt.float64()));
});

test('takeOrNull of a column without nulls: every fixed-width kind, unmatched rows null, bits copied as they are (NaN payloads too)', () => {
  const kinds: [DType, (i: number) => unknown][] = [
    [dt.int8(), (i) => (i % 250) - 125], [dt.uint16(), (i) => i * 7], [dt.int32(), (i) => 5 - i * 1000003],
    [dt.float32(), (i) => i / 3], [dt.float64(), (i) => i * 1.25], [dt.int64(), (i) => -(2n ** 62n) + BigInt(i)],
    [dt.timestamp('ns'), (i) => 1403715273262142976n + BigInt(i)],
  ];
  const idx = Int32Array.from({ length: 500 }, (_, i) => (i % 9 === 4 ? -1 : (i * 37) % 300));
  for (const [t, f] of kinds) {
    const d = buildData(t, Array.from({ length: 300 }, (_, i) => f(i)));
    const sliced = d.slice(20, 280);
    for (const [data, shift] of [[d, 0], [sliced, 20]] as const) {
      const ix = idx.map((j) => (j < 0 || j + shift >= 300 - (shift ? 20 : 0) ? -1 : j));
      const out = takeOrNull(t, data, ix);
      const got = values({ schema: { x: t }, columns: { x: out }, length: out.length, rowIds: ids(out.length) } as Chunk, 'x');
      assert.deepEqual(got, Array.from(ix, (j) => (j < 0 ? null : (v => (typeof v === 'bigint' ? String(v) : t.kind === 'float32' ? Math.fround(v as number) : v))(f(j + shift)))), `${t.kind} shift ${shift}`);
    }
  }
  // A float64 NaN with a payload keeps its bits.
  const raw = new Float64Array(2);
  new Uint32Array(raw.buffer).set([0x12345, 0x7ff80001, 0, 0x3ff00000]);
  const out = takeOrNull(dt.float64(), buildData(dt.float64(), raw), Int32Array.of(1, 0, -1));
  assert.deepEqual([...new Uint32Array((out.values as Float64Array).buffer, 0, 4)], [0, 0x3ff00000, 0x12345, 0x7ff80001]);
  assert.equal(out.nullCount, 1);
});

test('sliced inputs (Arrow slices: value buffers sliced, offset kept for the bitmap) give what the same rows unsliced give, on every path', async () => {
  const T = dt.timestamp('ns');
  const n = 50, m = 12;
  const st = Array.from({ length: n }, (_, i) => 1403715273262142976n + BigInt(i * 10 + (i % 3)));
  const tt = Array.from({ length: m }, (_, i) => 1403715273262142976n + BigInt(i * 37 + 5));
  const right = (keys: bigint[], ys: number[]) => chunk({ t: T, y: dt.float64(), g: dt.int32() }, {
    t: buildData(T, BigInt64Array.from(keys)), y: buildData(dt.float64(), Float64Array.from(ys)), g: buildData(dt.int32(), new Int32Array(keys.length)),
  });
  const left = (keys: bigint[]) => chunk({ t: T, g: dt.int32() }, { t: buildData(T, BigInt64Array.from(keys)), g: buildData(dt.int32(), new Int32Array(keys.length)) });
  const ys = st.map((_, i) => Math.sin(i));
  const slice = (c: Chunk, a: number, b: number) => sliceChunk(c, a, b);
  const cases: [string, bigint[], number[]][] = [['sorted', st, ys], ['shuffled', st.map((_, i) => st[(i * 7) % n]!), ys.map((_, i) => ys[(i * 7) % n]!)]];
  for (const [name, keys, y] of cases) {
    for (const tgt of [tt, [...tt].reverse()]) {
      const Ls = slice(left([1n, ...tgt, 1n]), 1, m + 1), Rs = slice(right([5n, 6n, ...keys, 1n], [0, 0, ...y, 0]), 2, n + 2);
      assert.equal(Rs.columns['t']!.offset, 2);
      const L = left(tgt), R = right(keys, y);
      for (const p of [{ on: 't' }, { on: 't', by: 'g' }, { on: 't', direction: 'nearest' as const, tolerance: 4 }]) {
        const a = await alignAsofOp.spec.run([Ls, Rs], p, ctx) as Chunk, b = await alignAsofOp.spec.run([L, R], p, ctx) as Chunk;
        assert.deepEqual(values(a, 'y'), values(b, 'y'), `${name} ${JSON.stringify(p)}`);
      }
      const q = { on: 't', columns: ['y'] };
      const a = await interpolateOp.spec.run([Ls, Rs], q, ctx) as Chunk, b = await interpolateOp.spec.run([L, R], q, ctx) as Chunk;
      assert.deepEqual(values(a, 'y'), values(b, 'y'), `${name} interpolate`);
    }
  }
});

test('the WebAssembly kernels equal the JS ones over many chunks: runs of equal keys across chunk edges, negative and huge int64 keys, NaN samples, unsorted tails', () => {
  const n = 300_000;
  const shapes: [string, (k: number) => bigint][] = [
    ['timestamps', (k) => 1403715273262142976n + BigInt(Math.floor(k * 997.3))],
    ['runs of 7 across edges', (k) => 5n + BigInt(Math.floor(k / 7) * 3)],
    ['runs longer than a chunk', (k) => 2n ** 62n + BigInt(Math.floor(k / 100_000) * 3)],
    ['negative keys', (k) => -(2n ** 40n) + BigInt(k * 5)],
  ];
  for (const [name, f] of shapes) {
    const s = BigInt64Array.from({ length: n }, (_, k) => f(k));
    const lo = s[0]! - 3n, hi = s[n - 1]! + 3n;
    // Left keys: ascending, hitting keys exactly and falling between them, below and above the ends.
    const t = BigInt64Array.from({ length: 20_011 }, (_, i) => lo + ((hi - lo) * BigInt(i)) / 20_010n + BigInt(i % 3 === 0 ? 0 : 1));
    t.sort();
    const want = new Int32Array(t.length);
    { let j = -1; for (let i = 0; i < t.length; i++) { while (j + 1 < n && s[j + 1]! <= t[i]!) j++; want[i] = j; } }
    const got = new Int32Array(t.length);
    assert.equal(lastAtMostI64Wasm(t, s, got), true, name);
    assert.deepEqual(got, want, name);
    // Interpolation: the WebAssembly pass equals linearFromLe on the same answers (offsets exact).
    const y = Float64Array.from({ length: n }, (_, k) => Math.sin(k / 50) * 1e3 + (k % 11));
    const mk = mergeKeys(buildData(dt.int64(), t), buildData(dt.int64(), s), dt.int64(), dt.int64());
    if (mk) {
      const out = new Float64Array(t.length);
      assert.equal(interpI64Wasm(t, s, y, out), 1, name);
      assert.deepEqual(out, linearFromLe(mk, want, y, false)!.values, name);
      const yn = y.slice();
      yn[want[5000]! + 1] = NaN; // a NaN sample on some target's segment
      assert.equal(interpI64Wasm(t, s, yn, out), 2, name);
    }
    // An unsorted tail, after every left row is answered, is still found.
    const bad = s.slice();
    bad[n - 1] = bad[n - 2]! - 1n;
    assert.equal(lastAtMostI64Wasm(t.subarray(0, 10), bad, got), false, name);
    assert.equal(interpI64Wasm(t.subarray(0, 10), bad, y, new Float64Array(10)), 0, name);
    // ... and one inside the first chunk, at an odd position (the SIMD pairs overlap).
    const bad2 = s.slice();
    bad2[1001] = bad2[1000]! - 1n;
    assert.equal(lastAtMostI64Wasm(t, bad2, got), false, name);
  }
});

test('the WebAssembly merge at the ends of int64: keys and left rows at INT64_MIN and INT64_MAX', () => {
  const MIN = -(2n ** 63n);
  const s = BigInt64Array.of(MIN, MIN, -1n, 0n, 0n, 1n, I64_MAX - 1n, I64_MAX, I64_MAX);
  const t = BigInt64Array.of(MIN, MIN + 1n, -2n, -1n, 0n, 2n, I64_MAX - 1n, I64_MAX);
  const out = new Int32Array(t.length);
  assert.equal(lastAtMostI64Wasm(t, s, out), true);
  assert.deepEqual([...out], [1, 1, 1, 2, 4, 5, 6, 8]);
  assert.equal(lastAtMostI64Wasm(BigInt64Array.of(MIN - 0n), BigInt64Array.of(0n), out.subarray(0, 1)), true);
  assert.equal(out[0], -1);
});

test('gather64Wasm: rows at non-decreasing indices across chunks, -1 as 0, bits as they are; refuses a decreasing index', () => {
  const n = 200_000;
  const v = BigInt64Array.from({ length: n }, (_, k) => (k % 3 === 0 ? -1n : BigInt(k) * 0x100000001n));
  const idx = Int32Array.from({ length: 9000 }, (_, i) => (i < 5 || i % 97 === 0 || i > 8990 ? -1 : Math.floor(i * 22.2)));
  const out = new BigInt64Array(idx.length).fill(7n);
  assert.equal(gather64Wasm(v, idx, out), true);
  assert.deepEqual([...out], Array.from(idx, (j) => (j < 0 ? 0n : v[j]!)));
  const f = new Float64Array(v.buffer);
  const fo = new Float64Array(idx.length);
  assert.equal(gather64Wasm(f, idx, fo), true);
  assert.deepEqual([...new BigInt64Array(fo.buffer)], [...out]);
  assert.equal(gather64Wasm(v, Int32Array.of(5, 100_000, 3), new BigInt64Array(3)), false);
  // Through takeOrNull (a timestamp column, unmatched rows null).
  const d = takeOrNull(dt.timestamp('ns'), buildData(dt.timestamp('ns'), v), idx);
  assert.equal(d.nullCount, idx.filter((j) => j < 0).length);
  assert.deepEqual([...(d.values as BigInt64Array)], [...out]);
});

test('law: sliced tensor and nullable columns (Arrow slices: the fixed-size list child sliced with its parent, offset kept for the bitmap) give what the same rows unsliced give: interpolate (every method) and alignAsof', async () => {
  const T = dt.timestamp('ms'), V2 = dt.tensor(dt.float32(), [2]);
  const S = { t: T, v: V2, a: dt.float64(), g: dt.int32() };
  type Row = { t: bigint; v: Tensor | null; a: number | null; g: number };
  const num = fc.oneof(fc.constant(NaN), fc.integer({ min: -1000, max: 1000 }).map((x) => x / 8));
  const rowArb = fc.record({
    t: fc.integer({ min: 0, max: 200 }).map(BigInt),
    v: fc.option(fc.tuple(num, num).map(([x, y]) => ({ data: Float32Array.of(x, y), shape: [2] })), { nil: null, freq: 4 }),
    a: fc.option(num, { nil: null, freq: 4 }),
    g: fc.integer({ min: 0, max: 1 }),
  });
  const cols = (rows: readonly Row[]): Record<string, arrow.Data> => ({
    t: buildData(T, rows.map((r) => r.t)), v: buildData(V2, rows.map((r) => r.v)), a: buildData(dt.float64(), rows.map((r) => r.a)), g: buildData(dt.int32(), rows.map((r) => r.g)),
  });
  const plain = (xs: unknown[]) => xs.map((x) => (x && typeof x === 'object' && 'data' in x ? Array.from((x as Tensor).data as Float32Array) : x));
  const asRows = (c: Chunk, names: readonly string[]) => names.map((k) => plain(columnValues(c.schema[k]!, c.columns[k]!)));
  await fc.assert(fc.asyncProperty(
    fc.array(rowArb, { minLength: 1, maxLength: 25 }), fc.array(rowArb, { maxLength: 6 }), fc.array(rowArb, { maxLength: 6 }),
    fc.array(fc.integer({ min: -20, max: 220 }), { minLength: 1, maxLength: 15 }), fc.integer({ min: 0, max: 9 }), fc.boolean(),
    fc.constantFrom('linear', 'previous', 'nearest' as const), fc.constantFrom('clamp', 'null' as const),
    fc.constantFrom('backward', 'forward', 'nearest' as const), fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }), fc.boolean(),
    async (src, before, after, tk, tpad, sortTarget, method, outside, direction, tolerance, byGroup) => {
      const tgt = (sortTarget ? [...tk].sort((x, y) => x - y) : tk).map((t, i) => ({ t: BigInt(t), g: i % 2 }));
      const tcols = (rows: readonly { t: bigint; g: number }[]) => ({ t: buildData(T, rows.map((r) => r.t)), g: buildData(dt.int32(), rows.map((r) => r.g)) });
      const padded = [...before, ...src, ...after];
      const Rs = sliceChunk(chunk(S, cols(padded)), before.length, before.length + src.length);
      const tpadded = [...Array.from({ length: tpad }, () => ({ t: 7n, g: 0 })), ...tgt];
      const Ls = sliceChunk(chunk({ t: T, g: dt.int32() }, tcols(tpadded)), tpad, tpad + tgt.length);
      const R = chunk(S, cols(src)), L = chunk({ t: T, g: dt.int32() }, tcols(tgt));
      const what = `${method} ${outside} ${direction} ${tolerance} ${byGroup}`;
      const q = { on: 't', columns: ['v', 'a'], method, outside };
      const [a, b] = await Promise.all([interpolateOp.spec.run([Ls, Rs], q, ctx), interpolateOp.spec.run([L, R], q, ctx)]) as Chunk[];
      assert.deepEqual(asRows(a!, ['v', 'a']), asRows(b!, ['v', 'a']), `interpolate ${what}`);
      const p = { on: 't', direction, ...(tolerance === undefined ? {} : { tolerance }), ...(byGroup ? { by: 'g' } : {}) };
      const [c, d] = await Promise.all([alignAsofOp.spec.run([Ls, Rs], p, ctx), alignAsofOp.spec.run([L, R], p, ctx)]) as Chunk[];
      assert.deepEqual(asRows(c!, ['v', 'a']), asRows(d!, ['v', 'a']), `alignAsof ${what}`);
      // End to end: a limit with an offset hands the op a slice of the source's one batch.
      const e2e = async (source: Dataset<typeof S>) => {
        const out = await interpolate(fromRows(tgt.map((r) => ({ t: r.t })), { t: T }), source, { on: 't', columns: ['v', 'a'], method, outside }).compute({ batchSize: 4096 });
        return ['v', 'a'].map((k) => plain(column(out, k)));
      };
      assert.deepEqual(await e2e(fromRows(padded, S).limit(src.length, before.length)), await e2e(fromRows(src, S)), `end to end ${what}`);
    }), { numRuns: 60 });
});
