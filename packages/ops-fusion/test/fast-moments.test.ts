import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dt, fromRows } from '@modaflow/core';
import { zscoreFilter } from '../src/index.ts';
import { addExact, exactSum, roundExact, centeredSumTimesN } from '../src/util/exact-sum.ts';
import { addMomentsF32, keptIntervalF32, zscoreKeeps } from '../src/util/fast-moments.ts';
import { addMomentsF32Wasm, keepRunsF32Wasm } from '../src/util/wasm-moments.ts';
import { column } from './helpers.ts';

/** The per-value reference: Shewchuk partials of x and x² (exact for float32 x). */
function reference(xs: Float32Array): { n: number; sum: number; sumSq: number; var: number } {
  const s = exactSum(), q = exactSum();
  let n = 0;
  for (const x of xs) {
    if (!Number.isFinite(x)) continue;
    n++;
    addExact(s, x);
    addExact(q, x * x);
  }
  // + 0: a sum of −0 alone is −0 here and +0 on the blocked path; no z-score can tell them apart.
  return { n, sum: roundExact(s) + 0, sumSq: roundExact(q), var: centeredSumTimesN(n, s, q) };
}

function fast(xs: Float32Array, cuts: number[]): { n: number; sum: number; sumSq: number; var: number } {
  const s = exactSum(), q = exactSum();
  let n = 0, at = 0;
  for (const c of [...cuts, xs.length]) { n += addMomentsF32(xs, at, Math.max(at, c), s, q); at = Math.max(at, c); }
  return { n, sum: roundExact(s) + 0, sumSq: roundExact(q), var: centeredSumTimesN(n, s, q) };
}

function wasm(xs: Float32Array, cuts: number[]): { n: number; sum: number; sumSq: number; var: number } {
  const s = exactSum(), q = exactSum();
  let n = 0, at = 0;
  for (const c of [...cuts, xs.length]) { n += addMomentsF32Wasm(xs.subarray(at, Math.max(at, c)), s, q); at = Math.max(at, c); }
  return { n, sum: roundExact(s) + 0, sumSq: roundExact(q), var: centeredSumTimesN(n, s, q) };
}

// float32 values spread over many binades, with zeros, subnormals, huge values, NaN and ±Infinity.
const f32 = fc.oneof(
  { weight: 6, arbitrary: fc.float({ noDefaultInfinity: true, noNaN: true }) },
  { weight: 6, arbitrary: fc.float({ min: -100, max: 100, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1.401298464324817e-45, 3.4028234663852886e38, -3.4028234663852886e38) },
  { weight: 2, arbitrary: fc.integer({ min: -1e6, max: 1e6 }).map((i) => Math.fround(i * 2 ** -30)) },
);

test('law: the blocked float32 moments equal the per-value exact sums, wherever the batches are cut', () => {
  fc.assert(fc.property(fc.array(f32, { maxLength: 1500 }), fc.array(fc.nat(1500), { maxLength: 4 }), (vals, cuts) => {
    const xs = Float32Array.from(vals);
    const want = reference(xs);
    const got = fast(xs, cuts.sort((a, b) => a - b));
    assert.deepEqual(got, want);
    assert.deepEqual(wasm(xs, cuts), want);
  }), { numRuns: 300 });
});

test('law: the wasm moments over several whole 4096-value blocks equal the per-value exact sums', () => {
  fc.assert(fc.property(fc.array(f32, { minLength: 4097, maxLength: 9000 }), fc.nat(9000), (vals, cut) => {
    const xs = Float32Array.from(vals);
    assert.deepEqual(wasm(xs, [cut]), reference(xs));
  }), { numRuns: 25 });
});

test('blocked moments: large blocks of one magnitude with a few tiny values (the grid path and the fallback)', () => {
  let s = 3;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (const scale of [1e-30, 1, 10, 3e5, 1e30]) {
    const xs = Float32Array.from({ length: 5000 }, (_, i) => (i % 997 === 0 ? rnd() * 1e-12 : (rnd() - 0.3) * scale));
    assert.deepEqual(fast(xs, [1, 700, 4099]), reference(xs), `scale ${scale}`);
    assert.deepEqual(wasm(xs, [1, 700, 4099]), reference(xs), `wasm, scale ${scale}`);
    // Whole 4096-value blocks of the wasm kernel, values spanning 2^±20 around the scale.
    const ys = Float32Array.from({ length: 20_000 }, (_, i) => (i % 1009 === 0 ? NaN : (rnd() - 0.5) * scale * 2 ** Math.floor(rnd() * 40 - 20)));
    assert.deepEqual(wasm(ys, [3, 9000]), reference(ys), `wasm, wide, scale ${scale}`);
    assert.deepEqual(fast(ys, [3, 9000]), reference(ys), `js, wide, scale ${scale}`);
  }
});

test('law: the kept interval holds exactly the float32 values the z-score test keeps', () => {
  const any32 = fc.float({ noDefaultInfinity: true, noNaN: true });
  fc.assert(fc.property(
    fc.oneof(any32, fc.double({ noNaN: true, min: -1e6, max: 1e6 })),
    fc.oneof(fc.constantFrom(0, NaN, 1e-300), fc.double({ min: 1e-6, max: 1e6, noNaN: true })),
    fc.oneof(fc.constant(0), fc.double({ min: 0, max: 5, noNaN: true })),
    fc.array(any32, { maxLength: 40 }),
    (c, sd, t, extra) => {
      const iv = keptIntervalF32(c, sd, t);
      // Probes: the interval's ends and their neighbours, values around c, and arbitrary ones.
      const probes = [...extra, Math.fround(c), Math.fround(c + sd * t), Math.fround(c - sd * t)];
      if (iv) for (const e of iv) probes.push(e, nextF32(e, 1), nextF32(e, -1));
      const xs = Float32Array.from([...probes, NaN, Infinity, -Infinity]);
      const r = iv ? keepRunsF32Wasm(xs, iv[0], iv[1], { mask: 'always' }) : { kept: 0, mask: new Uint8Array(xs.length) };
      const kept = r.kept, mask = r.mask!;
      assert.equal(kept, mask.reduce((a, b) => a + b, 0));
      xs.forEach((x, i) => assert.equal(mask[i] === 1, iv !== null && x >= iv[0] && x <= iv[1], `wasm keep of ${x}`));
      for (const p of probes) {
        const x = Math.fround(p);
        if (!Number.isFinite(x)) continue;
        const inIv = iv !== null && x >= iv[0] && x <= iv[1];
        assert.equal(inIv, zscoreKeeps(x, c, sd, t), `x ${x} c ${c} s ${sd} t ${t} interval ${iv}`);
      }
    }), { numRuns: 2000 });
});

function nextF32(x: number, dir: 1 | -1): number {
  const b = new Float32Array([x]);
  const i = new Int32Array(b.buffer);
  if (x === 0) { b[0] = dir * 1.401298464324817e-45; return b[0]!; }
  i[0] = i[0]! + ((x > 0) === (dir > 0) ? 1 : -1);
  return b[0]!;
}

test('zscoreFilter: the float32 fast path keeps the rows the float64 path keeps, NaN and ±Infinity dropped', async () => {
  let s = 9;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const xs = Array.from({ length: 3000 }, (_, i) => (i % 101 === 0 ? NaN : i % 173 === 0 ? Infinity : Math.fround(rnd() * 4 + (rnd() < 0.01 ? 30 : 0))));
  const rows = xs.map((x, id) => ({ id, x }));
  for (const threshold of [0, 1, 2.5, 3]) {
    const a = column(await fromRows(rows, { id: dt.int32(), x: dt.float32() }).map(zscoreFilter({ column: 'x', dtype: dt.float32(), threshold })).compute({ batchSize: 77 }), 'id');
    const b = column(await fromRows(rows, { id: dt.int32(), x: dt.float64() }).map(zscoreFilter({ column: 'x', threshold })).compute({ batchSize: 1024 }), 'id');
    assert.deepEqual(a, b, `threshold ${threshold}`);
    if (threshold > 0) assert.ok(a.length > 2500 && a.length < 3000);
  }
});

test('wasm keep test over more than one 64k chunk and ragged tails', () => {
  for (const n of [0, 5, 16, 17, 65_536, 70_001, 140_000]) {
    const xs = Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i) * 3));
    const { kept, mask } = keepRunsF32Wasm(xs, -1.5, 2.25, { mask: 'always' });
    let want = 0;
    xs.forEach((x, i) => { const k = x >= -1.5 && x <= 2.25; want += k ? 1 : 0; assert.equal(mask![i], k ? 1 : 0); });
    assert.equal(kept, want);
  }
});

test('law: the float32 fast path keeps the same rows on 2 workers (wasm loaded in each) as in-process, for any batch size', async () => {
  let s = 21;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const rows = Array.from({ length: 4000 }, (_, id) => ({ id, x: Math.fround(rnd() < 0.01 ? 25 * rnd() : rnd() < 0.01 ? NaN : rnd() * 3 - 1) }));
  const schema = { id: dt.int32(), x: dt.float32() };
  const call = zscoreFilter({ column: 'x', dtype: dt.float32(), threshold: 2 });
  const a = column(await fromRows(rows, schema).map(call).compute({ workers: 0, batchSize: 4096 }), 'id') as number[];
  const b = column(await fromRows(rows, schema).map(call).compute({ workers: 2, batchSize: 97 }), 'id') as number[];
  assert.deepEqual([...b].sort((p, q) => p - q), a);
  assert.ok(a.length < 3950 && a.length > 3500);
});

/** The reference for keepRunsF32Wasm: the mask by the plain test, runs as scanMask gives them (null when short), the kept values. */
function keptReference(xs: Float32Array, lo: number, hi: number): { mask: Uint8Array; kept: number; runs: number[] | null; values: Float32Array } {
  const mask = xs.map((x) => (x >= lo && x <= hi ? 1 : 0)) as unknown as Float32Array;
  const m = Uint8Array.from(mask);
  const runs: number[] = [];
  let kept = 0;
  for (let i = 0; i < m.length;) {
    if (!m[i]) { i++; continue; }
    let j = i;
    while (j < m.length && m[j]) j++;
    runs.push(kept, i, j - i);
    kept += j - i;
    i = j;
  }
  const values = xs.filter((x) => x >= lo && x <= hi);
  return { mask: m, kept, runs: kept < 64 || runs.length / 3 > kept >> 4 ? null : runs, values };
}

function checkKeepRuns(xs: Float32Array, lo: number, hi: number, label: string): void {
  const want = keptReference(xs, lo, hi);
  for (const mode of xs.length <= 65_536 ? ['always', 'if-no-runs'] as const : ['always'] as const) {
    const got = keepRunsF32Wasm(xs, lo, hi, { take: true, mask: mode });
    const l = `${label} (${mode})`;
    assert.equal(got.kept, want.kept, `${l}: kept`);
    assert.deepEqual(got.runs && Array.from(got.runs), want.runs, `${l}: runs`);
    if (mode === 'always' || got.runs === null) assert.deepEqual(got.mask, want.mask, `${l}: mask`);
    else assert.equal(got.mask, undefined, `${l}: no mask with runs`);
    if (got.values) {
      assert.ok(xs.length <= 65_536 && got.runs !== null && got.kept < xs.length, `${l}: values only for one chunk with runs, some rows dropped`);
      // Bit for bit (−0 stays −0).
      assert.deepEqual(new Uint32Array(got.values.buffer, got.values.byteOffset, got.values.length), new Uint32Array(want.values.buffer), `${l}: values`);
      assert.equal(got.values.byteLength, got.values.buffer.byteLength, `${l}: values own their buffer`);
    } else assert.ok(xs.length > 65_536 || got.runs === null || got.kept === xs.length, `${l}: values missing`);
  }
}

test('law: the wasm keep pass finds the mask, the runs and the kept values the plain loop finds (NaN, ±0, sliced inputs)', () => {
  // Segments of in-range or out-of-range values, with NaN and ±Infinity sprinkled in.
  const seg = fc.tuple(fc.constantFrom('in', 'out', 'nan', 'mixed'), fc.integer({ min: 1, max: 400 }));
  fc.assert(fc.property(fc.array(seg, { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 1e6 }), (segs, offset, seed) => {
    let s = seed;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const vals: number[] = Array.from({ length: offset }, () => 99);
    for (const [kind, len] of segs) {
      for (let i = 0; i < len; i++) {
        const k = kind === 'mixed' ? (['in', 'out', 'nan'] as const)[Math.floor(rnd() * 3)]! : kind;
        vals.push(k === 'in' ? (rnd() < 0.05 ? -0 : rnd() * 2 - 1) : k === 'out' ? (rnd() < 0.5 ? 5 : -Infinity) : NaN);
      }
    }
    const xs = Float32Array.from(vals).subarray(offset);
    checkKeepRuns(xs, -1, 1, `${segs.length} segments`);
  }), { numRuns: 300 });
});

test('wasm keep pass: all kept, none kept, NaN only, empty, over several 64k chunks (a run going on across a chunk boundary)', () => {
  for (const n of [0, 1, 15, 16, 63, 64, 65, 4096, 65_535, 65_536, 65_537, 140_000]) {
    const ramp = Float32Array.from({ length: n }, (_, i) => (i % 1024 === 5 ? 50 : Math.fround((i % 97) / 97)));
    checkKeepRuns(ramp, 0, 1, `outliers n=${n}`);
    checkKeepRuns(ramp, -10, 100, `all kept n=${n}`);
    checkKeepRuns(ramp, 2, 3, `none kept n=${n}`);
    checkKeepRuns(new Float32Array(n).fill(NaN), -1e30, 1e30, `NaN n=${n}`);
  }
  // Drops exactly at the chunk boundary, and a run crossing it.
  const xs = new Float32Array(131_072).fill(0.5);
  xs[65_535] = 9;
  checkKeepRuns(xs, 0, 1, 'drop before the boundary');
  xs[65_535] = 0.5; xs[65_536] = 9;
  checkKeepRuns(xs, 0, 1, 'drop after the boundary');
  xs[65_536] = 0.5; xs[100] = 9;
  checkKeepRuns(xs, 0, 1, 'run across the boundary');
});

test('zscoreFilter: the float32 fast path with batches over one 64k chunk, all kept and none kept, equals the float64 path', async () => {
  let s = 5;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const n = 150_000;
  const x = Array.from({ length: n }, (_, i) => (i % 977 === 0 ? NaN : Math.fround(rnd() * 4 + (i % 1024 === 0 ? 40 : 0))));
  const rows = x.map((v, id) => ({ id, x: v }));
  for (const threshold of [3, 1e9, 0]) {
    const b = column(await fromRows(rows, { id: dt.int32(), x: dt.float64() }).map(zscoreFilter({ column: 'x', threshold })).compute({ batchSize: 65_536 }), 'id');
    for (const batchSize of [100_000, 65_536, 4097]) {
      const a = column(await fromRows(rows, { id: dt.int32(), x: dt.float32() }).map(zscoreFilter({ column: 'x', dtype: dt.float32(), threshold })).compute({ batchSize }), 'id');
      assert.deepEqual(a, b, `threshold ${threshold}, batch ${batchSize}`);
    }
    if (threshold === 1e9) assert.equal(b.length, n - Math.ceil(n / 977));
    if (threshold === 3) assert.ok(b.length > 140_000 && b.length < 150_000);
  }
});
