// Op costs: what each ops-fusion row-local op (and a few audio ops) really costs per row on this
// machine, against the costPerRow it declares. The executor reads costPerRow to choose between
// running a stage in-process and sending its batches to the worker pool (`workers: 'auto'`: a
// stage goes to the pool when costPerRow × batch rows ≥ 1000 µs, what a hop costs), so a figure
// off by 25× sends cheap stages to a pool that only slows them down (or keeps costly ones home).
//   node --import tsx benchmarks/src/op-costs.bench.ts          (OPCOST_RUNS: timed runs, default 7)
//   OPCOST_CASES=zscore,impute  runs only the cases whose label contains one of the words;
//   OPCOST_BATCH=1024  cuts every case into batches of that many rows (the default batch size).
// Per case, on representative data (64k-row batches for scalar columns, 8k for wide tensors),
// after a warm-up long enough for the JIT to settle (steady state: what a long run pays per row):
//   kernel  — the op's kernel path as the engine runs it on a batch (core's applyOp: kernel input,
//             kernel, output columns built, kept rows taken), over several batches per run; its
//             median per row is the "measured" cost, what a worker would spend per row;
//   engine  — paired with harness.compare: `fromSource(batches).map(op).compute({ workers: 0 })`
//             against the same pipeline without the op; the per-row difference of the paired runs
//             (for global ops it includes the statistics phase, reported apart too).
// An op is flagged when measured/declared is beyond 4× either way. A last section runs two
// pipelines with `workers: 'auto'` (MODAFLOW_WORKERS unset) and prints where explain() says their
// stages ran: the z-score filter over 64k-row batches, and melSpectrogram (in-process while no pool
// runs: 512 clips are less work than starting one; on the pool once one runs).
import { availableParallelism, loadavg } from 'node:os';
import { applyOp, buildData, dt, fromSource, getOp, kernelInput, makeChunk, rowIdRange, shutdownPools, varTensorData } from '@modaflow/core';
import type { Chunk, DType, OpCall, Schema, Source, SourceBatch } from '@modaflow/core';
import { convertTimeUnit, earlyFuse, impute, lateFuse, maskMissing, modalityDropout, zscoreFilter } from '@modaflow/ops-fusion';
import { gain, melSpectrogram } from '@modaflow/ops-audio';
import { compare, report, summarize, time } from './harness.ts';
import type { Comparison } from './harness.ts';

const RUNS = Math.max(5, Number(process.env['OPCOST_RUNS'] ?? 7));
const ONLY = (process.env['OPCOST_CASES'] ?? '').split(',').filter(Boolean);
/** Rows per batch for every case (default: each case's own, 64k or 8k); the rows per run stay the same. */
const BATCH_ROWS = Number(process.env['OPCOST_BATCH'] ?? 0);
const HOP_WORTH_US = 1000; // pool-executor.ts: declared work per batch below which 'auto' stays in-process
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

let seed = 7;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());

type Columns = Record<string, ReturnType<typeof buildData>>;
interface Case {
  readonly label: string;
  readonly call: OpCall<Schema, Schema, string>;
  readonly schema: Schema;
  /** Rows per batch and batches per timed run. */
  readonly rows: number;
  readonly batches: number;
  make(n: number): Columns;
}

// ---- column makers (values generated outside every timing) ----
const f32 = (n: number, outliers = true) => {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rnd() * 10 + (outliers && (i & 1023) === 0 ? 50 : 0);
  return buildData(dt.float32(), v);
};
const f64 = (n: number, nullShare = 0) => {
  const v: (number | null)[] = new Array(n);
  for (let i = 0; i < n; i++) v[i] = rnd() < nullShare ? null : gauss() * 2 + 5;
  return buildData(dt.float64(), v);
};
const tensor = (n: number, width: number, nullShare = 0, scale = 1) => {
  const v: (Float32Array | null)[] = new Array(n);
  const flat = new Float32Array(n * width);
  for (let i = 0; i < flat.length; i++) flat[i] = gauss() * scale;
  for (let i = 0; i < n; i++) v[i] = rnd() < nullShare ? null : flat.subarray(i * width, (i + 1) * width);
  return buildData(dt.tensor(dt.float32(), [width]), v);
};
const probs = (n: number, k: number, nullShare = 0) => {
  const v: (Float32Array | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    if (rnd() < nullShare) { v[i] = null; continue; }
    const p = new Float32Array(k);
    let s = 0;
    for (let j = 0; j < k; j++) s += (p[j] = rnd() ** 3);
    for (let j = 0; j < k; j++) p[j]! /= s;
    v[i] = p;
  }
  return buildData(dt.tensor(dt.float32(), [k]), v);
};
const groups = (n: number, g: number) => buildData(dt.utf8(), Array.from({ length: n }, () => `g${Math.floor(rnd() * g)}`));
const nsStamps = (n: number) => {
  const v = new BigInt64Array(n);
  let t = 1403715273262142976n;
  for (let i = 0; i < n; i++) v[i] = (t += BigInt(900_000 + Math.floor(rnd() * 200_000)));
  return buildData(dt.int64(), v);
};
const WAVE = dt.varTensor(dt.float32(), 2);
/** `n` mono clips of `samples` float32 samples (a noisy tone). */
const clips = (n: number, samples: number) => {
  const flat = new Float32Array(n * samples);
  for (let i = 0; i < flat.length; i++) flat[i] = 0.5 * Math.sin(i * 0.06) + 0.05 * gauss();
  const offsets = new Int32Array(n + 1);
  const shapes = new Int32Array(n * 2);
  for (let i = 0; i < n; i++) { offsets[i + 1] = (i + 1) * samples; shapes[2 * i] = 1; shapes[2 * i + 1] = samples; }
  return varTensorData(WAVE, n, flat, offsets, shapes);
};

const S = 65_536, W = 8_192;
const EMB512 = dt.tensor(dt.float32(), [512]), EMB128 = dt.tensor(dt.float32(), [128]), EMB8 = dt.tensor(dt.float32(), [8]), EMB64 = dt.tensor(dt.float32(), [64]);
const P10 = dt.tensor(dt.float32(), [10]);
const call = (c: unknown) => c as OpCall<Schema, Schema, string>;

const CASES: Case[] = [
  // z-score: the row-local filter stage the planner runs after the statistics barrier.
  { label: 'zscoreFilter float32 (fast path)', call: call(zscoreFilter({ column: 'x', dtype: dt.float32() })), schema: { x: dt.float32() }, rows: S, batches: 8, make: (n) => ({ x: f32(n) }) },
  { label: 'zscoreFilter float64', call: call(zscoreFilter({ column: 'x', dtype: dt.float64() })), schema: { x: dt.float64() }, rows: S, batches: 4, make: (n) => ({ x: f64(n) }) },
  { label: 'zscoreFilter float32 with 1% nulls (planned as the fast path; nulls take the scalar path)', call: call(zscoreFilter({ column: 'x', dtype: dt.float32() })), schema: { x: dt.float32() }, rows: S, batches: 4,
    make: (n) => ({ x: buildData(dt.float32(), Array.from({ length: n }, () => (rnd() < 0.01 ? null : rnd() * 10))) }) },
  { label: 'zscoreFilter float64 by 16 groups', call: call(zscoreFilter({ column: 'x', dtype: dt.float64(), by: 'g' })), schema: { x: dt.float64(), g: dt.utf8() }, rows: S, batches: 4, make: (n) => ({ x: f64(n), g: groups(n, 16) }) },
  { label: 'zscoreFilter float64 robust', call: call(zscoreFilter({ column: 'x', dtype: dt.float64(), robust: true })), schema: { x: dt.float64() }, rows: S, batches: 4, make: (n) => ({ x: f64(n) }) },
  { label: 'zscoreFilter float32[8] rms', call: call(zscoreFilter({ column: 'x', dtype: EMB8, reduce: 'rms' })), schema: { x: EMB8 }, rows: S, batches: 2, make: (n) => ({ x: tensor(n, 8) }) },
  { label: 'zscoreFilter float32[64] rms', call: call(zscoreFilter({ column: 'x', dtype: EMB64, reduce: 'rms' })), schema: { x: EMB64 }, rows: W, batches: 4, make: (n) => ({ x: tensor(n, 64) }) },
  { label: 'zscoreFilter float64 + output z', call: call(zscoreFilter({ column: 'x', dtype: dt.float64(), output: 'z' })), schema: { x: dt.float64() }, rows: S, batches: 4, make: (n) => ({ x: f64(n) }) },
  // impute
  { label: 'impute float64 mean, 10% nulls', call: call(impute({ column: 'x', dtype: dt.float64(), strategy: 'mean' })), schema: { x: dt.float64() }, rows: S, batches: 4, make: (n) => ({ x: f64(n, 0.1) }) },
  { label: 'impute float32[128] mean, 10% nulls', call: call(impute({ column: 'e', dtype: EMB128, strategy: 'mean' })), schema: { e: EMB128 }, rows: W, batches: 2, make: (n) => ({ e: tensor(n, 128, 0.1) }) },
  { label: 'impute float32[512] zeros, 10% nulls', call: call(impute({ column: 'e', dtype: EMB512, strategy: 'zeros' })), schema: { e: EMB512 }, rows: W, batches: 2, make: (n) => ({ e: tensor(n, 512, 0.1) }) },
  // earlyFuse
  { label: 'earlyFuse 3 float64 scalars', call: call(earlyFuse({ parts: [{ column: 'a', dtype: dt.float64() }, { column: 'b', dtype: dt.float64() }, { column: 'c', dtype: dt.float64() }], output: 'x' })),
    schema: { a: dt.float64(), b: dt.float64(), c: dt.float64() }, rows: S, batches: 2, make: (n) => ({ a: f64(n), b: f64(n), c: f64(n) }) },
  { label: 'earlyFuse [512] l2 + [128] standardize + scalar (641)', call: call(earlyFuse({ parts: [{ column: 'img', dtype: EMB512, normalize: 'l2' }, { column: 'aud', dtype: EMB128, normalize: 'standardize' }, { column: 'rms', dtype: dt.float64() }], output: 'x' })),
    schema: { img: EMB512, aud: EMB128, rms: dt.float64() }, rows: W, batches: 2, make: (n) => ({ img: tensor(n, 512), aud: tensor(n, 128), rms: f64(n) }) },
  { label: 'earlyFuse [128] + [128] none (256)', call: call(earlyFuse({ parts: [{ column: 'img', dtype: EMB128 }, { column: 'aud', dtype: EMB128 }], output: 'x' })),
    schema: { img: EMB128, aud: EMB128 }, rows: W, batches: 2, make: (n) => ({ img: tensor(n, 128), aud: tensor(n, 128) }) },
  // lateFuse
  { label: 'lateFuse 3 float64 scores mean, 5% nulls', call: call(lateFuse({ columns: ['a', 'b', 'c'], method: 'mean', weights: [2, 1, 1], output: 'p' })),
    schema: { a: dt.float64(), b: dt.float64(), c: dt.float64() }, rows: S, batches: 2, make: (n) => ({ a: f64(n, 0.05), b: f64(n, 0.05), c: f64(n, 0.05) }) },
  { label: 'lateFuse 3 float64 labels vote', call: call(lateFuse({ columns: ['a', 'b', 'c'], method: 'vote', output: 'p' })),
    schema: { a: dt.float64(), b: dt.float64(), c: dt.float64() }, rows: S, batches: 2,
    make: (n) => { const lab = () => buildData(dt.float64(), Array.from({ length: n }, () => Math.floor(rnd() * 5))); return { a: lab(), b: lab(), c: lab() }; } },
  { label: 'lateFuse 3 float32[10] probs mean', call: call(lateFuse({ columns: ['a', 'b', 'c'], dtype: P10, method: 'mean', output: 'p' })),
    schema: { a: P10, b: P10, c: P10 }, rows: S, batches: 1, make: (n) => ({ a: probs(n, 10, 0.05), b: probs(n, 10, 0.05), c: probs(n, 10, 0.05) }) },
  { label: 'lateFuse 3 float32[10] probs vote', call: call(lateFuse({ columns: ['a', 'b', 'c'], dtype: P10, method: 'vote', output: 'p' })),
    schema: { a: P10, b: P10, c: P10 }, rows: S, batches: 1, make: (n) => ({ a: probs(n, 10), b: probs(n, 10), c: probs(n, 10) }) },
  // maskMissing, convertTimeUnit, modalityDropout
  { label: 'maskMissing 2 columns ([128], float64)', call: call(maskMissing({ columns: { e: EMB128, s: dt.float64() } })),
    schema: { e: EMB128, s: dt.float64() }, rows: S, batches: 4, make: (n) => ({ e: tensor(n, 128, 0.1, 1), s: f64(n, 0.1) }) },
  { label: 'convertTimeUnit int64 ns → timestamp ms (floor)', call: call(convertTimeUnit({ column: 't', input: 'int64', from: 'ns', to: 'ms', output: 'tm' })),
    schema: { t: dt.int64() }, rows: S, batches: 2, make: (n) => ({ t: nsStamps(n) }) },
  { label: 'convertTimeUnit int64 ns → timestamp ns', call: call(convertTimeUnit({ column: 't', input: 'int64', from: 'ns', to: 'ns', output: 'tn' })),
    schema: { t: dt.int64() }, rows: S, batches: 2, make: (n) => ({ t: nsStamps(n) }) },
  { label: 'modalityDropout 2 × [128], p 0.2', call: call(modalityDropout({ columns: { a: EMB128, b: EMB128 }, p: 0.2, seed: 3 })),
    schema: { a: EMB128, b: EMB128 }, rows: W, batches: 2, make: (n) => ({ a: tensor(n, 128, 0.05), b: tensor(n, 128, 0.05) }) },
  { label: 'modalityDropout 2 float64, p 0.2', call: call(modalityDropout({ columns: { a: dt.float64(), b: dt.float64() }, p: 0.2, seed: 3 })),
    schema: { a: dt.float64(), b: dt.float64() }, rows: S, batches: 2, make: (n) => ({ a: f64(n, 0.05), b: f64(n, 0.05) }) },
  // other packages, for scale: cheap and costly audio ops on 1 s clips at 16 kHz
  { label: 'audio gain, 1 s clips', call: call(gain({ column: 'audio', minDb: -6, maxDb: 6, seed: 1 })), schema: { audio: WAVE }, rows: 256, batches: 2, make: (n) => ({ audio: clips(n, 16_000) }) },
  { label: 'audio melSpectrogram 64 mels, 1 s clips', call: call(melSpectrogram({ column: 'audio', output: 'mel', sampleRate: 16_000, nFft: 400, hopLength: 160, nMels: 64 })),
    schema: { audio: WAVE }, rows: 64, batches: 2, make: (n) => ({ audio: clips(n, 16_000) }) },
];

/** A source that hands out the given chunks as they are (the run's batchSize must be their size). */
function chunkSource(schema: Schema, chunks: readonly Chunk[]): Source {
  const n = chunks.reduce((a, c) => a + c.length, 0);
  return {
    name: 'chunks', knownSchema: schema, rowCount: n, describe: () => `${n} rows`,
    resolveSchema: async () => schema,
    async *read(): AsyncGenerator<SourceBatch> { for (const chunk of chunks) yield { chunk }; },
  };
}

interface Row { label: string; op: string; declared: number; kernel: number; kernelMin: number; engine: number; stats: number | null; ratio: number; flag: string }
const rows: Row[] = [];
const comparisons: Comparison[] = [];
const signal = new AbortController().signal;
const header = `op costs ${new Date().toISOString()}  runs ${RUNS}${BATCH_ROWS ? `  batches of ≤${BATCH_ROWS} rows` : ''}  load at start ${load()}`;
console.log(header);

for (const c0 of CASES) {
  if (ONLY.length && !ONLY.some((w) => c0.label.toLowerCase().includes(w.toLowerCase()))) continue;
  const c = BATCH_ROWS > 0 && BATCH_ROWS < c0.rows ? { ...c0, rows: BATCH_ROWS, batches: Math.ceil((c0.rows * c0.batches) / BATCH_ROWS) } : c0;
  const def = getOp(c.call.op)!;
  const params = c.call.params;
  const chunks = Array.from({ length: c.batches }, (_, b) => makeChunk(c.schema, c.make(c.rows), rowIdRange(b * c.rows, c.rows)));
  const total = c.rows * c.batches;
  const state = def.spec.init ? await def.spec.init(params) : undefined;
  // Global ops: the statistics phase over the same batches (timed apart; it runs on the coordinating thread).
  let stats: unknown;
  let statsUs: number | null = null;
  if (def.spec.stats) {
    const g = def.spec.stats;
    const once = () => { let acc = g.init(params); for (const ch of chunks) acc = g.update(acc, kernelInput(ch), params); return g.finalize(acc, params); };
    stats = once();
    const t: number[] = [];
    for (let i = 0; i < RUNS; i++) t.push(await time(once));
    statsUs = (summarize(t).median * 1000) / total;
  }
  const kernel = async () => {
    let out = 0;
    for (const ch of chunks) out += (await applyOp(def, params, ch, c.schema, { state, stats, seed: 1, signal })).chunk.length;
    return out;
  };
  // Warm-up until the JIT (and WebAssembly's optimizing tier) has settled: at least 64 batches
  // and 0.5 s, at most 40 runs (a cheap kernel's first ~60 batches run 20× slower than the rest).
  for (let i = 0, spent = 0; i < 40 && (i * c.batches < 64 || spent < 500); i++) spent += await time(kernel);
  const kt: number[] = [];
  for (let i = 0; i < RUNS; i++) kt.push(await time(kernel));
  const kernelUs = (summarize(kt).median * 1000) / total;
  const kernelMinUs = (summarize(kt).min * 1000) / total;
  // The engine, paired: the same batches with and without the op, compute() in-process.
  const ds = fromSource(chunkSource(c.schema, chunks));
  const withOp = ds.map(c.call as never);
  const cmp = await compare(`${c.label}: compute() with the op vs without (workers: 0, ${c.rows}-row batches × ${c.batches})`,
    () => withOp.compute({ workers: 0, batchSize: c.rows }), () => ds.compute({ workers: 0, batchSize: c.rows }), { runs: RUNS, warmup: 2 });
  const diffs = cmp.contender.runs.map((x, i) => x - cmp.baseline.runs[i]!);
  const engineUs = (summarize(diffs).median * 1000) / total;
  const declared = def.properties(params).costPerRow;
  const ratio = kernelUs / declared;
  const flag = ratio > 4 ? `UNDER-declared ${ratio.toFixed(1)}×` : ratio < 1 / 4 ? `OVER-declared ${(1 / ratio).toFixed(1)}×` : 'ok';
  rows.push({ label: c.label, op: c.call.op, declared, kernel: kernelUs, kernelMin: kernelMinUs, engine: engineUs, stats: statsUs, ratio, flag });
  comparisons.push({ ...cmp, extra: { op: c.call.op, declared_us_per_row: declared, kernel_us_per_row: kernelUs, kernel_min_us_per_row: kernelMinUs, engine_delta_us_per_row: engineUs, ...(statsUs !== null ? { stats_us_per_row: statsUs } : {}), measured_over_declared: ratio, flag } });
  console.log(`${c.label}: kernel ${kernelUs.toPrecision(3)} µs/row (engine Δ ${engineUs.toPrecision(3)}${statsUs !== null ? `, statistics ${statsUs.toPrecision(3)}` : ''}), declared ${declared} → ${flag}  [load ${load()}]`);
}

// ---- end to end: where 'auto' runs two pipelines (explain of the run) ----
const autoLines: string[] = [];
if (!ONLY.length || ONLY.includes('auto')) {
  const saved = process.env['MODAFLOW_WORKERS'];
  delete process.env['MODAFLOW_WORKERS'];
  const stageLines = (e: string) => e.split('\n').filter((l) => /^== Physical plan|^Stage |analyzed:/.test(l)).map((l) => `  ${l.trim()}`);
  const zn = 16 * S;
  const zchunks = Array.from({ length: 16 }, (_, b) => makeChunk({ x: dt.float32() }, { x: f32(S) }, rowIdRange(b * S, S)));
  const z = fromSource(chunkSource({ x: dt.float32() }, zchunks)).map(zscoreFilter({ column: 'x', dtype: dt.float32() }));
  await z.compute({ batchSize: S });
  autoLines.push(`zscoreFilter float32, ${zn} rows in ${S}-row batches, workers 'auto':`, ...stageLines(z.explain({ analyze: true })));
  const mchunks = Array.from({ length: 8 }, (_, b) => makeChunk({ audio: WAVE }, { audio: clips(64, 16_000) }, rowIdRange(b * 64, 64)));
  const m = fromSource(chunkSource({ audio: WAVE }, mchunks)).map(melSpectrogram({ column: 'audio', output: 'mel', sampleRate: 16_000, nFft: 400, hopLength: 160, nMels: 64 }));
  await m.compute({ batchSize: 64 });
  autoLines.push(`melSpectrogram, 512 clips of 1 s in 64-row batches, workers 'auto', no pool running yet:`, ...stageLines(m.explain({ analyze: true })));
  // With a pool already running (started here by an explicit run), only the per-batch rule decides.
  await m.compute({ batchSize: 64, workers: availableParallelism() });
  await m.compute({ batchSize: 64 });
  autoLines.push(`the same with the pool already running:`, ...stageLines(m.explain({ analyze: true })));
  if (saved !== undefined) process.env['MODAFLOW_WORKERS'] = saved;
  await shutdownPools();
}

report('op-costs', comparisons);
const p = (x: number) => (x >= 100 ? x.toFixed(0) : Number(x.toPrecision(2)).toString());
const where = (us: number, batch: number) => (us * batch >= HOP_WORTH_US ? 'pool' : 'in');
console.log(`\n${header}\nµs per row; "auto @1024 / @64k": where workers 'auto' sends the stage at 1024-row (default) and 65 536-row batches, by the declared and by the measured cost (declared → measured)`);
console.log('| case | op | declared | kernel median (min) | engine Δ | statistics | measured/declared | auto @1024 | auto @64k |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const flag = r.flag === 'ok' ? `${r.ratio.toFixed(2)}×` : `**${r.ratio.toFixed(2)}×**`;
  console.log(`| ${r.label} | ${r.op} | ${r.declared} | ${p(r.kernel)} (${p(r.kernelMin)}) | ${p(r.engine)} | ${r.stats === null ? '' : p(r.stats)} | ${flag} | ${where(r.declared, 1024)} → ${where(r.kernel, 1024)} | ${where(r.declared, S)} → ${where(r.kernel, S)} |`);
}
if (autoLines.length) console.log(`\n${autoLines.join('\n')}`);
console.log(`\nload at end ${load()}`);
