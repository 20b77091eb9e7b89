// Image pipeline: decode + Resize(256) + CenterCrop(224) + ToTensor/Normalize(ImageNet) to float32
// CHW on 200 JPEGs (~500×375, q90). Contender: modaflow (worker pool); baseline: a hand-written
// sharp loop in the same process with the same output. Also decode-only throughput (the physical
// limit here) and, when /usr/bin/python3 has torchvision, a DataLoader run reported separately.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { dt, fromRows } from '@modaflow/core';
import { centerCrop, decodeImage, resize, toTensor } from '@modaflow/ops-image';
import { compare, report, summarize, time } from './harness.ts';
import { imageCorpus } from './image-corpus.ts';

const MEAN = [0.485, 0.456, 0.406], STD = [0.229, 0.224, 0.225];
const N = Number(process.env.IMAGE_BENCH_N ?? 200);
const RUNS = Number(process.env.IMAGE_BENCH_RUNS ?? 5);
const paths = await imageCorpus(N);
const WORKERS = process.env.IMAGE_BENCH_WORKERS ? { workers: Number(process.env.IMAGE_BENCH_WORKERS) } : {};

const pipeline = (shrink: 'exact' | 'fast') => fromRows(paths.map((path) => ({ path })), { path: dt.utf8() })
  .map(decodeImage({ column: 'path', output: 'image', shrink }))
  .map(resize({ column: 'image', size: 256 }))
  .map(centerCrop({ column: 'image', size: 224 }))
  .map(toTensor({ column: 'image', output: 'pixels', shape: [3, 224, 224], mean: MEAN, std: STD }))
  .select('pixels');

/** torchvision's centre-crop offset: Python round((size - crop) / 2), halves to even. */
const offset = (d: number): number => { const f = Math.floor(d / 2); return d % 2 === 0 ? d / 2 : f % 2 === 0 ? f : f + 1; };

/** What a careful engineer writes by hand with sharp: same shapes, same arithmetic, 4 files in flight. */
async function sharpLoop(): Promise<Float32Array[]> {
  const out: Float32Array[] = new Array(paths.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const i = next++;
      const buf = readFileSync(paths[i]!);
      const m = await sharp(buf, { autoOrient: true }).metadata();
      const w0 = m.autoOrient.width, h0 = m.autoOrient.height;
      const [w, h] = w0 <= h0 ? [256, Math.trunc((256 * h0) / w0)] : [Math.trunc((256 * w0) / h0), 256];
      const px = await sharp(buf, { autoOrient: true }).resize(w, h, { fit: 'fill', kernel: 'linear' })
        .extract({ left: offset(w - 224), top: offset(h - 224), width: 224, height: 224 }).removeAlpha().raw().toBuffer();
      const t = new Float32Array(3 * 224 * 224);
      for (let c = 0; c < 3; c++) {
        const m0 = Math.fround(MEAN[c]!), s0 = Math.fround(STD[c]!);
        for (let p = 0, o = c * 224 * 224; p < 224 * 224; p++) t[o + p] = Math.fround(Math.fround(px[p * 3 + c]! / 255) - m0) / s0;
      }
      out[i] = t;
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return out;
}

async function decodeOnly(): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) { const i = next++; await sharp(readFileSync(paths[i]!)).raw().toBuffer(); }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

// Same output: the 'fast' plan (shrink-on-load in libvips) must equal the hand loop exactly.
const mf = await pipeline('fast').compute({ batchSize: 32, ...WORKERS });
const hand = await sharpLoop();
const col = mf.getChild('pixels')!;
let maxDiff = 0;
for (let i = 0; i < paths.length; i++) {
  const v = col.get(i) as { toArray(): Float32Array } | Float32Array;
  const a = v instanceof Float32Array ? v : v.toArray();
  for (let j = 0; j < a.length; j++) maxDiff = Math.max(maxDiff, Math.abs(a[j]! - hand[i]![j]!));
}
console.log(`same output check: max |modaflow(fast) - sharp loop| = ${maxDiff}`);

const decodeRuns: number[] = [];
for (let r = 0; r < RUNS; r++) decodeRuns.push(await time(decodeOnly));
const decodeMs = summarize(decodeRuns).median;

const results = [
  await compare(`decode+resize256+crop224+normalize, ${N} JPEGs: modaflow shrink='fast' (libvips) vs sharp loop`,
    () => pipeline('fast').compute({ batchSize: 32, ...WORKERS }), sharpLoop, { runs: RUNS, extra: { maxDiff } }),
  await compare(`same, modaflow default shrink='exact' (bit-identical to torchvision) vs sharp loop`,
    () => pipeline('exact').compute({ batchSize: 32, ...WORKERS }), sharpLoop, { runs: RUNS }),
];
const ips = (ms: number): number => (N * 1000) / ms;
for (const r of results) {
  (r as { extra?: Record<string, unknown> }).extra = {
    ...r.extra, modaflowImagesPerSec: ips(r.contender.median), sharpLoopImagesPerSec: ips(r.baseline.median),
    decodeOnlyImagesPerSec: ips(decodeMs), fractionOfDecodeOnly: decodeMs / r.contender.median,
  };
}

const py = '/usr/bin/python3';
const script = join(dirname(import.meta.dirname), 'python', 'image-torchvision.py');
if (existsSync(py) && process.env.IMAGE_BENCH_TORCH !== '0') {
  const r = spawnSync(py, [script, dirname(paths[0]!), String(RUNS)], { encoding: 'utf8' });
  if (r.status === 0) {
    const tv = JSON.parse(r.stdout.trim().split('\n').pop()!) as { images_per_sec_median: number };
    for (const c of results) (c as { extra?: Record<string, unknown> }).extra = { ...c.extra, torchvisionImagesPerSec: tv.images_per_sec_median, vsTorchvision: ips(c.contender.median) / tv.images_per_sec_median };
  } else console.log(`torchvision baseline failed: ${r.stderr.slice(-400)}`);
}
report('image', results);
process.exit(0);
