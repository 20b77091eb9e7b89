// Image pipeline: decode + Resize(256) + CenterCrop(224) + ToTensor/Normalize(ImageNet) to float32
// CHW on 200 JPEGs (~500×375, q90). Contenders: the modaflow plan under both quality policies
// (worker pool). Baselines, in the same process and with the same output (checked: max diff 0):
//  - 'fast' plan vs a hand-written sharp loop (libvips resize + extract, then the normalize loop);
//  - 'exact' plan (bit-identical to torchvision) vs a hand loop over the same kernels (sharp decode,
//    ops-image's Pillow resampler on the crop window and its float conversion, both WASM SIMD).
// Also decode-only throughput (sharp, both cores: the physical limit here) and, when
// /usr/bin/python3 has torchvision, its DataLoader run interleaved with ours, round by round.
// Every figure comes with wall time, CPU time of the whole process (all threads) and the load average.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { dt, fromRows } from '@modaflow/core';
import { centerCrop, decodeImage, resize, toTensor } from '@modaflow/ops-image';
import { resamplePil } from '../../packages/ops-image/src/util/resample.ts';
import { pixelKernels } from '../../packages/ops-image/src/util/wasm.ts';
import { summarize } from './harness.ts';
import { imageCorpus } from './image-corpus.ts';

const MEAN = [0.485, 0.456, 0.406], STD = [0.229, 0.224, 0.225];
const N = Number(process.env.IMAGE_BENCH_N ?? 200);
const RUNS = Number(process.env.IMAGE_BENCH_RUNS ?? 3);
const ROUNDS = Number(process.env.IMAGE_BENCH_ROUNDS ?? 3);
const paths = await imageCorpus(N);
const WORKERS = process.env.IMAGE_BENCH_WORKERS ? { workers: Number(process.env.IMAGE_BENCH_WORKERS) } : {};

// toTensor writes into the decoded column itself: the planner folds resize, crop and to-tensor into the decode.
const pipeline = (shrink: 'exact' | 'fast') => fromRows(paths.map((path) => ({ path })), { path: dt.utf8() })
  .map(decodeImage({ column: 'path', output: 'image', shrink }))
  .map(resize({ column: 'image', size: 256 }))
  .map(centerCrop({ column: 'image', size: 224 }))
  .map(toTensor({ column: 'image', shape: [3, 224, 224], mean: MEAN, std: STD }))
  .select('image');
const modaflow = (shrink: 'exact' | 'fast') => () => pipeline(shrink).compute({ batchSize: 32, ...WORKERS });
/** The same plan in batches of 8 rows: 4.8 MB tensors per batch, whose memory glibc recycles (see the README). */
const modaflow8 = () => pipeline('exact').compute({ batchSize: 8, ...WORKERS });

/** torchvision's centre-crop offset: Python round((size - crop) / 2), halves to even. */
const offset = (d: number): number => { const f = Math.floor(d / 2); return d % 2 === 0 ? d / 2 : f % 2 === 0 ? f : f + 1; };
/** torchvision Resize(256): the shorter side becomes 256, the longer one int(256 · long / short). */
const size256 = (w0: number, h0: number): [number, number] => (w0 <= h0 ? [256, Math.trunc((256 * h0) / w0)] : [Math.trunc((256 * w0) / h0), 256]);

/** Runs `fn` over every file index with 4 in flight (libuv's pool has 4 threads), as a careful engineer would. */
async function inFlight4(fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => { while (next < paths.length) await fn(next++); };
  await Promise.all(Array.from({ length: 4 }, worker));
}

/** Hand-written sharp loop, same output as the 'fast' plan: metadata, libvips resize + extract, normalize. */
async function sharpLoop(): Promise<Float32Array[]> {
  const out: Float32Array[] = new Array(paths.length);
  await inFlight4(async (i) => {
    const buf = readFileSync(paths[i]!);
    const m = await sharp(buf, { autoOrient: true }).metadata();
    const [w, h] = size256(m.autoOrient.width, m.autoOrient.height);
    const px = await sharp(buf, { autoOrient: true }).resize(w, h, { fit: 'fill', kernel: 'linear' })
      .extract({ left: offset(w - 224), top: offset(h - 224), width: 224, height: 224 }).removeAlpha().raw().toBuffer();
    const t = new Float32Array(3 * 224 * 224);
    for (let c = 0; c < 3; c++) {
      const m0 = Math.fround(MEAN[c]!), s0 = Math.fround(STD[c]!);
      for (let p = 0, o = c * 224 * 224; p < 224 * 224; p++) t[o + p] = Math.fround(Math.fround(px[p * 3 + c]! / 255) - m0) / s0;
    }
    out[i] = t;
  });
  return out;
}

const simd = pixelKernels()!;
const MEAN32 = MEAN.map(Math.fround), STD32 = STD.map(Math.fround);

/** Hand loop with the 'exact' plan's output and kernels: sharp decode, Pillow's resampler on the crop window, float conversion. */
async function exactLoop(): Promise<Float32Array[]> {
  const out: Float32Array[] = new Array(paths.length);
  await inFlight4(async (i) => {
    const { data, info } = await sharp(readFileSync(paths[i]!), { autoOrient: true }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const [w, h] = size256(info.width, info.height);
    const px = resamplePil({ data, width: info.width, height: info.height, channels: 3 }, w, h, 'bilinear', true, undefined,
      { left: offset(w - 224), top: offset(h - 224), width: 224, height: 224 }).data;
    const t = new Float32Array(3 * 224 * 224);
    simd.toFloat(px, 224 * 224, 3, true, true, MEAN32, STD32, t);
    out[i] = t;
  });
  return out;
}

async function decodeOnly(): Promise<void> {
  await inFlight4(async (i) => { await sharp(readFileSync(paths[i]!)).raw().toBuffer(); });
}

/** Max |a - b| between the plan's tensors and a hand loop's. */
async function maxDiff(plan: () => Promise<{ getChild(n: string): unknown }>, loop: () => Promise<Float32Array[]>): Promise<number> {
  const col = (await plan()).getChild('image') as { get(i: number): { toArray(): Float32Array } | Float32Array };
  const hand = await loop();
  let m = 0;
  for (let i = 0; i < paths.length; i++) {
    const v = col.get(i);
    const a = v instanceof Float32Array ? v : v.toArray();
    for (let j = 0; j < a.length; j++) m = Math.max(m, Math.abs(a[j]! - hand[i]![j]!));
  }
  return m;
}

/** Wall and CPU time (all threads of the process), and minor page faults (first touches of fresh memory). */
interface Run { wall: number; cpu: number; faults: number }
async function measure(fn: () => Promise<unknown>): Promise<Run> {
  const f0 = process.resourceUsage().minorPageFault, c0 = process.cpuUsage(), t0 = performance.now();
  await fn();
  const wall = performance.now() - t0, c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000, faults: process.resourceUsage().minorPageFault - f0 };
}

const cases = {
  fast: modaflow('fast'), sharpLoop, exact: modaflow('exact'), exactLoop, exact8: modaflow8, decodeOnly,
} as const;
type Case = keyof typeof cases;

console.log(`same output: max |fast plan - sharp loop| = ${await maxDiff(modaflow('fast'), sharpLoop)}, max |exact plan - exact loop| = ${await maxDiff(modaflow('exact'), exactLoop)}`);
for (const f of Object.values(cases)) await f(); // warm-up (workers compile the sources under tsx)

const py = '/usr/bin/python3';
const script = join(dirname(import.meta.dirname), 'python', 'image-torchvision.py');
const withTorch = existsSync(py) && process.env.IMAGE_BENCH_TORCH !== '0';
const runs: Record<Case, Run[]> = { fast: [], sharpLoop: [], exact: [], exactLoop: [], exact8: [], decodeOnly: [] };
const tv: { ips: number; cpuMsPerImage: number; load: number }[] = [];
const loads: number[] = [];
const order = Object.keys(cases) as Case[];
for (let r = 0; r < ROUNDS; r++) {
  loads.push(loadavg()[0]!);
  for (let k = 0; k < RUNS; k++) {
    // Alternate the order so drift in machine load does not favour one side.
    for (const c of k % 2 ? [...order].reverse() : order) runs[c].push(await measure(cases[c]));
  }
  if (withTorch) {
    const load = loadavg()[0]!;
    const p = spawnSync(py, [script, dirname(paths[0]!), String(RUNS)], { encoding: 'utf8' });
    if (p.status === 0) {
      const j = JSON.parse(p.stdout.trim().split('\n').pop()!) as { images_per_sec_median: number; cpu_ms_per_image: number };
      tv.push({ ips: j.images_per_sec_median, cpuMsPerImage: j.cpu_ms_per_image, load });
    } else console.log(`torchvision baseline failed: ${p.stderr.slice(-400)}`);
  }
  const last = (c: Case) => runs[c].slice(-RUNS);
  const ips = (c: Case) => (N * 1000) / summarize(last(c).map((x) => x.wall)).median;
  console.log(`round ${r + 1} (load ${loads[r]!.toFixed(1)}): img/s fast ${ips('fast').toFixed(0)}, sharp loop ${ips('sharpLoop').toFixed(0)}, exact ${ips('exact').toFixed(0)}, exact loop ${ips('exactLoop').toFixed(0)}, exact batch 8 ${ips('exact8').toFixed(0)}, decode-only ${ips('decodeOnly').toFixed(0)}` +
    (tv[r] ? `; torchvision ${tv[r]!.ips.toFixed(0)} (load ${tv[r]!.load.toFixed(1)})` : ''));
}

const med = (xs: number[]) => summarize(xs).median;
const ipsOf = (c: Case) => (N * 1000) / med(runs[c].map((x) => x.wall));
const cpuOf = (c: Case) => med(runs[c].map((x) => x.cpu)) / N;
// Paired ratios: run i of the baseline against run i of the contender (same moment, same load).
const paired = (contender: Case, baseline: Case) => med(runs[contender].map((x, i) => runs[baseline][i]!.wall / x.wall));
const pairedCpu = (contender: Case, baseline: Case) => med(runs[contender].map((x, i) => runs[baseline][i]!.cpu / x.cpu));
const tvIps = tv.length ? med(tv.map((t) => t.ips)) : NaN;
const summary = {
  date: new Date().toISOString(), images: N, loadAvg1m: loads,
  imagesPerSec: Object.fromEntries(order.map((c) => [c, ipsOf(c)])),
  cpuMsPerImage: Object.fromEntries(order.map((c) => [c, cpuOf(c)])),
  minorFaultsPerRun: Object.fromEntries(order.map((c) => [c, med(runs[c].map((x) => x.faults))])),
  ratioLoopOverPlan: { fast: paired('fast', 'sharpLoop'), exact: paired('exact', 'exactLoop'), exact8: paired('exact8', 'exactLoop'), exactVsSharpLoop: paired('exact', 'sharpLoop') },
  cpuRatioLoopOverPlan: { fast: pairedCpu('fast', 'sharpLoop'), exact: pairedCpu('exact', 'exactLoop'), exact8: pairedCpu('exact8', 'exactLoop') },
  fractionOfDecodeOnly: { fast: ipsOf('fast') / ipsOf('decodeOnly'), exact: ipsOf('exact') / ipsOf('decodeOnly'), exact8: ipsOf('exact8') / ipsOf('decodeOnly') },
  torchvision: tv, vsTorchvision: { fast: ipsOf('fast') / tvIps, exact: ipsOf('exact') / tvIps, exact8: ipsOf('exact8') / tvIps },
};
console.log(JSON.stringify(summary, null, 2));
const { mkdirSync, writeFileSync } = await import('node:fs');
mkdirSync(join(import.meta.dirname, '..', 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, '..', 'results', 'image.json'), JSON.stringify({ suite: 'image', ...summary, runs }, null, 2));
process.exit(0);
