// The WebAssembly SIMD path of the spectral features (wasm/spectral.c): spectrogram, mel, log-mel
// and MFCC in float32, four frames per f32x4 vector. features.ts uses it when the engine has
// WebAssembly SIMD and the parameters are supported (even n_fft); otherwise, or with
// MODAFLOW_AUDIO_SIMD=0, the float64 JS path (fft.ts, mel.ts, db.ts) runs, which stays the
// reference the tests compare this one with.
//
// Memory: plans (permutation, window, twiddles, filterbank, DCT) live at the bottom of the
// module's memory, cached by parameters; above them each call lays out one chunk of at most
// chunkFrames() frames of padded signal and its output, so memory does not grow with the clip.
import { readFileSync } from 'node:fs';
import { factorize } from './fft.ts';
import { makeWindow } from './window.ts';
import { sparseMel, type MelOptions } from './mel.ts';
import { dctMatrix, lifterWeights } from './db.ts';
import { frameCount, padAt, type StftOptions } from './stft.ts';

// The package's lib (ES2023, no DOM) has no WebAssembly types: the little used here.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

interface Kernel {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  __heap_base: { readonly value: number };
  spectral_frames(plan: number, sig: number, nframes: number, hop: number, out: number, ostride: number): void;
  to_db(x: number, n: number, k: number, amin: number, offset: number, atmin: number): number;
  log_eps(x: number, n: number, eps: number): void;
  dct(inp: number, M: number, T: number, istride: number, floor: number, D: number, K: number, out: number, ostride: number): void;
  floor_at(x: number, n: number, floor: number): void;
}

const CHUNK_FRAMES = 2048;
/** Bounds of one chunk, in floats: its output (rows × frames) and its signal (~frames × hop). */
const CHUNK_OUT_FLOATS = 1 << 21, CHUNK_SIG_FLOATS = 1 << 22;

/** Frames per chunk: 2048, fewer for very large outputs per frame (big n_fft) or hops. */
function chunkFrames(rows: number, hop: number): number {
  return Math.max(1, Math.min(CHUNK_FRAMES, Math.floor(CHUNK_OUT_FLOATS / rows), Math.floor(CHUNK_SIG_FLOATS / hop)));
}
const MAX_PLANS = 32;
// Word offsets of the C Plan struct.
const P_H = 0, P_NSTAGES = 1, P_POWER = 2, P_NMELS = 3, P_PERM = 4, P_WIN = 5, P_SPLIT = 6, P_TWFULL = 7,
  P_MSTART = 8, P_MLEN = 9, P_MW = 10, P_WORK = 11, P_SP = 12, P_SM = 28, P_SF = 44, P_STW = 60, P_Y3I = 76, P_Y5 = 77, P_WORDS = 81;

let kernel: Kernel | null | undefined;
let loadError = '';

function load(): Kernel | null {
  if (kernel !== undefined) return kernel;
  kernel = null;
  if (process.env.MODAFLOW_AUDIO_SIMD === '0') { loadError = 'disabled by MODAFLOW_AUDIO_SIMD=0'; return null; }
  if (!WA) { loadError = 'this JavaScript engine has no WebAssembly'; return null; }
  try {
    const mod = new WA.Module(readFileSync(new URL('./wasm/spectral.wasm', import.meta.url)));
    kernel = new WA.Instance(mod, {}).exports as Kernel;
    heapTop = planTop = align(kernel.__heap_base.value);
  } catch (e) {
    // No SIMD in this engine (CompileError) or the file is missing: the JS path runs.
    loadError = (e as Error).message;
  }
  return kernel;
}

/** Whether the WebAssembly SIMD kernel is loaded (false: the JS path computes everything). */
export function simdAvailable(): boolean {
  return load() !== null;
}

/** Why the kernel is not available ('' when it is). */
export function simdUnavailableReason(): string {
  load();
  return kernel ? '' : loadError;
}

// ---- memory -------------------------------------------------------------------------------

let planTop = 0;
let heapTop = 0;
let f32 = new Float32Array(0);
let i32 = new Int32Array(0);

const align = (n: number) => (n + 15) & ~15;

function views(k: Kernel): void {
  if (f32.buffer !== k.memory.buffer) {
    f32 = new Float32Array(k.memory.buffer);
    i32 = new Int32Array(k.memory.buffer);
  }
}

function reserve(k: Kernel, end: number): void {
  const have = k.memory.buffer.byteLength;
  if (end > have) k.memory.grow(Math.ceil((end - have) / 65536));
  views(k);
}

/** Permanent allocation (plans). */
function allocPlan(k: Kernel, bytes: number): number {
  const p = planTop;
  planTop = align(planTop + bytes);
  reserve(k, planTop);
  return p;
}

function putF32(k: Kernel, a: ArrayLike<number>): number {
  const p = allocPlan(k, 4 * a.length);
  f32.set(a, p >> 2);
  return p;
}

function putI32(k: Kernel, a: ArrayLike<number>): number {
  const p = allocPlan(k, 4 * a.length);
  i32.set(a, p >> 2);
  return p;
}

// ---- plans --------------------------------------------------------------------------------

interface SpectralPlan {
  ptr: number;
  bins: number;
  /** Output rows: mel bands, or bins when there is no filterbank. */
  rows: number;
}

const plans = new Map<string, SpectralPlan>();
const dcts = new Map<string, number>();

function resetPlans(k: Kernel): void {
  plans.clear();
  dcts.clear();
  planTop = align(k.__heap_base.value);
}

function cachedPlan<T>(k: Kernel, m: Map<string, T>, key: string, make: () => T): T {
  let v = m.get(key);
  if (v === undefined) {
    if (plans.size + dcts.size >= MAX_PLANS) resetPlans(k);
    v = make();
    m.set(key, v);
  }
  return v;
}

function buildPlan(k: Kernel, o: StftOptions, mel: MelOptions | null): SpectralPlan {
  const n = o.nFft, h = n >> 1;
  const factors = h === 1 ? [] : factorize(h);
  const hdr = allocPlan(k, 4 * P_WORDS);
  const words = new Int32Array(P_WORDS);
  words[P_H] = h;
  words[P_NSTAGES] = factors.length;
  words[P_POWER] = o.power;
  // Gather order of the half-length FFT's decimation in time (as ComplexFft.perm), as even sample indices.
  const perm = new Int32Array(h);
  let pos = 0;
  const rec = (src: number, stride: number, depth: number): void => {
    if (depth === factors.length) { perm[pos++] = 2 * src; return; }
    const p = factors[depth]!;
    for (let q = 0; q < p; q++) rec(src + q * stride, stride * p, depth + 1);
  };
  rec(0, 1, 0);
  words[P_PERM] = putI32(k, perm);
  words[P_WIN] = putF32(k, makeWindow(o.window, o.winLength, n));
  const split = new Float64Array(2 * h), full = new Float64Array(2 * h);
  for (let i = 0; i < h; i++) {
    split[2 * i] = Math.cos((-2 * Math.PI * i) / n); split[2 * i + 1] = Math.sin((-2 * Math.PI * i) / n);
    full[2 * i] = Math.cos((-2 * Math.PI * i) / h); full[2 * i + 1] = Math.sin((-2 * Math.PI * i) / h);
  }
  words[P_SPLIT] = putF32(k, split);
  words[P_TWFULL] = putF32(k, full);
  let m = h, fstride = 1, maxP = 1;
  factors.forEach((p, s) => {
    m /= p;
    maxP = Math.max(maxP, p);
    words[P_SP + s] = p;
    words[P_SM + s] = m;
    words[P_SF + s] = fstride;
    if (p <= 5) {
      const tw = new Float64Array(2 * (p - 1) * m);
      for (let kk = 0; kk < m; kk++) {
        for (let j = 1; j < p; j++) {
          const a = (-2 * Math.PI * ((j * kk * fstride) % h)) / h;
          tw[2 * ((p - 1) * kk + j - 1)] = Math.cos(a);
          tw[2 * ((p - 1) * kk + j - 1) + 1] = Math.sin(a);
        }
      }
      words[P_STW + s] = putF32(k, tw);
    }
    fstride *= p;
  });
  let rows = h + 1;
  if (mel) {
    const sm = sparseMel(mel);
    words[P_NMELS] = sm.nMels;
    words[P_MSTART] = putI32(k, sm.start);
    words[P_MLEN] = putI32(k, sm.len);
    words[P_MW] = putF32(k, sm.weights);
    rows = sm.nMels;
  }
  words[P_WORK] = allocPlan(k, 16 * (5 * h + 1 + 2 * maxP));
  i32.set(words, hdr >> 2);
  // The float fields of the header (radix-3 and radix-5 constants).
  f32.set([Math.sin(-2 * Math.PI / 3), Math.cos(-2 * Math.PI / 5), Math.sin(-2 * Math.PI / 5), Math.cos(-4 * Math.PI / 5), Math.sin(-4 * Math.PI / 5)], (hdr >> 2) + P_Y3I);
  return { ptr: hdr, bins: h + 1, rows };
}

function spectralPlan(k: Kernel, o: StftOptions, mel: Omit<MelOptions, 'nFreqs'> | null): SpectralPlan {
  const key = JSON.stringify([o, mel]);
  return cachedPlan(k, plans, key, () => buildPlan(k, o, mel ? { ...mel, nFreqs: (o.nFft >> 1) + 1 } : null));
}

/**
 * Whether the kernel computes these STFT settings: the real FFT needs an even n_fft, and the plan
 * holds at most 16 stages (n_fft / 2 = 3^17 would be the first to need more).
 */
function supported(o: StftOptions): boolean {
  return o.nFft % 2 === 0 && o.nFft >= 2 && (o.nFft === 2 || factorize(o.nFft / 2).length <= 16);
}

// ---- frames -------------------------------------------------------------------------------

/**
 * Runs the kernel over the frames of one channel, chunkFrames() at a time: each chunk's padded
 * samples are copied into the module's memory, its [rows, b] output is computed there, then
 * `sink(outPtr, t0, b)` consumes it.
 */
function eachChunk(k: Kernel, plan: SpectralPlan, x: Float32Array, o: StftOptions, T: number, sink: (out: number, t0: number, b: number) => void): void {
  if (T === 0) return;
  const { nFft, hopLength: hop, center, padMode } = o;
  const pad = center ? Math.floor(nFft / 2) : 0;
  const n = x.length;
  const B = Math.min(T, chunkFrames(plan.rows, hop));
  const sigLen = (B - 1) * hop + nFft;
  const sigPtr = heapTop;
  const outPtr = align(sigPtr + 4 * sigLen);
  reserve(k, outPtr + 4 * plan.rows * B);
  for (let t0 = 0; t0 < T; t0 += B) {
    const b = Math.min(B, T - t0);
    const lo = t0 * hop - pad, len = (b - 1) * hop + nFft;
    const base = sigPtr >> 2;
    const a = Math.max(lo, 0), e = Math.min(lo + len, n);
    if (e > a) f32.set(x.subarray(a, e), base + a - lo);
    for (let j = lo; j < Math.min(0, lo + len); j++) f32[base + j - lo] = padAt(x, j, padMode);
    for (let j = Math.max(n, lo); j < lo + len; j++) f32[base + j - lo] = padAt(x, j, padMode);
    k.spectral_frames(plan.ptr, sigPtr, b, hop, outPtr, b);
    sink(outPtr, t0, b);
  }
}

/** Copy a [rows, b] block at `ptr` into dst[base + r·T + t0 ..]. */
function copyOut(ptr: number, rows: number, b: number, dst: Float32Array, base: number, T: number, t0: number): void {
  const p = ptr >> 2;
  if (b === T) { dst.set(f32.subarray(p, p + rows * b), base); return; }
  for (let r = 0; r < rows; r++) dst.set(f32.subarray(p + r * b, p + (r + 1) * b), base + r * T + t0);
}

export interface SimdDb {
  multiplier: number;
  amin: number;
  ref: number;
  topDb: number | null;
}

/** amin must be a positive normal float32 for the kernel's log. */
const dbSupported = (db: SimdDb | null) => db === null || (db.amin >= 1.1754944e-38 && Number.isFinite(db.amin));

/**
 * Spectrogram (mel === null) or mel spectrogram [channels, rows, T], optionally in dB or as
 * log(x + logEps). A clip of one channel that fits one chunk (the common case: 20 s at hop 160)
 * stays in the module's memory for `single` (the top_db floor, the DCT) before one copy out;
 * otherwise every chunk is copied out into `data` as it is done and the floor is left to the
 * caller (`max` is the maximum over the clip). Returns null when the kernel is not available or
 * does not support the settings.
 */
function spectralRun(x: Float32Array, channels: number, o: StftOptions, mel: Omit<MelOptions, 'nFreqs'> | null, db: SimdDb | null, logEps: number | null,
  single: ((k: Kernel, out: number, rows: number, T: number, max: number) => Float32Array) | null):
  { data: Float32Array; rows: number; T: number; max: number; done: boolean } | null {
  const k = load();
  if (!k || !supported(o) || !dbSupported(db)) return null;
  const plan = spectralPlan(k, o, mel);
  heapTop = planTop;
  views(k);
  const n = channels === 0 ? 0 : x.length / channels;
  const T = frameCount(n, o);
  const R = plan.rows;
  let max = -Infinity;
  const scale = db ? db.multiplier * Math.LOG10E : 0;
  const offset = db ? db.multiplier * Math.log10(Math.max(db.amin, db.ref)) : 0;
  // What db.ts's toDb gives a value at or below amin, in float64 (exactly −100 for amin 1e-10, ref 1).
  const atmin = db ? scale * Math.log(db.amin) - offset : 0;
  const finishChunk = (out: number, b: number) => {
    if (db) {
      const m = k.to_db(out, R * b, scale, db.amin, offset, atmin);
      if (m > max) max = m;
    } else if (logEps !== null) k.log_eps(out, R * b, logEps);
  };
  if (single && channels === 1 && T > 0 && T <= chunkFrames(R, o.hopLength)) {
    let data: Float32Array = new Float32Array(0);
    eachChunk(k, plan, x, o, T, (out, _t0, b) => {
      finishChunk(out, b);
      data = single(k, out, R, T, max);
    });
    return { data, rows: R, T, max, done: true };
  }
  const data = new Float32Array(channels * R * T);
  for (let c = 0; c < channels; c++) {
    const base = c * R * T;
    eachChunk(k, plan, x.subarray(c * n, (c + 1) * n), o, T, (out, t0, b) => {
      finishChunk(out, b);
      copyOut(out, R, b, data, base, T, t0);
    });
  }
  return { data, rows: R, T, max, done: false };
}

function floorAt(x: Float32Array, floor: number): void {
  for (let i = 0; i < x.length; i++) if (x[i]! < floor) x[i] = floor;
}

/** Power / magnitude spectrogram [channels, n_fft/2+1, T] through the kernel, or null. */
export function simdSpectrogram(x: Float32Array, channels: number, o: StftOptions): { data: Float32Array; shape: [number, number, number] } | null {
  const r = spectralRun(x, channels, o, null, null, null, null);
  return r && { data: r.data, shape: [channels, r.rows, r.T] };
}

/** Mel spectrogram [channels, n_mels, T], optionally in dB, through the kernel, or null. */
export function simdMel(x: Float32Array, channels: number, o: StftOptions, mel: Omit<MelOptions, 'nFreqs'>, db: SimdDb | null): { data: Float32Array; shape: [number, number, number] } | null {
  const topDb = db?.topDb ?? null;
  const r = spectralRun(x, channels, o, mel, db, null, (k, out, R, T, max) => {
    if (topDb !== null) k.floor_at(out, R * T, max - topDb);
    const data = new Float32Array(R * T);
    copyOut(out, R, T, data, 0, T, 0);
    return data;
  });
  if (!r) return null;
  if (!r.done && topDb !== null && r.data.length > 0) floorAt(r.data, r.max - topDb);
  return { data: r.data, shape: [channels, r.rows, r.T] };
}

/**
 * MFCC [channels, nMfcc, T] through the kernel, or null: mel → dB (or log(mel + 1e-6)) → top_db
 * floor folded into the DCT-II (with the lifter folded into its matrix).
 */
export function simdMfcc(x: Float32Array, channels: number, o: StftOptions, mel: Omit<MelOptions, 'nFreqs'>, db: SimdDb | null, nMfcc: number, dctNorm: 'ortho' | null, lifter: number):
  { data: Float32Array; shape: [number, number, number] } | null {
  const k = load();
  if (!k || !supported(o) || !dbSupported(db)) return null;
  const K = nMfcc;
  const dctOf = (M: number) => cachedPlan(k, dcts, `${K}/${M}/${dctNorm}/${lifter}`, () => {
    // Lifter folded in; zero rows up to a multiple of 6 (the kernel computes 6 coefficients at a time).
    const d = dctMatrix(K, M, dctNorm), l = lifterWeights(K, lifter);
    for (let i = 0; i < K; i++) for (let j = 0; j < M; j++) d[i * M + j]! *= l[i]!;
    const padded = new Float64Array(Math.ceil(K / 6) * 6 * M);
    padded.set(d);
    return putF32(k, padded);
  });
  // Build (or find) both plans before the run: allocating one later would write over the chunk
  // above the plan area. (Building the DCT may reset a full cache; the run then rebuilds the
  // spectral plan into a cache that has room.)
  spectralPlan(k, o, mel);
  dctOf(mel.nMels);
  const topDb = db?.topDb ?? null;
  const r = spectralRun(x, channels, o, mel, db, db ? null : 1e-6, (kk, inPtr, M, T, max) => {
    const outPtr = align(inPtr + 4 * M * T);
    reserve(kk, outPtr + 4 * K * T);
    kk.dct(inPtr, M, T, T, topDb !== null ? max - topDb : -Infinity, dctOf(M), K, outPtr, T);
    const data = new Float32Array(K * T);
    copyOut(outPtr, K, T, data, 0, T, 0);
    return data;
  });
  if (!r) return null;
  const M = r.rows, T = r.T;
  if (r.done) return { data: r.data, shape: [channels, K, T] };
  const floor = topDb !== null && r.data.length > 0 ? r.max - topDb : -Infinity;
  const D = dctOf(M);
  heapTop = planTop;
  const out = new Float32Array(channels * K * T);
  if (T === 0) return { data: out, shape: [channels, K, T] };
  const B = Math.min(T, chunkFrames(Math.max(M, K), 1));
  const inPtr = heapTop, outPtr = align(inPtr + 4 * M * B);
  reserve(k, outPtr + 4 * K * B);
  for (let c = 0; c < channels; c++) {
    for (let t0 = 0; t0 < T; t0 += B) {
      const b = Math.min(B, T - t0);
      const src = r.data.subarray(c * M * T), p = inPtr >> 2;
      if (b === T) f32.set(src.subarray(0, M * T), p);
      else for (let m = 0; m < M; m++) f32.set(src.subarray(m * T + t0, m * T + t0 + b), p + m * b);
      k.dct(inPtr, M, b, b, floor, D, K, outPtr, b);
      copyOut(outPtr, K, b, out, c * K * T, T, t0);
    }
  }
  return { data: out, shape: [channels, K, T] };
}
