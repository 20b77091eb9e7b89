// The in-code onnx.proto and graph builder: models onnxruntime accepts, signatures read without
// onnxruntime, and golden checks of the tiny synthetic models against a TypeScript reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx, ModaflowError } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';
import { assertClose, refAudio, refImage, refText } from './reference.ts';

const dir = tempDir('modaflow-onnx-models-');

test('signature: names, element types and shapes (fixed and symbolic) are read from the file', () => {
  const p = join(dir, 'text.onnx');
  writeFileSync(p, onnx.tinyTextEncoder().bytes);
  const sig = onnx.readModelSignature(p);
  assert.deepEqual(sig.inputs.map((t) => [t.name, onnx.signatureToString(t)]), [
    ['input_ids', 'int64[batch,sequence]'],
    ['attention_mask', 'int64[batch,sequence]'],
  ]);
  assert.deepEqual(sig.outputs.map((t) => [t.name, onnx.signatureToString(t)]), [
    ['last_hidden_state', 'float32[batch,sequence,16]'],
    ['sentence_embedding', 'float32[batch,16]'],
  ]);
  assert.equal(sig.opset, 17);
  assert.equal(sig.producer, 'modaflow');
});

test('signature: initializers listed among graph inputs (old exports) are not model inputs', async () => {
  const g = new onnx.OnnxGraphBuilder('old_style');
  g.input('x', 'float32', ['batch', 2]);
  g.input('w', 'float32', [2, 2]);
  g.initializer('w', new Float32Array([1, 2, 3, 4]), [2, 2]);
  g.node('MatMul', ['x', 'w'], ['y']);
  g.output('y', 'float32', ['batch', 2]);
  const p = join(dir, 'old.onnx');
  writeFileSync(p, g.toBytes({ irVersion: 3, opset: 9 }));
  assert.deepEqual(onnx.readModelSignature(p).inputs.map((t) => t.name), ['x']);
  const s = await ort.InferenceSession.create(p);
  const out = await s.run({ x: new ort.Tensor('float32', new Float32Array([1, 1]), [1, 2]) });
  assert.deepEqual(Array.from(out.y!.data as Float32Array), [4, 6]);
});

test('signature: a missing file and a non-model file are clear errors', () => {
  assert.throws(() => onnx.readModelSignature(join(dir, 'nope.onnx'), { op: 'x.y' }), (e: ModaflowError) => e.code === 'MF_FILE_MISSING' && /does not exist/.test(e.message) && e.op === 'x.y');
  const bad = join(dir, 'bad.onnx');
  writeFileSync(bad, 'this is not protobuf at all, it is text \u00ff\u00fe');
  assert.throws(() => onnx.readModelSignature(bad), (e: ModaflowError) => e.code === 'MF_MODEL');
});

test('protobuf round trip: decodeModel gives back what the builder wrote', () => {
  const m = onnx.tinyImageEncoder({ seed: 9 });
  const d = onnx.decodeModel(m.bytes) as { graph: { node: { opType: string }[]; initializer: { name: string; dims: number[]; rawData: Uint8Array }[] } };
  assert.deepEqual(d.graph.node.map((n) => n.opType), ['Conv', 'Relu', 'Conv', 'Relu', 'GlobalAveragePool', 'Flatten', 'Gemm']);
  const w = d.graph.initializer.find((t) => t.name === 'conv1.weight')!;
  assert.deepEqual(w.dims, [8, 3, 3, 3]);
  const raw = new Float32Array(Uint8Array.from(w.rawData).buffer);
  assert.deepEqual(Array.from(raw), Array.from(m.weights['conv1.weight']!.data));
});

// Tolerances: float32 inference against a float64 reference, |Δ| ≤ 1e-5 + 1e-4·|ref|.
test('golden: tiny image encoder on onnxruntime equals the TypeScript reference', async () => {
  const m = onnx.tinyImageEncoder({ seed: 11 });
  const s = await ort.InferenceSession.create(m.bytes);
  const rand = onnx.seededUniform(5);
  for (const [H, W] of [[8, 8], [7, 10]] as const) {
    const x = new Float32Array(2 * 3 * H * W).map(() => rand() * 2 - 1);
    const out = (await s.run({ pixels: new ort.Tensor('float32', x, [2, 3, H, W]) })).embedding!;
    assert.deepEqual(out.dims, [2, 16]);
    for (let b = 0; b < 2; b++) {
      const ref = refImage(m.weights, x.subarray(b * 3 * H * W, (b + 1) * 3 * H * W), 3, H, W);
      assertClose((out.data as Float32Array).subarray(b * 16, (b + 1) * 16), ref, 1e-5, 1e-4, `image ${H}x${W} #${b}`);
    }
  }
});

test('golden: tiny text encoder (hidden states and masked mean) equals the TypeScript reference', async () => {
  const m = onnx.tinyTextEncoder({ seed: 12 });
  const s = await ort.InferenceSession.create(m.bytes);
  const ids = [[5, 17, 99, 3], [42, 7, 0, 0]];
  const mask = [[1, 1, 1, 1], [1, 1, 0, 0]];
  const out = await s.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.flat().map(BigInt)), [2, 4]),
    attention_mask: new ort.Tensor('int64', BigInt64Array.from(mask.flat().map(BigInt)), [2, 4]),
  });
  for (let b = 0; b < 2; b++) {
    const ref = refText(m.weights, ids[b]!, mask[b]!);
    assertClose((out.sentence_embedding!.data as Float32Array).subarray(b * 16, (b + 1) * 16), ref.mean, 1e-5, 1e-4, `mean #${b}`);
    for (let t = 0; t < 4; t++) {
      assertClose((out.last_hidden_state!.data as Float32Array).subarray((b * 4 + t) * 16, (b * 4 + t + 1) * 16), ref.hidden[t]!, 1e-5, 1e-4, `hidden #${b},${t}`);
    }
  }
});

test('golden: tiny conv1d audio encoder equals the TypeScript reference', async () => {
  const m = onnx.tinyAudioEncoder({ seed: 13 });
  const s = await ort.InferenceSession.create(m.bytes);
  const rand = onnx.seededUniform(6);
  const T = 200;
  const x = new Float32Array(3 * T).map(() => rand() * 2 - 1);
  const out = (await s.run({ waveform: new ort.Tensor('float32', x, [3, T]) })).embedding!;
  for (let b = 0; b < 3; b++) assertClose((out.data as Float32Array).subarray(b * 8, (b + 1) * 8), refAudio(m.weights, x.subarray(b * T, (b + 1) * T)), 1e-5, 1e-4, `audio #${b}`);
});

test('the ResNet-18- and MiniLM-shaped builders produce models onnxruntime runs (small configs)', async () => {
  const r = await ort.InferenceSession.create(onnx.resnet18Like({ size: 32, classes: 10, width: 8 }));
  const ro = await r.run({ pixels: new ort.Tensor('float32', new Float32Array(2 * 3 * 32 * 32).fill(0.1), [2, 3, 32, 32]) });
  assert.deepEqual(ro.logits!.dims, [2, 10]);
  const m = await ort.InferenceSession.create(onnx.miniLmLike({ vocab: 50, hidden: 32, layers: 2, heads: 4, intermediate: 64, maxPositions: 16 }));
  const mo = await m.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from([1n, 2n, 3n, 4n, 5n, 6n]), [2, 3]),
    attention_mask: new ort.Tensor('int64', BigInt64Array.from([1n, 1n, 1n, 1n, 1n, 0n]), [2, 3]),
  });
  assert.deepEqual(mo.last_hidden_state!.dims, [2, 3, 32]);
  assert.ok(Array.from(mo.last_hidden_state!.data as Float32Array).every(Number.isFinite));
});

// Golden from PyTorch (golden/make-torch-golden.py regenerates the same seeded weights and input):
// onnxruntime output vs torch 1.13 CPU, |Δ| ≤ 1e-5 + 1e-4·|torch|.
test('golden: tiny image encoder on onnxruntime equals PyTorch with the same weights', async () => {
  const golden = JSON.parse(readFileSync(new URL('./golden/tiny-cnn-torch.json', import.meta.url), 'utf8')) as {
    checksum_conv1_weight_sum: number; checksum_input_sum: number; embedding: number[][];
  };
  const m = onnx.tinyImageEncoder({ seed: 31, size: 8 });
  const x = onnx.seededWeights(onnx.seededUniform(77), 2 * 3 * 8 * 8, 1);
  // Same weights and input on both sides (the generators agree), else the comparison means nothing.
  assert.ok(Math.abs(m.weights['conv1.weight']!.data.reduce((a, b) => a + b, 0) - golden.checksum_conv1_weight_sum) < 1e-9);
  assert.ok(Math.abs(x.reduce((a, b) => a + b, 0) - golden.checksum_input_sum) < 1e-9);
  const s = await ort.InferenceSession.create(m.bytes);
  const out = (await s.run({ pixels: new ort.Tensor('float32', x, [2, 3, 8, 8]) })).embedding!.data as Float32Array;
  golden.embedding.forEach((row, b) => assertClose(out.subarray(b * 16, (b + 1) * 16), row, 1e-5, 1e-4, `torch row ${b}`));
});
