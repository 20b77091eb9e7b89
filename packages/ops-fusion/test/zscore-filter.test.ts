import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { dt, fromRows } from '@modaflow/core';
import { modalityDropout, zscoreFilter } from '../src/index.ts';
import { addExact, exactSum, roundExact } from '../src/util/exact-sum.ts';
import { reduceTensor } from '../src/util/reduce.ts';
import { column } from './helpers.ts';

interface Golden {
  x: (number | null)[]; g: string[]; tensor: number[][];
  cases: { column: 'x' | 'rms'; by: string | null; robust: boolean; threshold: number; keep: boolean[]; z: (number | null)[] }[];
}
const golden = JSON.parse(readFileSync(new URL('./golden/zscore.json', import.meta.url), 'utf8')) as Golden;

const T8 = dt.tensor(dt.float32(), [8]);
const rows = golden.x.map((x, i) => ({ id: i, x, g: golden.g[i]!, t: { data: Float32Array.from(golden.tensor[i]!), shape: [8] } }));
const ds = fromRows(rows, { id: dt.int32(), x: dt.float64(), g: dt.utf8(), t: T8 });

test('zscoreFilter equals pandas: scalar and tensor-RMS columns, global and per group, mean/std and median/MAD (|Δz| ≤ 1e-9·z)', async () => {
  for (const c of golden.cases) {
    const scalar = c.column === 'x';
    const common = { threshold: c.threshold, robust: c.robust, output: 'z', ...(c.by ? { by: 'g' } : {}) } as const;
    const out = scalar
      ? await ds.map(zscoreFilter({ column: 'x', ...common })).compute({ batchSize: 33 })
      : await ds.map(zscoreFilter({ column: 't', dtype: T8, reduce: 'rms', ...common })).compute({ batchSize: 33 });
    const ids = column(out, 'id') as number[];
    const z = column(out, 'z') as number[];
    const what = JSON.stringify({ ...c, keep: undefined, z: undefined });
    ids.forEach((id, k) => {
      const want = c.z[id]!;
      assert.ok(Math.abs(z[k]! - want) <= 1e-9 * Math.max(1, want), `${what} row ${id}: z ${z[k]} vs pandas ${want}`);
    });
    // Rows pandas keeps are ours too, except a z within 1e-9 of the threshold (none in this data).
    const wantIds = c.keep.flatMap((k, i) => (k ? [i] : []));
    assert.deepEqual(ids, wantIds, what);
    assert.ok(wantIds.length < rows.length, 'every case drops something');
  }
});

test("nulls and NaN are left out of the statistics and dropped by default; nulls: 'keep' keeps them", async () => {
  const d = fromRows([{ x: 1 }, { x: null }, { x: NaN }, { x: 2 }, { x: 3 }], { x: dt.float64() });
  assert.deepEqual(column(await d.map(zscoreFilter({ column: 'x', output: 'z' })).compute(), 'z'), [1, 0, 1]);
  assert.deepEqual(column(await d.map(zscoreFilter({ column: 'x', nulls: 'keep' })).compute(), 'x').map(String), ['1', 'null', 'NaN', '2', '3']);
});

test('a zero scale keeps the centre and drops the rest; bad params fail with a fix', async () => {
  const d = fromRows([{ x: 5 }, { x: 5 }, { x: 5 }, { x: 6 }], { x: dt.float64() });
  // MAD of [5,5,5,6] is 0: only the median survives.
  assert.deepEqual(column(await d.map(zscoreFilter({ column: 'x', robust: true })).compute(), 'x'), [5, 5, 5]);
  assert.throws(() => zscoreFilter({ column: 'x', threshold: -1 }), /threshold must be >= 0/);
  assert.throws(() => zscoreFilter({ column: 'x', dtype: dt.utf8() }), /not numeric/);
  // @ts-expect-error — tsc rejects a column the dataset does not have; the plan check does too.
  assert.throws(() => d.map(zscoreFilter({ column: 'y' })), /column 'y'/);
});

test('exact sums round like math.fsum', () => {
  const s = exactSum();
  for (const x of [1e16, 1, 1e-16]) addExact(s, x);
  assert.equal(roundExact(s), 1.0000000000000002e16); // math.fsum([1e16, 1.0, 1e-16])
  const t = exactSum();
  for (let i = 0; i < 10; i++) addExact(t, 0.1);
  assert.equal(roundExact(t), 1); // math.fsum([0.1] * 10); a plain loop gives 0.9999999999999999
});

test('law: exact sums do not depend on the order of the terms', () => {
  fc.assert(fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }), { maxLength: 50 }), fc.integer(), (xs, seed) => {
    const a = exactSum(), b = exactSum();
    for (const x of xs) addExact(a, x);
    const perm = xs.map((x, i) => [x, (i * 2654435761 + seed) >>> 0] as const).sort((p, q) => p[1] - q[1]).map((p) => p[0]);
    for (const x of perm) addExact(b, x);
    assert.equal(roundExact(a), roundExact(b));
  }), { numRuns: 200 });
});

test('law: the z-score filter keeps the same set of rows whatever the batch size and row order', async () => {
  const value = fc.oneof(fc.integer({ min: -20, max: 20 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(null));
  await fc.assert(fc.asyncProperty(
    fc.array(fc.record({ x: value, g: fc.constantFrom('a', 'b') }), { minLength: 1, maxLength: 60 }),
    fc.integer({ min: 1, max: 16 }), fc.boolean(), fc.boolean(), fc.double({ min: 0, max: 4, noNaN: true }), fc.integer(),
    async (rs, batchSize, robust, grouped, threshold, seed) => {
      const rowsWithId = rs.map((r, id) => ({ id, ...r }));
      const shuffled = rowsWithId.map((r, i) => [r, (i * 2654435761 + seed) >>> 0] as const).sort((p, q) => p[1] - q[1]).map((p) => p[0]);
      const schema = { id: dt.int32(), x: dt.float64(), g: dt.utf8() };
      const call = zscoreFilter({ column: 'x', robust, threshold, ...(grouped ? { by: 'g' } : {}) });
      const a = column(await fromRows(rowsWithId, schema).map(call).compute({ batchSize: 1024 }), 'id') as number[];
      const b = column(await fromRows(shuffled, schema).map(call).compute({ batchSize }), 'id') as number[];
      assert.deepEqual([...b].sort((p, q) => p - q), a);
    }), { numRuns: 80 });
});

test('law: utf8 group keys (grouped by their bytes) give the groups their values give: the same rows and z as an int32 code per distinct string', async () => {
  // Short alphabet so rows share groups; empty, multi-byte, NUL and surrogate-pair keys, and nulls.
  const key = fc.oneof(fc.constantFrom('', 'a', 'b', 'ab', 'ba', 'é', 'e\u0301', '\u0000', '𝄞', 'aa', 'a '), fc.constant(null));
  await fc.assert(fc.asyncProperty(
    fc.array(fc.record({ x: fc.oneof(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.constant(null)), g: key }), { minLength: 1, maxLength: 80 }),
    fc.integer({ min: 1, max: 17 }), fc.boolean(), fc.double({ min: 0, max: 3, noNaN: true }),
    async (rs, batchSize, robust, threshold) => {
      const code = new Map<string, number>();
      const rows = rs.map((r, id) => ({ id, x: r.x, g: r.g, c: r.g === null ? null : (code.get(r.g) ?? (code.set(r.g, code.size), code.size - 1)) }));
      const d = fromRows(rows, { id: dt.int32(), x: dt.float64(), g: dt.utf8(), c: dt.int32() });
      const common = { column: 'x', threshold, robust, output: 'z' } as const;
      const byText = await d.map(zscoreFilter({ ...common, by: 'g' })).compute({ batchSize });
      const byCode = await d.map(zscoreFilter({ ...common, by: 'c', byDtype: dt.int32() })).compute({ batchSize });
      assert.deepEqual(column(byText, 'id'), column(byCode, 'id'));
      assert.deepEqual(column(byText, 'z'), column(byCode, 'z'));
    }), { numRuns: 150 });
});

test('law: the z-score filter and modality dropout give the same rows on 2 workers as in-process', async () => {
  let s = 11;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const rows = Array.from({ length: 1500 }, (_, id) => ({ id, x: rnd() < 0.02 ? 40 * rnd() : rnd() < 0.05 ? null : rnd() * 3, g: rnd() < 0.5 ? 'a' : 'b' }));
  const schema = { id: dt.int32(), x: dt.float64(), g: dt.utf8() };
  for (const robust of [false, true]) {
    const call = zscoreFilter({ column: 'x', robust, by: 'g', threshold: 2 });
    const a = column(await fromRows(rows, schema).map(call).compute({ workers: 0 }), 'id') as number[];
    const b = column(await fromRows(rows, schema).map(call).compute({ workers: 2, batchSize: 97 }), 'id') as number[];
    assert.deepEqual([...b].sort((p, q) => p - q), a);
    assert.ok(a.length < rows.length && a.length > rows.length * 0.8);
  }
  const drop = modalityDropout({ columns: { x: dt.float64(), g: dt.utf8() }, p: 0.4, seed: 5 });
  const d0 = await fromRows(rows, schema).map(drop).compute({ workers: 0 });
  const d2 = await fromRows(rows, schema).map(drop).compute({ workers: 2, batchSize: 97 });
  assert.deepEqual(column(d2, 'x'), column(d0, 'x'));
  assert.deepEqual(column(d2, 'g'), column(d0, 'g'));
});

test('law: the z-score filter keeps the same rows (and z) on 2 workers as in-process: scalars, the float32 fast path, reduced tensors, groups, robust', async () => {
  const x = fc.oneof({ weight: 8, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }) }, fc.double({ min: -1e4, max: 1e4, noNaN: true }), fc.constant(NaN), fc.constant(null));
  await fc.assert(fc.asyncProperty(
    fc.array(fc.record({ x, g: fc.constantFrom('a', 'b', 'c'), t: fc.option(fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 4, maxLength: 4 }), { freq: 20, nil: null }) }), { minLength: 150, maxLength: 300 }),
    fc.constantFrom('x', 'f', 't'), fc.constantFrom('rms', 'mean', 'l2', 'max-abs'),
    fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), fc.double({ min: 0.5, max: 3, noNaN: true }), fc.integer({ min: 16, max: 64 }),
    async (rs, col, reduce, robust, grouped, withZ, withNulls, threshold, batchSize) => {
      // 'f' is the float32 copy of 'x'; without nulls its batches take the fast (WebAssembly) path.
      const rows = rs.map((r, id) => {
        const v = r.x === null && !withNulls ? 0 : r.x;
        return { id, x: v, f: v === null ? null : Math.fround(v), g: r.g, t: r.t && { data: Float32Array.from(r.t), shape: [4] } };
      });
      const T4 = dt.tensor(dt.float32(), [4]);
      const d = fromRows(rows, { id: dt.int32(), x: dt.float64(), f: dt.float32(), g: dt.utf8(), t: T4 });
      const dtype = col === 'x' ? dt.float64() : col === 'f' ? dt.float32() : T4;
      const call = zscoreFilter({ column: col, dtype, threshold, robust, ...(col === 't' ? { reduce } : {}), ...(grouped ? { by: 'g' } : {}), ...(withZ ? { output: 'z' } : {}) });
      const inProcess = await d.map(call as never).compute({ workers: 0, batchSize });
      const plan = d.map(call as never);
      const pooled = await plan.compute({ workers: 2, batchSize });
      assert.match(plan.explain({ analyze: true }), /last run, 2 workers/);
      assert.deepEqual(column(pooled, 'id'), column(inProcess, 'id'));
      if (withZ) assert.deepEqual(column(pooled, 'z'), column(inProcess, 'z'));
    }), { numRuns: 6 });
});

test('tensor reductions mean, l2, max-abs (and rms): a hand-computed example', async () => {
  const V2 = dt.tensor(dt.float32(), [2]);
  const d = fromRows([[3, -4], [1, 1], [0, 0], [-6, 8]].map((v, id) => ({ id, t: { data: Float32Array.from(v), shape: [2] } })), { id: dt.int32(), t: V2 });
  const run = async (reduce: 'mean' | 'l2' | 'max-abs' | 'rms') => {
    const out = await d.map(zscoreFilter({ column: 't', dtype: V2, reduce, threshold: 1.1, output: 'z' })).compute();
    return { ids: column(out, 'id'), z: column(out, 'z') as number[] };
  };
  const close = (got: number[], want: number[]) => got.forEach((z, i) => assert.ok(Math.abs(z - want[i]!) <= 1e-12 * want[i]!, `${z} vs ${want[i]}`));
  // mean: rows reduce to −0.5, 1, 0, 1: centre 0.375, std 0.75 → z 7/6, 5/6, 1/2, 5/6.
  const mean = await run('mean');
  assert.deepEqual(mean.ids, [1, 2, 3]);
  close(mean.z, [5 / 6, 1 / 2, 5 / 6]);
  // max-abs: 4, 1, 0, 8: centre 3.25, Σ(x − c)² = 38.75 → z of row 3 = 4.75 / √(38.75/3) ≈ 1.32.
  const maxAbs = await run('max-abs');
  assert.deepEqual(maxAbs.ids, [0, 1, 2]);
  const sAbs = Math.sqrt(38.75 / 3);
  close(maxAbs.z, [0.75 / sAbs, 2.25 / sAbs, 3.25 / sAbs]);
  // l2: 5, √2, 0, 10; rms is l2/√2, and z does not change under scaling: the same rows and z.
  const l2 = await run('l2'), rms = await run('rms');
  assert.deepEqual(l2.ids, [0, 1, 2]);
  const v = [5, Math.SQRT2, 0, 10], c = (15 + Math.SQRT2) / 4, s = Math.sqrt(v.reduce((a, x) => a + (x - c) ** 2, 0) / 3);
  close(l2.z, v.slice(0, 3).map((x) => Math.abs(x - c) / s));
  assert.deepEqual(rms.ids, l2.ids);
  close(rms.z, l2.z);
});

test('tensor reductions equal a plain JS reduction followed by the pandas z-score, globally and per group', async () => {
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const T5 = dt.tensor(dt.float32(), [5]);
  const rows = Array.from({ length: 120 }, (_, id) => {
    const spread = rnd() < 0.05 ? 30 : 1;
    return { id, g: rnd() < 0.5 ? 'a' : 'b', t: { data: Float32Array.from({ length: 5 }, () => (rnd() - 0.3) * spread), shape: [5] } };
  });
  const d = fromRows(rows, { id: dt.int32(), g: dt.utf8(), t: T5 });
  const reduce = {
    mean: (v: Float32Array) => v.reduce((a, x) => a + x, 0) / v.length,
    l2: (v: Float32Array) => Math.sqrt(v.reduce((a, x) => a + x * x, 0)),
    'max-abs': (v: Float32Array) => v.reduce((a, x) => Math.max(a, Math.abs(x)), 0),
  } as const;
  const threshold = 2;
  for (const how of ['mean', 'l2', 'max-abs'] as const) {
    for (const grouped of [false, true]) {
      // pandas: r = reduce(t); z = (r - r.mean()).abs() / r.std()  (per group: groupby('g').transform)
      const r = rows.map((row) => reduce[how](row.t.data));
      const zRef = rows.map((row, i) => {
        const peers = rows.flatMap((q, j) => (!grouped || q.g === row.g ? [r[j]!] : []));
        const m = peers.reduce((a, x) => a + x, 0) / peers.length;
        const s = Math.sqrt(peers.reduce((a, x) => a + (x - m) ** 2, 0) / (peers.length - 1));
        return Math.abs(r[i]! - m) / s;
      });
      const out = await d.map(zscoreFilter({ column: 't', dtype: T5, reduce: how, threshold, output: 'z', ...(grouped ? { by: 'g' } : {}) })).compute({ batchSize: 17 });
      const what = `${how}${grouped ? ' by g' : ''}`;
      const ids = column(out, 'id') as number[], z = column(out, 'z') as number[];
      // No reference z lies within 1e-9 of the threshold, so the kept sets must agree exactly.
      assert.ok(zRef.every((x) => Math.abs(x - threshold) > 1e-9), what);
      assert.deepEqual(ids, zRef.flatMap((x, i) => (x <= threshold ? [i] : [])), what);
      assert.ok(ids.length < rows.length, `${what}: something is dropped`);
      ids.forEach((id, k) => assert.ok(Math.abs(z[k]! - zRef[id]!) <= 1e-9 * Math.max(1, zRef[id]!), `${what} row ${id}: ${z[k]} vs ${zRef[id]}`));
    }
  }
});

/** A finite double as m·2^e with m an integer (exact). */
function parts(x: number): [bigint, number] {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, Math.abs(x));
  const bits = v.getBigUint64(0), be = Number(bits >> 52n), frac = bits & ((1n << 52n) - 1n);
  return be === 0 ? [frac, -1074] : [frac | (1n << 52n), be - 1075];
}

/** √(Σx² / d) of finite doubles, exactly up to its final rounding (128 extra bits before it). */
function exactRootMeanSquare(xs: readonly number[], d: number): number {
  const ps = xs.map(parts);
  const e0 = Math.min(...ps.map(([, e]) => e));
  const s = ps.reduce((a, [m, e]) => a + m * m * (1n << BigInt(2 * (e - e0))), 0n); // Σx² = s·2^(2·e0)
  let q = (s << 256n) / BigInt(d), r = 1n << BigInt(Math.ceil(q.toString(2).length / 2));
  for (let prev = 0n; r !== prev;) { prev = r; r = (r + q / r) >> 1n; } // Newton from above: floor √q
  while (r * r > q) r--;
  q = r; // √(Σx²/d) = q·2^(e0 − 128)
  return Number(q) * 2 ** -128 * 2 ** e0; // (2^(e0 − 128) alone could underflow)
}

test('rms and l2 of a finite tensor stay finite and exact near 1e200 and 1e-200 (no overflow of x², no silent no-value); mean too', () => {
  const rows = [[1e200, -3e200, 2.5e200], [1e308, -1e307, 5e307, 1e300], [1e-200, -3e-200, 7e-201], [1e-300, -3e-305, 2e-301], [3e-5, 1e200, 7]];
  for (const xs of rows) {
    for (const [how, d] of [['rms', xs.length], ['l2', 1]] as const) {
      const got = reduceTensor(Float64Array.from(xs), how), want = exactRootMeanSquare(xs, d);
      assert.ok(Number.isFinite(got) && Math.abs(got - want) <= 4e-16 * want, `${how}(${xs}) = ${got}, exactly ${want}`);
    }
  }
  // The mean of the largest doubles: their sum overflows, the mean does not.
  assert.equal(reduceTensor([1.7e308, 1.7e308], 'mean'), 1.7e308);
  assert.equal(reduceTensor([-1.7e308, -1.5e308], 'mean'), -1.6e308);
  // Non-finite in, as before: NaN sticks, an infinite element gives Infinity.
  assert.ok(Number.isNaN(reduceTensor([1e200, NaN], 'rms')));
  assert.equal(reduceTensor([1, -Infinity], 'l2'), Infinity);
  assert.equal(reduceTensor([1e200, -Infinity], 'max-abs'), Infinity);
});

test('law: reductions commute with power-of-two scaling (exact: the same bits as the unscaled row times 2^k, for k far past the square overflow)', () => {
  fc.assert(fc.property(
    fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }).filter((x) => x === 0 || Math.abs(x) > 1e-3), { minLength: 1, maxLength: 12 }),
    fc.integer({ min: -900, max: 900 }), fc.constantFrom('rms', 'l2', 'mean', 'max-abs' as const),
    (xs, k, how) => {
      const s = 2 ** k;
      assert.equal(reduceTensor(xs.map((x) => x * s), how), reduceTensor(xs, how) * s);
    }), { numRuns: 500 });
});

test('zscoreFilter on tensors near 1e200: reduced rows keep their values (were dropped as "no value" when x² overflowed)', async () => {
  const V3 = dt.tensor(dt.float64(), [3]);
  const d = fromRows([1, 2, 3, 4, 1000].map((k, id) => ({ id, t: { data: Float64Array.of(k * 1e200, -k * 1e200, k * 2e200), shape: [3] } })), { id: dt.int32(), t: V3 });
  for (const reduce of ['rms', 'l2'] as const) {
    const out = await d.map(zscoreFilter({ column: 't', dtype: V3, reduce, robust: true, threshold: 3 })).compute();
    assert.deepEqual(column(out, 'id'), [0, 1, 2, 3], reduce); // only the outlier goes
  }
});

test('law: the z-score filter commutes with power-of-two scaling: the same rows and bit-identical z for values scaled by 2^k, far past the square overflow (|x| > 1.3e154)', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.record({ x: fc.oneof(fc.integer({ min: -50, max: 50 }), fc.double({ min: -1e3, max: 1e3, noNaN: true, noDefaultInfinity: true })), g: fc.constantFrom('a', 'b') }), { minLength: 2, maxLength: 40 }),
    fc.integer({ min: -900, max: 900 }), fc.integer({ min: 1, max: 9 }), fc.boolean(),
    async (rs, k, batchSize, grouped) => {
      // (Values well away from the subnormal range, where scaling down would round.)
      const base = rs.map((r, id) => ({ id, x: Math.abs(r.x) < 1e-3 ? 0 : r.x, g: r.g }));
      const schema = { id: dt.int32(), x: dt.float64(), g: dt.utf8() };
      const call = zscoreFilter({ column: 'x', threshold: 1, output: 'z', ...(grouped ? { by: 'g' } : {}) });
      const run = async (f: number) => {
        const t = await fromRows(base.map((r) => ({ ...r, x: r.x * f })), schema).map(call).compute({ batchSize });
        return { id: column(t, 'id'), z: column(t, 'z') };
      };
      assert.deepEqual(await run(2 ** k), await run(1));
    }), { numRuns: 60 });
});
