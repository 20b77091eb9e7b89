import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dt, fromRows } from '@modaflow/core';
import type { DType, Tensor } from '@modaflow/core';
import { earlyFuse, lateFuse, maskMissing, impute, modalityDropout, partWidths } from '../src/index.ts';
import type { FusePart } from '../src/index.ts';
import { column } from './helpers.ts';

const arr = (v: unknown) => Array.from((v as Tensor).data as Float32Array);
const f32 = (x: number) => Math.fround(x);

test('law: early fusion width is the sum of the part widths and, unnormalized, the concatenation of the parts', async () => {
  const shapeArb = fc.oneof(
    fc.constant<number[] | null>(null), // a float64 scalar
    fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
  );
  await fc.assert(fc.asyncProperty(fc.array(shapeArb, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer(), async (shapes, nRows, seed) => {
    const parts: FusePart[] = shapes.map((s, k) => ({ column: `c${k}`, dtype: s ? dt.tensor(dt.float32(), s) : dt.float64() }));
    const widths = shapes.map((s) => (s ? s.reduce((a, b) => a * b, 1) : 1));
    assert.deepEqual(partWidths(parts), widths);
    const schema: Record<string, DType> = Object.fromEntries(parts.map((p) => [p.column, p.dtype]));
    const rows = Array.from({ length: nRows }, (_, i) => Object.fromEntries(shapes.map((s, k) => {
      const w = widths[k]!;
      const vals = Array.from({ length: w }, (_, j) => f32(((seed + i * 31 + k * 7 + j * 3) % 17) - 8));
      return [`c${k}`, s ? { data: Float32Array.from(vals), shape: s } : vals[0]!];
    })));
    const ds = fromRows(rows, schema);
    const fused = ds.map(earlyFuse({ parts, output: 'x' }));
    const total = widths.reduce((a, b) => a + b, 0);
    assert.deepEqual(fused.schema!['x'], dt.tensor(dt.float32(), [total]));
    const out = column(await fused.compute({ batchSize: 2 }), 'x');
    out.forEach((v, i) => {
      const want = shapes.flatMap((s, k) => (s ? Array.from((rows[i]![`c${k}`] as Tensor).data as Float32Array) : [rows[i]![`c${k}`] as number]));
      assert.deepEqual(arr(v), want);
    });
  }), { numRuns: 40 });
});

test('early fusion normalizes parts per row, weights them, and handles missing parts by policy', async () => {
  const V3 = dt.tensor(dt.float32(), [3]);
  const rows = [
    { a: { data: Float32Array.of(3, 0, 4), shape: [3] }, b: { data: Float32Array.of(1, 2, 3), shape: [3] }, s: 10 },
    { a: null, b: { data: Float32Array.of(5, 5, 5), shape: [3] }, s: 1 },
  ];
  const ds = fromRows(rows, { a: V3, b: V3, s: dt.float64() });
  const parts = [
    { column: 'a', dtype: V3, normalize: 'l2' },
    { column: 'b', dtype: V3, normalize: 'minmax', weight: 2 },
    { column: 's', dtype: dt.float64() },
  ] as const;
  const z = column(await ds.map(earlyFuse({ parts, output: 'x', missing: 'zeros' })).compute(), 'x');
  assert.deepEqual(arr(z[0]), [0.6, 0, 0.8, 0, 1, 2, 10].map(f32));
  assert.deepEqual(arr(z[1]), [0, 0, 0, 0, 0, 0, 1]); // null part → zeros; constant part → zeros
  const skip = await ds.map(earlyFuse({ parts, output: 'x' })).compute({ onError: 'skip' });
  assert.equal(skip.numRows, 1);
  assert.equal(skip.report.skipped, 1);
  await assert.rejects(ds.map(earlyFuse({ parts, output: 'x' })).compute(), /part 'a' is null/);
  const VT = dt.varTensor(dt.float32(), 1);
  assert.throws(() => earlyFuse({ parts: [{ column: 'v', dtype: VT }], output: 'x' }), /width is unknown when the plan is built.*width: <n>/);
  assert.throws(() => earlyFuse({ parts: [{ column: 'u', dtype: dt.utf8() }], output: 'x' }), /must be numeric/);
  // A declared part dtype that does not match the data is caught when the plan is built.
  // @ts-expect-error — tsc sees that 'a' is a [3] tensor, not a float64
  assert.throws(() => ds.map(earlyFuse({ parts: [{ column: 'a', dtype: dt.float64() }], output: 'x' })), /MF_DTYPE_MISMATCH/);
});

test('law: late fusion of a single input is the identity (mean, max, product, vote; scalars and tensors)', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.oneof(fc.constant(null), fc.integer({ min: -50, max: 50 }).map((x) => x / 4)), { minLength: 1, maxLength: 20 }),
    async (xs) => {
      const ds = fromRows(xs.map((x) => ({ s: x, p: x === null ? null : { data: Float32Array.of(x, 1 - x, 0.5), shape: [3] } })), { s: dt.float64(), p: dt.tensor(dt.float32(), [3]) });
      for (const method of ['mean', 'max', 'product', 'vote'] as const) {
        const o = await ds.map(lateFuse({ columns: ['s'], method, output: 'o' })).compute();
        assert.deepEqual(column(o, 'o'), xs, method);
        if (method === 'vote') continue;
        const t = await ds.map(lateFuse({ columns: ['p'], dtype: dt.tensor(dt.float32(), [3]), method, output: 'o' })).compute();
        assert.deepEqual(column(t, 'o').map((v) => (v === null ? null : arr(v))), column(t, 'p').map((v) => (v === null ? null : arr(v))), method);
      }
    }), { numRuns: 12 });
});

test('late fusion: weighted mean, max, product and vote skip missing modalities', async () => {
  const P = dt.tensor(dt.float32(), [3]);
  const t = (...v: number[]) => ({ data: Float32Array.of(...v), shape: [3] });
  const ds = fromRows([
    { a: 0.2, b: 0.8, c: null, pa: t(0.1, 0.7, 0.2), pb: t(0.5, 0.25, 0.25), pc: t(0.5, 0.25, 0.25) },
    { a: null, b: null, c: null, pa: null, pb: null, pc: null },
    { a: 0.5, b: null, c: 0.25, pa: t(0.2, 0.2, 0.6), pb: null, pc: t(0.6, 0.2, 0.2) },
  ], { a: dt.float64(), b: dt.float64(), c: dt.float64(), pa: P, pb: P, pc: P });
  const run = async (call: Parameters<typeof ds.map>[0]) => column(await ds.map(call as never).compute(), 'o');
  assert.deepEqual(await run(lateFuse({ columns: ['a', 'b', 'c'], method: 'mean', weights: [3, 1, 1], output: 'o' })), [(3 * 0.2 + 1 * 0.8) / 4, null, (3 * 0.5 + 1 * 0.25) / 4]);
  assert.deepEqual(await run(lateFuse({ columns: ['a', 'b', 'c'], method: 'max', output: 'o' })), [0.8, null, 0.5]);
  assert.deepEqual(await run(lateFuse({ columns: ['a', 'b', 'c'], method: 'product', weights: [2, 1, 1], output: 'o' })), [0.2 ** 2 * 0.8, null, 0.5 ** 2 * 0.25]);
  // Votes of argmaxes — row 0: class 1 (pa) vs class 0 (pb, pc); row 2: class 2 (pa) vs class 0 (pc).
  assert.deepEqual(await run(lateFuse({ columns: ['pa', 'pb', 'pc'], dtype: P, method: 'vote', output: 'o' })), [0, null, 0]);
  assert.deepEqual(await run(lateFuse({ columns: ['pa', 'pb', 'pc'], dtype: P, method: 'vote', weights: [3, 1, 1], output: 'o' })), [1, null, 2]);
  // A tied vote goes to the smallest class: 1 vs 0 with equal weight.
  assert.deepEqual(await run(lateFuse({ columns: ['pa', 'pb', 'pc'], dtype: P, method: 'vote', weights: [2, 1, 1], output: 'o' })), [0, null, 2]);
  const mean = await run(lateFuse({ columns: ['pa', 'pb'], dtype: P, method: 'mean', output: 'o' }));
  assert.deepEqual(arr(mean[0]), [0.3, 0.475, 0.225].map(f32));
  assert.deepEqual(arr(mean[2]), [0.2, 0.2, 0.6].map(f32));
  assert.throws(() => lateFuse({ columns: ['a', 'b'], method: 'mean', weights: [1], output: 'o' }), /weights must be 2/);
});

test('missing modalities: masks, then zeros / constant / dataset-mean imputation', async () => {
  const V2 = dt.tensor(dt.float32(), [2]);
  const ds = fromRows([
    { e: { data: Float32Array.of(1, 2), shape: [2] }, s: 4 },
    { e: null, s: null },
    { e: { data: Float32Array.of(3, 8), shape: [2] }, s: 1 },
  ], { e: V2, s: dt.int32() });
  const masked = ds.map(maskMissing({ columns: { e: V2, s: dt.int32() } }));
  assert.deepEqual(Object.keys(masked.schema!), ['e', 's', 'e_present', 's_present']);
  const m = await masked.compute();
  assert.deepEqual(column(m, 'e_present'), [true, false, true]);
  const mean = await masked.map(impute({ column: 'e', dtype: V2, strategy: 'mean' })).map(impute({ column: 's', dtype: dt.int32(), strategy: 'mean' })).compute({ batchSize: 1 });
  assert.deepEqual(column(mean, 'e').map(arr), [[1, 2], [2, 5], [3, 8]]);
  assert.deepEqual(column(mean, 's'), [4, 3, 1]); // mean 2.5 rounds half away from zero in an int column
  const zeros = await ds.map(impute({ column: 'e', dtype: V2, strategy: 'zeros', output: 'e0' })).compute();
  assert.deepEqual(column(zeros, 'e0').map(arr), [[1, 2], [0, 0], [3, 8]]);
  assert.deepEqual(column(zeros, 'e')[1], null);
  const c = await ds.map(impute({ column: 's', dtype: dt.int32(), strategy: 'constant', value: -1 })).compute();
  assert.deepEqual(column(c, 's'), [4, -1, 1]);
  assert.throws(() => impute({ column: 'v', dtype: dt.varTensor(dt.float32(), 1), strategy: 'zeros' }), /needs a known shape/);
});

test('modality dropout: seeded per row (same result for any batch size), keeps one modality, p=0 is identity', async () => {
  const rows = Array.from({ length: 200 }, (_, i) => ({ a: i, b: i % 7 === 0 ? null : -i }));
  const schema = { a: dt.float64(), b: dt.float64() };
  const call = modalityDropout({ columns: schema, p: 0.5, seed: 3 });
  const x = await fromRows(rows, schema).map(call).compute({ batchSize: 7 });
  const y = await fromRows(rows, schema).map(call).compute({ batchSize: 64 });
  assert.deepEqual(column(x, 'a'), column(y, 'a'));
  assert.deepEqual(column(x, 'b'), column(y, 'b'));
  const a = column(x, 'a'), b = column(x, 'b');
  assert.ok(a.every((v, i) => v !== null || b[i] !== null), 'at least one modality stays');
  const dropped = a.filter((v) => v === null).length;
  assert.ok(dropped > 30 && dropped < 120, `about half of a dropped (${dropped})`);
  const none = await fromRows(rows, schema).map(modalityDropout({ columns: schema, p: 0 })).compute();
  assert.deepEqual(column(none, 'b'), rows.map((r) => r.b));
});
