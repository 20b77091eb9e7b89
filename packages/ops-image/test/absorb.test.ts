// The planner's fold-into-op rule with image.decode's absorb(): decode → resize becomes one decode
// with the resize inside. 'exact' must not change a single pixel; 'fast' (shrink-on-load) keeps
// shapes and stays close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dt, fromRows, type Tensor } from '@modaflow/core';
import { IMAGE_U8, decodeImage, resize, centerCrop, toTensor } from '../src/index.ts';
import { col } from './helpers.ts';

const dir = join(new URL('.', import.meta.url).pathname, '..', '..', '..', 'examples', 'data', 'dataset', 'images');
const paths = readdirSync(dir).sort().map((f) => ({ path: join(dir, f) }));
const source = () => fromRows(paths, { path: dt.utf8() });
const W0 = { workers: 0 } as const;

test("decode → resize folds into one decode; policy 'exact' gives identical pixels", async () => {
  const ds = source().map(decodeImage({ column: 'path', output: 'image' })).map(resize({ column: 'image', size: 256 })).map(centerCrop({ column: 'image', size: 224 }));
  const plan = ds.explain();
  assert.match(plan, /image\.decode absorbed image\.resize/);
  assert.match(plan, /image\.decode absorbed image\.center-crop/);
  const optimized = col<Tensor>(await ds.compute(W0), 'image', IMAGE_U8);
  const plain = col<Tensor>(await ds.compute({ ...W0, optimizer: false }), 'image', IMAGE_U8);
  assert.equal(optimized.length, paths.length);
  optimized.forEach((t, i) => { assert.deepEqual(t.shape, plain[i]!.shape); assert.deepEqual(t.data, plain[i]!.data, paths[i]!.path); });
});

test("policy 'fast' (shrink-on-load) keeps every shape and stays within a few levels", async () => {
  const mk = (shrink: 'fast' | 'off') => source().map(decodeImage({ column: 'path', output: 'image', shrink })).map(resize({ column: 'image', size: 128 }));
  assert.match(mk('fast').explain(), /absorbed/);
  assert.doesNotMatch(mk('off').explain(), /absorbed/);
  const fast = col<Tensor>(await mk('fast').compute(W0), 'image', IMAGE_U8);
  const ref = col<Tensor>(await mk('off').compute(W0), 'image', IMAGE_U8);
  let sum = 0, n = 0;
  fast.forEach((t, i) => {
    assert.deepEqual(t.shape, ref[i]!.shape);
    for (let j = 0; j < t.data.length; j++) sum += Math.abs((t.data[j] as number) - (ref[i]!.data[j] as number));
    n += t.data.length;
  });
  assert.ok(sum / n < 2, `mean abs diff ${(sum / n).toFixed(3)} levels`);
});

test("under 'fast' libvips cuts the absorbed centre crop: same pixels as cropping afterwards", async () => {
  const resize = { size: 256, engine: 'vips', policy: 'fast' } as const;
  const cut = col<Tensor>(await source().map(decodeImage({ column: 'path', output: 'image', resize, centerCrop: [224, 200] })).compute(W0), 'image', IMAGE_U8);
  const after = col<Tensor>(await source().map(decodeImage({ column: 'path', output: 'image', resize, shrink: 'off' })).map(centerCrop({ column: 'image', size: [224, 200] })).compute(W0), 'image', IMAGE_U8);
  cut.forEach((t, i) => { assert.deepEqual(t.shape, [224, 200, 3]); assert.deepEqual(t.data, after[i]!.data, paths[i]!.path); });
});

test('a resize into another column is not absorbed (the full-size image is still wanted)', () => {
  const ds = source().map(decodeImage({ column: 'path', output: 'image' })).map(resize({ column: 'image', output: 'small', size: 64 }));
  assert.doesNotMatch(ds.explain(), /absorbed/);
});

const MEAN = [0.485, 0.456, 0.406], STD = [0.229, 0.224, 0.225];
const T32 = dt.tensor(dt.float32(), [3, 224, 224]);

test('decode absorbs a to-tensor of the decoded column: the same floats, no uint8 column in between', async () => {
  for (const policy of ['exact', 'fast'] as const) {
    // The decode with its absorbed resize and crop, then a to-tensor: folded ('exact'/'fast') or kept apart ('off').
    const resize = { size: 256, policy, ...(policy === 'fast' ? { engine: 'vips' as const } : {}) };
    const mk = (shrink: 'exact' | 'fast' | 'off') => source().map(decodeImage({ column: 'path', output: 'image', resize, centerCrop: [224, 224], shrink }))
      .map(toTensor({ column: 'image', shape: [3, 224, 224], mean: MEAN, std: STD }));
    assert.match(mk(policy).explain(), /image\.decode absorbed image\.to-tensor/);
    assert.doesNotMatch(mk('off').explain(), /absorbed/);
    const fused = await mk(policy).compute({ ...W0, batchSize: 5 });
    assert.deepEqual(fused.schema.fields.map((f) => f.name), ['path', 'image']);
    const ref = await mk('off').compute({ ...W0, batchSize: 5 });
    const a = col<Tensor<Float32Array>>(fused, 'image', T32), b = col<Tensor<Float32Array>>(ref, 'image', T32);
    assert.equal(a.length, paths.length);
    a.forEach((t, i) => assert.deepEqual(t.data, b[i]!.data, `${policy} ${paths[i]!.path}`));
  }
});

test('a to-tensor into another column is absorbed too; the uint8 image stays beside the tensor', async () => {
  const ds = source().map(decodeImage({ column: 'path', output: 'image' })).map(resize({ column: 'image', size: 256 }))
    .map(centerCrop({ column: 'image', size: 224 })).map(toTensor({ column: 'image', output: 'pixels', shape: [3, 224, 224], mean: MEAN, std: STD }));
  assert.match(ds.explain(), /absorbed image\.to-tensor/);
  const t = await ds.compute(W0);
  const ref = await ds.compute({ ...W0, optimizer: false });
  assert.deepEqual(col<Tensor>(t, 'image', IMAGE_U8).map((x) => x.data), col<Tensor>(ref, 'image', IMAGE_U8).map((x) => x.data));
  assert.deepEqual(col<Tensor>(t, 'pixels', T32).map((x) => x.data), col<Tensor>(ref, 'pixels', T32).map((x) => x.data));
});

test('an absorbed to-tensor keeps its row errors: an image that does not fit the fixed shape is quarantined with its code', async () => {
  // No resize: the sample photos have different sizes, so all but those of the declared size fail.
  const ds = source().map(decodeImage({ column: 'path', output: 'image' })).map(toTensor({ column: 'image', shape: [3, 10, 10] }));
  assert.match(ds.explain(), /absorbed image\.to-tensor/);
  const t = await ds.compute({ ...W0, onError: 'quarantine' });
  assert.equal(t.numRows, 0);
  assert.equal(t.report.quarantined, paths.length);
  assert.deepEqual([...new Set(col<string>(t.report.quarantine!, 'code', dt.utf8()))], ['MF_DTYPE_MISMATCH']);
});
