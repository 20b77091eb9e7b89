import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { dt, fromRows } from '@modaflow/core';
import { modalityDropout, zscoreFilter } from '../src/index.ts';
import { addExact, exactSum, roundExact } from '../src/util/exact-sum.ts';
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
