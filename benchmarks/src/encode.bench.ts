// Encode ops on onnxruntime-node: (1) engine overhead of image.embed / text.embed over calling
// onnxruntime-node directly on the same 32-row batches (same threads, same pooling), (2) batched vs
// row-at-a-time inference, for a ResNet-18-shaped model (224×224, batch 32) and a MiniLM-shaped
// model (sequence 128, batch 32). Models are generated with seeded weights into a temp dir.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { dt, fromArrow, fromRows, onnx } from '@modaflow/core';
import { embedImage } from '@modaflow/ops-image';
import { embedText } from '@modaflow/ops-text';
import { compare, report } from './harness.ts';
import type { Comparison } from './harness.ts';

// onnxruntime-node as @modaflow/core loads it (the benchmarks package does not depend on it directly).
const ort = await onnx.loadOrt();
const N = Number(process.env.ENCODE_BENCH_ROWS ?? 64);
const RUNS = Number(process.env.ENCODE_BENCH_RUNS ?? 5);
const BATCH = 32;
const SEQ = 128;
const threads = onnx.defaultIntraOpThreads();
const dir = mkdtempSync(join(tmpdir(), 'modaflow-encode-bench-'));
const RESNET = join(dir, 'resnet18.onnx');
const MINILM = join(dir, 'minilm.onnx');
writeFileSync(RESNET, onnx.resnet18Like({ seed: 1 }));
writeFileSync(MINILM, onnx.miniLmLike({ seed: 2 }));

const sessionOpts = {
  intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
} as const;
const settings = { rows: N, batch: BATCH, intraOpThreads: threads, cores: availableParallelism(), workers: 0 };
const results: Comparison[] = [];
const rand = onnx.seededUniform(3);

// ---- ResNet-18-shaped, 3×224×224 float32 per row ----
const PIX = 3 * 224 * 224;
const pixels = new Float32Array(N * PIX).map(() => rand() * 2 - 1);
const imgRows = Array.from({ length: N }, (_, i) => ({ id: i, pixels: { data: pixels.subarray(i * PIX, (i + 1) * PIX), shape: [3, 224, 224] } }));
const imgSchema = { id: dt.int32(), pixels: dt.tensor(dt.float32(), [3, 224, 224]) };
const imgTable = await fromRows(imgRows, imgSchema).compute({ workers: 0 });
const imgDs = fromArrow<typeof imgSchema>(imgTable);
const resnet = await ort.InferenceSession.create(RESNET, sessionOpts);

/** Wraps a modaflow run to record (wall − time inside session.run) / time inside session.run. */
function measured(fn: () => Promise<unknown>, into: number[]): () => Promise<unknown> {
  return async () => {
    const r0 = onnx.runStats().runMs;
    const t0 = performance.now();
    await fn();
    const wall = performance.now() - t0;
    const inRun = onnx.runStats().runMs - r0;
    into.push((wall - inRun) / inRun);
  };
}
// The first sample is the harness's warm-up run (session creation, JIT): left out.
const median = (all: number[]) => { const a = all.slice(1); const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };

const embedImages = (maxBatch: number) => imgDs
  .map(embedImage({ model: RESNET, column: 'pixels', output: 'emb', maxBatch, checkFinite: true }))
  .compute({ workers: 0, batchSize: BATCH });
async function directResnet(): Promise<number> {
  let sum = 0;
  for (let s = 0; s < N; s += BATCH) {
    const b = Math.min(BATCH, N - s);
    const out = await resnet.run({ pixels: new ort.Tensor('float32', pixels.subarray(s * PIX, (s + b) * PIX), [b, 3, 224, 224]) });
    sum += (out.logits!.data as Float32Array)[0]!;
  }
  return sum;
}

const imgOverhead: number[] = [];
results.push(await compare(`image.embed ResNet-18-shaped, ${N} rows in batches of ${BATCH} vs onnxruntime-node session.run on the same batches`,
  measured(() => embedImages(BATCH), imgOverhead), directResnet, { runs: RUNS, extra: { ...settings, model: 'resnet18-like 224', note: 'speedup < 1 is engine overhead: overhead = 1/speedup - 1' } }));
Object.assign(results.at(-1)!.extra!, { engineOverheadOutsideSessionRun: median(imgOverhead) });
results.push(await compare(`image.embed ResNet-18-shaped: maxBatch ${BATCH} vs row at a time (maxBatch 1)`,
  () => embedImages(BATCH), () => embedImages(1), { runs: RUNS, extra: { ...settings, model: 'resnet18-like 224' } }));

// ---- MiniLM-shaped, 128 token ids per row, masked-mean pooling ----
const idsRows = Array.from({ length: N }, (_, i) => {
  // Realistic ids and a tail of padding in each row: 96..128 real tokens.
  const len = 96 + (i % 33);
  const ids = new BigInt64Array(SEQ);
  const mask = new BigInt64Array(SEQ);
  for (let t = 0; t < len; t++) { ids[t] = BigInt(1 + Math.floor(rand() * 30000)); mask[t] = 1n; }
  return { id: i, ids: { data: ids, shape: [SEQ] }, mask: { data: mask, shape: [SEQ] } };
});
const T = dt.tensor(dt.int64(), [SEQ]);
const txtSchema = { id: dt.int32(), ids: T, mask: T };
const txtTable = await fromRows(idsRows, txtSchema).compute({ workers: 0 });
const txtDs = fromArrow<typeof txtSchema>(txtTable);
const minilm = await ort.InferenceSession.create(MINILM, sessionOpts);
const allIds = new BigInt64Array(N * SEQ);
const allMask = new BigInt64Array(N * SEQ);
idsRows.forEach((r, i) => { allIds.set(r.ids.data, i * SEQ); allMask.set(r.mask.data, i * SEQ); });

const embedTexts = (maxBatch: number) => txtDs
  .map(embedText({ model: MINILM, inputIds: 'ids', attentionMask: 'mask', output: 'emb', idsDtype: T, maxBatch }))
  .compute({ workers: 0, batchSize: BATCH });
async function directMiniLm(): Promise<number> {
  let sum = 0;
  const H = 384;
  for (let s = 0; s < N; s += BATCH) {
    const b = Math.min(BATCH, N - s);
    const out = await minilm.run({
      input_ids: new ort.Tensor('int64', allIds.subarray(s * SEQ, (s + b) * SEQ), [b, SEQ]),
      attention_mask: new ort.Tensor('int64', allMask.subarray(s * SEQ, (s + b) * SEQ), [b, SEQ]),
    });
    // The same masked-mean pooling the op does, so both sides compute the same embeddings.
    const h = out.last_hidden_state!.data as Float32Array;
    for (let r = 0; r < b; r++) {
      const m = allMask.subarray((s + r) * SEQ, (s + r + 1) * SEQ);
      const v = new Float64Array(H);
      let c = 0;
      for (let t = 0; t < SEQ; t++) { if (!m[t]) continue; c++; for (let j = 0; j < H; j++) v[j]! += h[((r * SEQ) + t) * H + j]!; }
      sum += v[0]! / c;
    }
  }
  return sum;
}

const txtOverhead: number[] = [];
results.push(await compare(`text.embed MiniLM-shaped, ${N} rows of ${SEQ} tokens in batches of ${BATCH} vs onnxruntime-node session.run + the same pooling`,
  measured(() => embedTexts(BATCH), txtOverhead), directMiniLm, { runs: RUNS, extra: { ...settings, model: 'minilm-like L6 H384 seq128' } }));
Object.assign(results.at(-1)!.extra!, { engineOverheadOutsideSessionRun: median(txtOverhead) });
results.push(await compare(`text.embed MiniLM-shaped: maxBatch ${BATCH} vs row at a time (maxBatch 1)`,
  () => embedTexts(BATCH), () => embedTexts(1), { runs: RUNS, extra: { ...settings, model: 'minilm-like L6 H384 seq128' } }));

for (const r of results) {
  Object.assign(r.extra ?? {}, { contenderRowsPerSec: N / (r.contender.median / 1000), baselineRowsPerSec: N / (r.baseline.median / 1000) });
}
report('encode', results);
await resnet.release();
await minilm.release();
rmSync(dir, { recursive: true, force: true });
