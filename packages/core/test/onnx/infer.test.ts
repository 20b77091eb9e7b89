// onnx.infer through the Dataset API: equal to a direct onnxruntime run, independent of batch size
// and maxBatch, plan-time signature checks, per-row errors under the run's policy, session reuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { onnx, dt, fromRows, ModaflowError } from '../../src/index.ts';
import type { Tensor } from '../../src/index.ts';
import { rowsOf, tempDir } from '../helpers.ts';
import { assertClose, refImage } from './reference.ts';
import { sessionProbe } from './session-probe.ts';

const dir = tempDir('modaflow-onnx-infer-');
const image = onnx.tinyImageEncoder({ seed: 21 });
const IMG = join(dir, 'image.onnx');
writeFileSync(IMG, image.bytes);
const fixed = onnx.tinyImageEncoder({ seed: 22, size: 6 });
const FIXED = join(dir, 'fixed.onnx');
writeFileSync(FIXED, fixed.bytes);
const text = onnx.tinyTextEncoder({ seed: 23 });
const TXT = join(dir, 'text.onnx');
writeFileSync(TXT, text.bytes);

const rand = onnx.seededUniform(99);
const img = (h: number, w: number): Tensor<Float32Array> => ({ data: new Float32Array(3 * h * w).map(() => rand() * 2 - 1), shape: [3, h, w] });
const fixedSchema = { id: dt.int32(), pixels: dt.tensor(dt.float32(), [3, 6, 6]) };
const images = Array.from({ length: 11 }, (_, i) => ({ id: i, pixels: img(6, 6) }));

const call = (extra: Omit<Partial<onnx.InferParams>, 'inputs' | 'outputs'> = {}) =>
  onnx.infer({ model: IMG, inputs: { pixels: 'pixels' }, outputs: { emb: 'embedding' }, ...extra });

async function embeddings(t: Awaited<ReturnType<ReturnType<typeof fromRows>['compute']>>): Promise<(Float32Array | null)[]> {
  return rowsOf(t).map((r) => (r.emb === null ? null : ((r.emb as Tensor).data as Float32Array)));
}

test('infer equals one direct onnxruntime run over the same rows, and the TS reference', async () => {
  const t = await fromRows(images, fixedSchema).map(call()).compute({ workers: 0 });
  assert.equal(t.schema.fields.find((f) => f.name === 'emb')!.type.toString().includes('FixedSizeList'), true);
  const got = await embeddings(t);
  const s = await ort.InferenceSession.create(image.bytes);
  const x = new Float32Array(11 * 108);
  images.forEach((r, i) => x.set(r.pixels.data, i * 108));
  const direct = (await s.run({ pixels: new ort.Tensor('float32', x, [11, 3, 6, 6]) })).embedding!.data as Float32Array;
  got.forEach((e, i) => {
    assertClose(e!, direct.subarray(i * 16, (i + 1) * 16), 1e-6, 1e-5, `row ${i} vs direct`);
    assertClose(e!, refImage(image.weights, images[i]!.pixels.data, 3, 6, 6), 1e-5, 1e-4, `row ${i} vs reference`);
  });
});

test('law: batch size, maxBatch and worker count do not change results (batched ≡ row by row)', async () => {
  const base = await embeddings(await fromRows(images, fixedSchema).map(call({ maxBatch: 1 })).compute({ batchSize: 1, workers: 0 }));
  await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.constantFrom(0, 2), async (batchSize, maxBatch, workers) => {
    const got = await embeddings(await fromRows(images, fixedSchema).map(call({ maxBatch })).compute({ batchSize, workers }));
    got.forEach((e, i) => assertClose(e!, base[i]!, 1e-6, 1e-5, `row ${i}`));
  }), { numRuns: 6 });
});

test('rows of different image sizes run grouped by shape and equal their row-by-row results', async () => {
  const rows = [img(6, 6), img(5, 7), img(6, 6), img(4, 4), img(5, 7)].map((pixels, id) => ({ id, pixels }));
  const schema = { id: dt.int32(), pixels: dt.varTensor(dt.float32(), 3) };
  const got = await embeddings(await fromRows(rows, schema).map(call()).compute({ workers: 0 }));
  rows.forEach((r, i) => assertClose(got[i]!, refImage(image.weights, r.pixels.data, 3, r.pixels.shape[1]!, r.pixels.shape[2]!), 1e-5, 1e-4, `row ${i}`));
});

test('null rows give null outputs, not errors', async () => {
  const rows = images.slice(0, 4).map((r, i) => ({ ...r, pixels: i === 2 ? null : r.pixels }));
  const t = await fromRows(rows, fixedSchema).map(call()).compute({ workers: 0 });
  const got = await embeddings(t);
  assert.equal(got[2], null);
  assert.ok(got[0] && got[3]);
  assert.equal(t.report.rowsOut, 4);
});

test('plan-time checks: missing file, unknown input/output, wrong dtype, rank, size and unfed inputs', () => {
  const ds = fromRows(images, fixedSchema);
  const code = (c: string, re: RegExp) => (e: ModaflowError) => e.code === c && re.test(e.message) && e.op === 'onnx.infer';
  assert.throws(() => ds.map(call({ model: join(dir, 'missing.onnx') })), code('MF_FILE_MISSING', /missing\.onnx does not exist/));
  assert.throws(() => ds.map(onnx.infer({ model: IMG, inputs: { pixels: 'image' }, outputs: { emb: 'embedding' } })), code('MF_MODEL', /no input 'image'; its inputs are pixels: float32\[batch,3,height,width\]/));
  assert.throws(() => ds.map(onnx.infer({ model: IMG, inputs: { pixels: 'pixels' }, outputs: { emb: 'logits' } })), code('MF_MODEL', /no output 'logits'/));
  const u8 = fromRows([{ pixels: { data: new Uint8Array(108), shape: [3, 6, 6] } }], { pixels: dt.tensor(dt.uint8(), [3, 6, 6]) });
  assert.throws(() => u8.map(call()), (e: ModaflowError) => e.code === 'MF_DTYPE_MISMATCH' && /pixels/.test(e.message));
  const hwc = fromRows([{ pixels: { data: new Float32Array(36), shape: [6, 6] } }], { pixels: dt.tensor(dt.float32(), [6, 6]) });
  assert.throws(() => hwc.map(call()), (e: ModaflowError) => e.code === 'MF_DTYPE_MISMATCH');
  const big = fromRows([{ pixels: { data: new Float32Array(3 * 64), shape: [3, 8, 8] } }], { pixels: dt.tensor(dt.float32(), [3, 8, 8]) });
  assert.throws(() => big.map(onnx.infer({ model: FIXED, inputs: { pixels: 'pixels' }, outputs: { emb: 'embedding' } })), code('MF_DTYPE_MISMATCH', /dimension 2: 8 ≠ 6/));
  const ids = fromRows([{ ids: [1, 2] }], { ids: dt.list(dt.int32()) });
  assert.throws(() => ids.map(onnx.infer({ model: TXT, inputs: { ids: 'input_ids' }, outputs: { h: 'sentence_embedding' }, inputDtypes: { ids: dt.list(dt.int32()) } })), code('MF_MODEL', /'attention_mask' are not fed/));
  assert.throws(() => call({ maxBatch: 0 }), (e: ModaflowError) => e.code === 'MF_INVALID_ARGUMENT');
});

test('a wrong-shape row and a NaN row are per-row errors under skip and quarantine', async () => {
  const rows = [img(6, 6), { data: new Float32Array(3 * 25), shape: [3, 5, 5] }, img(6, 6), img(6, 6)].map((pixels, id) => ({ id, pixels }));
  (rows[2]!.pixels.data as Float32Array)[7] = NaN;
  const ds = fromRows(rows, { id: dt.int32(), pixels: dt.varTensor(dt.float32(), 3) })
    .map(onnx.infer({ model: FIXED, inputs: { pixels: 'pixels' }, outputs: { emb: 'embedding' } }));
  await assert.rejects(ds.compute({ workers: 0 }), (e: ModaflowError) => e.code === 'MF_DTYPE_MISMATCH' && e.row === 1 && /\[3,5,5\].*float32\[batch,3,6,6\]/.test(e.message));
  const skipped = await ds.compute({ onError: 'skip', workers: 0 });
  assert.deepEqual(rowsOf(skipped).map((r) => r.id), [0, 3]);
  assert.equal(skipped.report.skipped, 2);
  const q = await ds.compute({ onError: 'quarantine', workers: 0 });
  const bad = rowsOf(q.report.quarantine!).map((r) => [r.code, r.column]);
  assert.deepEqual(bad, [['MF_DTYPE_MISMATCH', 'pixels'], ['MF_ROW_ERROR', 'pixels']]);
});

test('a model error on one row of a batch fails only that row (the batch is retried row by row)', async () => {
  // Token id 1000 is outside the 100-word vocabulary: Gather fails for that row only.
  const rows = [[1, 2, 3], [4, 1000, 6], [7, 8, 9]].map((ids, id) => ({ id, ids: { data: BigInt64Array.from(ids.map(BigInt)), shape: [3] } }));
  const ds = fromRows(rows, { id: dt.int32(), ids: dt.tensor(dt.int64(), [3]) })
    .map(onnx.infer({ model: TXT, inputs: { ids: 'input_ids' }, masks: { attention_mask: 'ids' }, pad: { ids: 0 }, outputs: { emb: 'sentence_embedding' } }));
  const t = await ds.compute({ onError: 'quarantine', workers: 0 });
  assert.deepEqual(rowsOf(t).map((r) => r.id), [0, 2]);
  const q = rowsOf(t.report.quarantine!);
  assert.equal(q.length, 1);
  assert.equal(q[0]!.code, 'MF_MODEL');
});

test('a NaN model output (all-zero attention mask → 0/0) is a row error', async () => {
  const rows = [{ ids: [1n, 2n], m: [1n, 1n] }, { ids: [3n, 4n], m: [0n, 0n] }];
  const ds = fromRows(rows, { ids: dt.list(dt.int64()), m: dt.list(dt.int64()) })
    .map(onnx.infer({ model: TXT, inputs: { ids: 'input_ids', m: 'attention_mask' }, inputDtypes: { ids: dt.list(dt.int64()), m: dt.list(dt.int64()) }, outputs: { emb: 'sentence_embedding' } }));
  const t = await ds.compute({ onError: 'skip', workers: 0 });
  assert.equal(t.numRows, 1);
  assert.equal(t.report.skipped, 1);
});

test('padding with a derived mask: batched text rows of different lengths equal row-by-row runs', async () => {
  const seqs = [[5, 6, 7, 8, 9], [10, 11], [12, 13, 14], [1]];
  const ds = (maxBatch: number) => fromRows(seqs.map((ids) => ({ ids })), { ids: dt.list(dt.int32()) })
    .map(onnx.infer({
      model: TXT, inputs: { ids: 'input_ids' }, inputDtypes: { ids: dt.list(dt.int32()) }, pad: { ids: 0 }, masks: { attention_mask: 'ids' },
      outputs: { emb: 'sentence_embedding' }, maxBatch,
    }));
  const one = rowsOf(await ds(1).compute({ workers: 0 }));
  const all = rowsOf(await ds(8).compute({ workers: 0 }));
  one.forEach((r, i) => assertClose((all[i]!.emb as Tensor).data as Float32Array, (r.emb as Tensor).data as Float32Array, 1e-6, 1e-5, `row ${i}`));
});

test('sessions: one per model per thread, shared by ops and branches, created lazily', async () => {
  const before = onnx.sessionStats().created;
  const ds = fromRows(images, fixedSchema);
  const a = ds.map(call({ session: { intraOpThreads: 1 } })).rename({ emb: 'a' });
  const b = a.map(call({ session: { intraOpThreads: 1 }, maxBatch: 3 }));
  const t = await b.compute({ batchSize: 4, workers: 0 });
  assert.equal(t.numRows, 11);
  assert.equal(onnx.sessionStats().created - before, 1, 'two ops on the same model share one session');
  await b.compute({ batchSize: 2, workers: 0 });
  assert.equal(onnx.sessionStats().created - before, 1, 'a second run reuses it');
});

test('sessions on the worker pool: each worker creates the session once, whatever the number of batches', async () => {
  const rows = Array.from({ length: 40 }, (_, i) => ({ id: i, pixels: images[i % images.length]!.pixels }));
  const t = await fromRows(rows, fixedSchema)
    .map(call({ session: { intraOpThreads: 1 } }))
    .map(call({ session: { intraOpThreads: 1 }, maxBatch: 2 })) // same model, other params: shares the session
    .map(sessionProbe())
    .compute({ batchSize: 2, workers: 2 });
  const perThread = new Map<number, number>();
  for (const r of rowsOf(t)) perThread.set(r.thread as number, Math.max(perThread.get(r.thread as number) ?? 0, r.sessions as number));
  assert.equal(t.numRows, 40);
  assert.ok(perThread.size >= 1 && perThread.size <= 2, `ran on ${perThread.size} threads`);
  for (const [thread, created] of perThread) assert.equal(created, 1, `thread ${thread} created ${created} sessions for 20 batches`);
});
