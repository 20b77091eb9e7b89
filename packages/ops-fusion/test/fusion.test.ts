import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dt, fromRows } from '@modaflow/core';
import type { DType, ModaflowError, Tensor } from '@modaflow/core';
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

test('law: late fusion of a lone present input is the identity, value and dtype, for any weights (mean, max, product, vote; float64/float32 scalars and tensors)', async () => {
  const ELEMENT = { float64: dt.float64(), float32: dt.float32() } as const;
  await fc.assert(fc.asyncProperty(
    fc.constantFrom('float64', 'float32'), fc.boolean(), fc.constantFrom('mean', 'max', 'product', 'vote'),
    fc.tuple(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), fc.double({ min: 1e-3, max: 1e3, noNaN: true })),
    fc.array(fc.option(fc.tuple(fc.double(), fc.double(), fc.double()), { nil: null }), { minLength: 1, maxLength: 12 }),
    async (kind, isTensor, method, weights, cells) => {
      // product is defined for values >= 0 (negative ones are row errors, tested below).
      const vals = cells.map((c) => (c === null ? null : c.map((x) => (kind === 'float32' ? Math.fround(x) : x)).map((x) => (method === 'product' ? Math.abs(x) : x))));
      const item = ELEMENT[kind];
      const dtype: DType = isTensor ? dt.tensor(item, [3]) : item;
      const Arr = kind === 'float32' ? Float32Array : Float64Array;
      const cell = (v: number[] | null) => (v === null ? null : isTensor ? { data: Arr.from(v), shape: [3] } : v[0]!);
      // 'z' is never present: the lone present input 's' is weighed against nothing.
      const ds = fromRows(vals.map((v) => ({ s: cell(v), z: null })), { s: dtype, z: dtype });
      const o = await ds.map(lateFuse({ columns: ['s', 'z'], dtype, method, weights, output: 'o' }) as never).compute();
      const got = column(o, 'o');
      const type = (name: string) => String(o.schema.fields.find((f) => f.name === name)!.type);
      if (method === 'vote' && isTensor) {
        assert.equal(type('o'), 'Int32');
        const argmax = (v: number[]) => v.reduce((b, x, j) => (x > v[b]! ? j : b), 0);
        assert.deepEqual(got, vals.map((v) => (v === null ? null : argmax(v))));
        return;
      }
      assert.equal(type('o'), type('s'), 'same dtype (float64 is not narrowed, float32 not widened)');
      assert.deepEqual(isTensor ? got.map((v) => (v === null ? null : Array.from((v as Tensor).data as Float64Array))) : got, vals.map((v) => (v === null ? null : isTensor ? v : v[0]!)));
    }), { numRuns: 80 });
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
  const close = (got: unknown[], want: (number | null)[]) => got.forEach((g, i) => (want[i] === null ? assert.equal(g, null) : assert.ok(Math.abs((g as number) - want[i]!) <= 1e-15 * Math.abs(want[i]!), `row ${i}: ${String(g)} vs ${want[i]}`)));
  close(await run(lateFuse({ columns: ['a', 'b', 'c'], method: 'mean', weights: [3, 1, 1], output: 'o' })), [(3 * 0.2 + 1 * 0.8) / 4, null, (3 * 0.5 + 1 * 0.25) / 4]);
  assert.deepEqual(await run(lateFuse({ columns: ['a', 'b', 'c'], method: 'max', output: 'o' })), [0.8, null, 0.5]);
  // max weighs by wᵢ/max w over the present inputs: row 0 max(0.2·½, 0.8·1); row 2 (b missing) max(0.5, 0.25).
  assert.deepEqual(await run(lateFuse({ columns: ['a', 'b', 'c'], method: 'max', weights: [1, 2, 1], output: 'o' })), [0.8, null, 0.5]);
  assert.deepEqual(await run(lateFuse({ columns: ['a', 'b', 'c'], method: 'max', weights: [1, 4, 2], output: 'o' })), [0.8, null, 0.5 * 0.5]);
  // product is the weighted geometric mean Π xᵢ^(wᵢ/Σw) over the present inputs.
  close(await run(lateFuse({ columns: ['a', 'b', 'c'], method: 'product', weights: [2, 1, 1], output: 'o' })), [Math.cbrt(0.2 ** 2 * 0.8), null, Math.cbrt(0.5 ** 2 * 0.25)]);
  // Votes of argmaxes — row 0: class 1 (pa) vs class 0 (pb, pc); row 2: class 2 (pa) vs class 0 (pc).
  assert.deepEqual(await run(lateFuse({ columns: ['pa', 'pb', 'pc'], dtype: P, method: 'vote', output: 'o' })), [0, null, 0]);
  assert.deepEqual(await run(lateFuse({ columns: ['pa', 'pb', 'pc'], dtype: P, method: 'vote', weights: [3, 1, 1], output: 'o' })), [1, null, 2]);
  // A tied vote goes to the smallest class: 1 vs 0 with equal weight.
  assert.deepEqual(await run(lateFuse({ columns: ['pa', 'pb', 'pc'], dtype: P, method: 'vote', weights: [2, 1, 1], output: 'o' })), [0, null, 2]);
  const mean = await run(lateFuse({ columns: ['pa', 'pb'], dtype: P, method: 'mean', output: 'o' }));
  assert.deepEqual(arr(mean[0]), [0.3, 0.475, 0.225].map(f32));
  assert.deepEqual(arr(mean[2]), [0.2, 0.2, 0.6].map(f32));
  assert.throws(() => lateFuse({ columns: ['a', 'b'], method: 'mean', weights: [1], output: 'o' }), /weights must be 2/);
  assert.throws(() => lateFuse({ columns: ['a', 'b'], method: 'mean', weights: [1, 0], output: 'o' }), /finite numbers > 0.*leave a column out/s);
});

test('late fusion keeps float64 precision, gives float64 for integers, and refuses negative values in a product', async () => {
  const P64 = dt.tensor(dt.float64(), [2]);
  const t = (...v: number[]) => ({ data: Float64Array.of(...v), shape: [2] });
  const ds = fromRows([
    { pa: t(0.1, 1 / 3), pb: t(0.3, 1e-300), ia: 3, ib: 4 },
    { pa: t(0.5, 0.5), pb: t(-0.5, 1), ia: -7, ib: null },
  ], { pa: P64, pb: P64, ia: dt.int32(), ib: dt.int32() });
  const mean = await ds.map(lateFuse({ columns: ['pa', 'pb'], dtype: P64, method: 'mean', output: 'o' })).compute();
  assert.equal(String(mean.schema.fields.find((f) => f.name === 'o')!.type), 'FixedSizeList[2]<Float64>');
  assert.deepEqual(Array.from((column(mean, 'o')[0] as Tensor).data as Float64Array), [0.5 * 0.1 + 0.5 * 0.3, 0.5 * (1 / 3) + 0.5 * 1e-300], 'no float32 rounding');
  const ints = await ds.map(lateFuse({ columns: ['ia', 'ib'], dtype: dt.int32(), method: 'mean', weights: [1, 3], output: 'o' })).compute();
  assert.equal(String(ints.schema.fields.find((f) => f.name === 'o')!.type), 'Float64');
  assert.deepEqual(column(ints, 'o'), [0.25 * 3 + 0.75 * 4, -7]);
  // Row 1's pb has a negative element: a row error naming the op, the column and the way out.
  const prod = ds.map(lateFuse({ columns: ['pa', 'pb'], dtype: P64, method: 'product', output: 'o' }));
  await assert.rejects(prod.compute(), /fusion\.late-fuse.*'pb' has -0\.5 at element 0; use method 'mean' or 'max'/s);
  const q = await prod.compute({ onError: 'quarantine' });
  assert.equal(q.numRows, 1);
  assert.deepEqual(column(q.report.quarantine!, 'column'), ['pb']);
  assert.deepEqual(column(q.report.quarantine!, 'source_row'), [1n]);
  assert.deepEqual(Array.from((column(q, 'o')[0] as Tensor).data as Float64Array), [Math.sqrt(0.1) * Math.sqrt(0.3), Math.sqrt(1 / 3) * Math.sqrt(1e-300)]);
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

test('early fusion refuses a negative, NaN or infinite weight when the plan is built, naming the part and the fix', () => {
  const V3 = dt.tensor(dt.float32(), [3]);
  for (const weight of [-1, -1e-9, NaN, Infinity, -Infinity, '2' as unknown as number]) {
    assert.throws(() => earlyFuse({ parts: [{ column: 's', dtype: dt.float64() }, { column: 'a', dtype: V3, weight }], output: 'x' }), (e: unknown) => {
      const err = e as ModaflowError;
      assert.equal(err.op, 'fusion.early-fuse');
      assert.equal(err.column, 'a');
      assert.match(err.message, new RegExp(`part 'a' has weight ${String(weight)}; a weight is a finite number >= 0`));
      assert.match(err.fix ?? '', /weight >= 0/);
      return true;
    }, String(weight));
  }
  for (const weight of [0, 0.5, 1, 1e6]) earlyFuse({ parts: [{ column: 'a', dtype: V3, weight }], output: 'x' });
});

test('early fusion: a NaN or ±Infinity in a part, or a value scaled past float32, is a row error naming op, part and row (checkFinite: false lets it through); a huge part still l2-normalizes', async () => {
  const V3 = dt.tensor(dt.float64(), [3]);
  const vec = (...v: number[]) => ({ data: Float64Array.from(v), shape: [3] });
  const rows = [
    { a: vec(1, 2, 3), s: 1 },
    { a: vec(1, NaN, 3), s: 1 },
    { a: vec(1, 2, 3), s: -Infinity },
    { a: vec(1, 2, 3), s: 1e39 }, // finite in float64, Infinity in float32
    { a: vec(3e200, 0, -4e200), s: 2 },
  ];
  const ds = fromRows(rows, { a: V3, s: dt.float64() });
  const fuse = (checkFinite?: boolean) => ds.map(earlyFuse({ parts: [{ column: 'a', dtype: V3, normalize: 'l2' }, { column: 's', dtype: dt.float64() }], output: 'x', ...(checkFinite === undefined ? {} : { checkFinite }) }));
  await assert.rejects(fuse().compute(), (e: unknown) => {
    const err = e as ModaflowError;
    assert.equal(err.op, 'fusion.early-fuse');
    assert.equal(err.column, 'a');
    assert.equal(err.row, 1);
    assert.match(err.message, /part 'a' has NaN at element 1 — fix: .*checkFinite: false/);
    return true;
  });
  const q = await fuse().compute({ onError: 'quarantine' });
  assert.equal(q.report.quarantined, 3);
  assert.deepEqual(column(q.report.quarantine!, 'source_row'), [1n, 2n, 3n]);
  assert.deepEqual(column(q.report.quarantine!, 'column'), ['a', 's', 's']);
  const msgs = column(q.report.quarantine!, 'message') as string[];
  assert.match(msgs[1]!, /part 's' has -Infinity at element 0/);
  assert.match(msgs[2]!, /part 's' element 0 \(1e\+39\) is Infinity in float32 after normalize 'none' and weight 1 — fix: normalize the part/);
  const x = column(q, 'x').map(arr);
  const n = Math.sqrt(14);
  assert.deepEqual(x, [[1 / n, 2 / n, 3 / n, 1].map(f32), [0.6, 0, -0.8, 2].map(f32)]); // Σx² of row 4 overflows: it was zeros
  const through = column(await fuse(false).compute(), 'x').map(arr);
  assert.equal(through.length, 5);
  assert.deepEqual(through[1], [0, NaN, 0, 1]); // a NaN norm: scale 0, the NaN stays
  assert.deepEqual(through[2]!.slice(3), [-Infinity]);
  assert.deepEqual(through[3]!.slice(3), [Infinity]);
  assert.throws(() => earlyFuse({ parts: [{ column: 'a', dtype: V3 }], output: 'x', checkFinite: 'no' as unknown as boolean }), /checkFinite must be true or false/);
});

test('law: l2, minmax and standardize parts are scale-free: a part scaled by 2^k (far past x² overflow, down into the subnormals) fuses to the same values', async () => {
  const V4 = dt.tensor(dt.float64(), [4]);
  await fc.assert(fc.asyncProperty(
    // (Integers up to 1000 times 2^k stay exact down to k = −1064: subnormals hold them whole.)
    fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 4, maxLength: 4 }), fc.integer({ min: -1064, max: 1000 }), fc.constantFrom('l2' as const, 'minmax' as const, 'standardize' as const),
    async (v, k, normalize) => {
      const fused = async (e: number) => {
        const t = await fromRows([{ p: { data: Float64Array.from(v, (x) => x * 2 ** Math.ceil(e / 2) * 2 ** Math.floor(e / 2)), shape: [4] } }], { p: V4 })
          .map(earlyFuse({ parts: [{ column: 'p', dtype: V4, normalize }], output: 'x' })).compute();
        return arr(column(t, 'x')[0]);
      };
      const [a, b] = [await fused(k), await fused(0)];
      a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) <= 1e-6 * Math.max(1, Math.abs(b[i]!)), `k=${k} element ${i}: ${x} vs ${b[i]}`));
    }), { numRuns: 100 });
});
