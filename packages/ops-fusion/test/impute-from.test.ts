// Imputing a missing modality from another one: nearest neighbour (laws against a brute-force
// reference, order/batch/worker invariance) and an ONNX projection (against the same projection
// computed in JS; the model is generated, never downloaded).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { dt, fromRows, onnx, shutdownPools } from '@modaflow/core';
import type { Tensor } from '@modaflow/core';
import { imputeModel, imputeNearest, maskMissing } from '../src/index.ts';
import { rowsOf } from './helpers.ts';

after(() => shutdownPools());

const F2 = dt.tensor(dt.float32(), [2]);
const T3 = dt.tensor(dt.float64(), [3]);
const nums = (v: unknown) => (v === null ? null : Array.from((v as Tensor).data as ArrayLike<number>));

test('imputeNearest: a missing value is copied from the row nearest in the other modality (l2 and cosine); present values stay', async () => {
  const ds = fromRows([
    { id: 0, img: { data: Float32Array.of(0, 0), shape: [2] }, aud: 1 },
    { id: 1, img: { data: Float32Array.of(10, 10), shape: [2] }, aud: 2 },
    { id: 2, img: { data: Float32Array.of(0, 10), shape: [2] }, aud: 3 },
    { id: 3, img: { data: Float32Array.of(1, 1), shape: [2] }, aud: null },
    { id: 4, img: { data: Float32Array.of(9, 8), shape: [2] }, aud: null },
    { id: 5, img: { data: Float32Array.of(1, 9), shape: [2] }, aud: null },
    { id: 6, img: { data: Float32Array.of(20, 1), shape: [2] }, aud: null },
  ], { id: dt.int32(), img: F2, aud: dt.float64() });
  const l2 = rowsOf(await ds.map(imputeNearest({ column: 'aud', dtype: dt.float64(), from: 'img', fromDtype: F2 })).compute({ batchSize: 2 }));
  assert.deepEqual(l2.map((r) => r['aud']), [1, 2, 3, 1, 2, 3, 2]);
  // Cosine compares directions: (1, 1) is (10, 10)'s, and (0, 0) has none (distance 1 from all).
  const cos = rowsOf(await ds.map(imputeNearest({ column: 'aud', dtype: dt.float64(), from: 'img', fromDtype: F2, metric: 'cosine', output: 'a2' })).compute());
  assert.deepEqual(cos.map((r) => r['a2']), [1, 2, 3, 2, 2, 3, 2]);
  assert.deepEqual(cos.map((r) => r['aud']), [1, 2, 3, null, null, null, null], 'output: the source column is kept');
  // k = 2: the mean of the two nearest (row 3: (0,0) at 2, (0,10) at 82, (10,10) at 162 → (1+3)/2).
  const k2 = rowsOf(await ds.map(imputeNearest({ column: 'aud', dtype: dt.float64(), from: 'img', fromDtype: F2, k: 2 })).compute());
  assert.equal(k2[3]!['aud'], 2);
});

test('law: imputeNearest fills each row with the value of a reference row at the least distance, whatever the order, batch size or workers', async () => {
  const rowArb = fc.record({
    img: fc.option(fc.tuple(fc.integer({ min: -4, max: 4 }), fc.integer({ min: -4, max: 4 })), { nil: null, freq: 6 }),
    aud: fc.option(fc.tuple(fc.integer({ min: -9, max: 9 }), fc.integer({ min: -9, max: 9 }), fc.integer({ min: -9, max: 9 })), { nil: null, freq: 3 }),
  });
  await fc.assert(fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 9 }), fc.boolean(), async (raw, batchSize, reversed) => {
    const rows = raw.map((r, i) => ({
      i, img: r.img && { data: Float32Array.from(r.img), shape: [2] }, aud: r.aud && { data: Float64Array.from(r.aud), shape: [3] },
    }));
    const schema = { i: dt.int32(), img: F2, aud: T3 };
    const op = imputeNearest({ column: 'aud', dtype: T3, from: 'img', fromDtype: F2 });
    const run = async (rs: typeof rows, workers: number) => {
      const out = await fromRows(reversed ? [...rs].reverse() : rs, schema).map(op).run({ batchSize, workers, onError: 'skip' });
      return { rows: rowsOf(out.table).sort((a, b) => (a['i'] as number) - (b['i'] as number)), failed: out.report.failed };
    };
    const got = await run(rows, 0);
    const refs = rows.filter((r) => r.img && r.aud);
    const missing = rows.filter((r) => !r.aud);
    // Rows missing both, or with nothing to search, are row errors (counted); the rest are kept.
    const bad = missing.filter((r) => !r.img || refs.length === 0).length;
    assert.equal(got.failed, bad);
    assert.equal(got.rows.length, rows.length - bad);
    const d = (a: ArrayLike<number>, b: ArrayLike<number>) => (a[0]! - b[0]!) ** 2 + (a[1]! - b[1]!) ** 2;
    for (const r of got.rows) {
      const src = rows[r['i'] as number]!;
      if (src.aud) { assert.deepEqual(nums(r['aud']), Array.from(src.aud.data)); continue; }
      const dmin = Math.min(...refs.map((x) => d(x.img!.data, src.img!.data)));
      const at = refs.filter((x) => d(x.img!.data, src.img!.data) === dmin);
      // The nearest, ties to the smallest source row id (fromRows numbers rows in input order).
      const tie = reversed ? at[at.length - 1]! : at[0]!;
      assert.deepEqual(nums(r['aud']), Array.from(tie.aud!.data));
    }
    assert.deepEqual(await run(rows, 2), got);
  }), { numRuns: 25 });
});

test('imputeNearest: a reference set past maxReference is a deterministic sample (the same fills for any batch size); errors name op and column', async () => {
  const rows = Array.from({ length: 300 }, (_, i) => ({ x: (i * 37) % 101, y: i % 7 === 0 ? null : (i * 37) % 101 + 0.5 }));
  const ds = fromRows(rows, { x: dt.float64(), y: dt.float64() }).map(imputeNearest({ column: 'y', dtype: dt.float64(), from: 'x', fromDtype: dt.float64(), maxReference: 20 }));
  const a = rowsOf(await ds.compute({ batchSize: 7 })), b = rowsOf(await ds.compute({ batchSize: 300 }));
  assert.deepEqual(a, b);
  const filled = a.filter((_, i) => i % 7 === 0).map((r) => r['y'] as number);
  assert.ok(new Set(filled).size <= 20, 'fills come from at most maxReference rows');
  const complete = new Set(rows.filter((r) => r.y !== null).map((r) => r.y));
  assert.ok(filled.every((v) => complete.has(v)), 'fills are values of complete rows');
  assert.throws(() => imputeNearest({ column: 'y', dtype: dt.float64(), from: 'x', fromDtype: dt.varTensor(dt.float32(), 1) }), (e: Error & { op?: string; column?: string }) => e.op === 'fusion.impute-nearest' && e.column === 'x' && /fixed width/.test(e.message));
  assert.throws(() => imputeNearest({ column: 'y', dtype: dt.float64(), from: 'y', fromDtype: dt.float64() }), /cannot be imputed from itself/);
  await assert.rejects(
    fromRows([{ x: null, y: null }, { x: 1, y: 2 }], { x: dt.float64(), y: dt.float64() }).map(imputeNearest({ column: 'y', dtype: dt.float64(), from: 'x', fromDtype: dt.float64() })).compute(),
    (e: Error & { op?: string; column?: string; row?: number }) => e.op === 'fusion.impute-nearest' && e.column === 'y' && e.row === 0 && /no value to impute from/.test(e.message),
  );
});

/** A linear projection y = x·W + b as an ONNX model (float32), and the same in JS. */
function projection(dir: string, din: number, dout: number) {
  const rand = onnx.seededUniform(11);
  const W = Float32Array.from({ length: din * dout }, () => rand() * 2 - 1), B = Float32Array.from({ length: dout }, () => rand() - 0.5);
  const g = new onnx.OnnxGraphBuilder('proj');
  g.input('x', 'float32', ['batch', din]);
  g.node('Gemm', ['x', g.initializer('W', W, [din, dout]), g.initializer('B', B, [dout])], ['y']);
  g.output('y', 'float32', ['batch', dout]);
  const path = join(dir, `proj-${din}-${dout}.onnx`);
  writeFileSync(path, g.toBytes());
  const js = (x: ArrayLike<number>) => Array.from({ length: dout }, (_, j) => {
    let s = B[j]!;
    for (let i = 0; i < din; i++) s += Math.fround(x[i]!) * W[i * dout + j]!;
    return s;
  });
  return { path, js };
}

test('imputeModel: rows missing the column get the ONNX projection of the other modality (to 1e-5 of the same in JS); present rows stay; no input is a counted row error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'modaflow-impute-'));
  const { path, js } = projection(dir, 4, 3);
  const IMG = dt.tensor(dt.float32(), [4]), AUD = dt.tensor(dt.float32(), [3]);
  const rows = Array.from({ length: 50 }, (_, i) => ({
    img: i % 11 === 5 ? null : { data: Float32Array.from({ length: 4 }, (_, j) => Math.sin(i + j)), shape: [4] },
    aud: i % 3 === 0 ? null : { data: Float32Array.of(i, -i, 0.5), shape: [3] },
  }));
  const ds = fromRows(rows, { img: IMG, aud: AUD }).map(maskMissing({ columns: { aud: AUD } })).map(imputeModel({ column: 'aud', dtype: AUD, from: 'img', model: path }));
  for (const workers of [0, 2]) {
    const { table, report } = await ds.run({ workers, batchSize: 8, onError: 'quarantine' });
    const out = rowsOf(table);
    const lost = rows.filter((r) => !r.aud && !r.img).length;
    assert.equal(report.quarantined, lost);
    assert.equal(out.length, rows.length - lost);
    let k = 0;
    for (const r of rows) {
      if (!r.aud && !r.img) continue;
      const o = out[k++]!;
      assert.equal(o['aud_present'], r.aud !== null);
      const got = nums(o['aud'])!;
      const want = r.aud ? Array.from(r.aud.data) : js(r.img!.data);
      got.forEach((v, j) => assert.ok(Math.abs(v - want[j]!) <= 1e-5 * Math.max(1, Math.abs(want[j]!)), `row ${k - 1}[${j}]: ${v} vs ${want[j]}`));
    }
  }
  // Plan time: the model's output width must be the column's.
  assert.throws(() => fromRows([], { img: IMG, aud: dt.tensor(dt.float32(), [5]) }).map(imputeModel({ column: 'aud', dtype: dt.tensor(dt.float32(), [5]), from: 'img', model: path })),
    (e: Error & { op?: string; column?: string }) => e.op === 'fusion.impute-model' && e.column === 'aud' && /gives 3 values per row/.test(e.message));
});

test('law: imputeNearest fills the same rows the same way when the searched modality is scaled by 2^k, far past x² overflow and into the subnormals (l2 and cosine)', async () => {
  const F3 = dt.tensor(dt.float64(), [3]);
  await fc.assert(fc.asyncProperty(
    fc.array(fc.record({ v: fc.tuple(fc.integer({ min: -9, max: 9 }), fc.integer({ min: -9, max: 9 }), fc.integer({ min: -9, max: 9 })), y: fc.option(fc.integer({ min: 0, max: 99 }), { nil: null, freq: 3 }) }), { minLength: 2, maxLength: 25 }),
    fc.integer({ min: -1060, max: 1000 }), fc.constantFrom('l2' as const, 'cosine' as const), fc.integer({ min: 1, max: 3 }),
    async (raw, k, metric, kn) => {
      const fills = async (e: number) => {
        const rows = raw.map((r, i) => ({ i, v: { data: Float64Array.from(r.v, (x) => x * 2 ** Math.ceil(e / 2) * 2 ** Math.floor(e / 2)), shape: [3] }, y: r.y }));
        const t = await fromRows(rows, { i: dt.int32(), v: F3, y: dt.float64() }).map(imputeNearest({ column: 'y', dtype: dt.float64(), from: 'v', fromDtype: F3, metric, k: kn })).run({ onError: 'skip' });
        return rowsOf(t.table).map((r) => [r['i'], r['y']]);
      };
      assert.deepEqual(await fills(k), await fills(0));
    }), { numRuns: 60 });
});
