// Whole-clip feature pipelines over planar float32 audio [channels, samples]: spectrogram,
// mel spectrogram (optionally in dB), MFCC. Plans (FFT, window, filterbank, DCT) are cached per
// parameter set so a kernel builds them once per worker.
import { Stft, type StftOptions } from './stft.ts';
import { sparseMel, applyMel, type MelOptions, type SparseMel } from './mel.ts';
import { dctMatrix, lifterWeights, toDb } from './db.ts';
import { simdMel, simdMfcc, simdSpectrogram, simdUnavailableReason, type SimdDb } from './simd.ts';

/**
 * Which implementation computes a feature: 'auto' (default) takes the WebAssembly SIMD kernel
 * (float32, simd.ts) when the engine has it and the settings are supported (even n_fft), else the
 * float64 JS path; 'js' forces the JS path (the reference); 'wasm' fails when the kernel cannot run.
 */
export type SpectralKernel = 'auto' | 'js' | 'wasm';

function noKernel(what: string): never {
  const why = simdUnavailableReason();
  throw new Error(`${what}: the WebAssembly SIMD kernel cannot run ${why ? `(${why})` : 'these settings (it needs an even nFft and db.amin ≥ 1.2e-38)'} — fix: use kernel 'auto' or 'js'`);
}

export interface DbOptions {
  /** 10 for power spectrograms, 20 for magnitude (default from the stft power). */
  readonly multiplier?: number;
  readonly amin?: number;
  readonly ref?: number;
  /** Floor at (max over the clip) - topDb; null = no floor. */
  readonly topDb?: number | null;
}

export interface MelFeatureOptions {
  readonly stft: StftOptions;
  readonly mel: Omit<MelOptions, 'nFreqs'>;
  /** Convert to decibels (log-mel). */
  readonly db?: DbOptions | null;
  /** Implementation (default 'auto'). */
  readonly kernel?: SpectralKernel;
}

export interface MfccOptions extends MelFeatureOptions {
  readonly nMfcc: number;
  readonly dctNorm: 'ortho' | null;
  /** log(mel + 1e-6) instead of dB (torchaudio's log_mels=True). */
  readonly logMels: boolean;
  /** Sinusoidal lifter L (0 = none). */
  readonly lifter: number;
}

const stftCache = new Map<string, Stft>();
const melCache = new Map<string, SparseMel>();
const dctCache = new Map<string, Float64Array>();

function cached<T>(m: Map<string, T>, key: string, make: () => T): T {
  let v = m.get(key);
  if (v === undefined) {
    if (m.size > 32) m.clear();
    v = make();
    m.set(key, v);
  }
  return v;
}

export function stftPlan(o: StftOptions): Stft {
  return cached(stftCache, JSON.stringify(o), () => new Stft(o));
}

export function melPlan(o: MelOptions): SparseMel {
  return cached(melCache, JSON.stringify(o), () => sparseMel(o));
}

/** Power/magnitude spectrogram [channels, n_fft/2+1, frames]. */
export function spectrogram(x: Float32Array, channels: number, o: StftOptions, kernel: SpectralKernel = 'auto'): { data: Float32Array; shape: [number, number, number] } {
  if (kernel !== 'js') {
    const r = simdSpectrogram(x, channels, o);
    if (r) return r;
    if (kernel === 'wasm') noKernel('spectrogram');
  }
  const plan = stftPlan(o);
  const n = channels === 0 ? 0 : x.length / channels;
  const T = plan.frames(n);
  const F = plan.bins;
  const out = new Float32Array(channels * F * T);
  for (let c = 0; c < channels; c++) plan.run(x.subarray(c * n, (c + 1) * n), out, c * F * T);
  return { data: out, shape: [channels, F, T] };
}

const BLOCK_FRAMES = 512;
let scratch = new Float64Array(0);
function specScratch(size: number): Float64Array {
  if (scratch.length < size) scratch = new Float64Array(size);
  return scratch;
}

/**
 * Mel energies [channels, n_mels, frames] (before any dB conversion), in float32 like
 * torchaudio's output; the spectrum and the filterbank sums are computed in float64.
 */
function melInto(x: Float32Array, channels: number, o: MelFeatureOptions, make: (n: number) => Float32Array): { data: Float32Array; T: number } {
  const plan = stftPlan(o.stft);
  const mel = melPlan({ ...o.mel, nFreqs: plan.bins });
  const n = channels === 0 ? 0 : x.length / channels;
  const T = plan.frames(n);
  const M = mel.nMels;
  const F = plan.bins;
  const out = make(channels * M * T);
  // The spectrum is transient: blocks of frames go through one reused buffer, so memory does not
  // grow with the clip (an hour at hop 160 would be 740 MB of spectrum) and nothing is allocated per clip.
  const B = Math.min(T, BLOCK_FRAMES);
  const spec = specScratch(B * F);
  for (let c = 0; c < channels; c++) {
    const xc = x.subarray(c * n, (c + 1) * n);
    const base = c * M * T;
    for (let t0 = 0; t0 < T; t0 += B) {
      const t1 = Math.min(T, t0 + B);
      plan.runFrames(xc, t0, t1, spec);
      for (let t = t0; t < t1; t++) applyMel(mel, spec, (t - t0) * F, out, base + t, T);
    }
  }
  return { data: out, T };
}

/** Mel spectrogram [channels, n_mels, frames], optionally in dB (log-mel). */
export function melSpectrogram(x: Float32Array, channels: number, o: MelFeatureOptions): { data: Float32Array; shape: [number, number, number] } {
  if (o.kernel !== 'js') {
    const r = simdMel(x, channels, o.stft, o.mel, o.db ? simdDb(o.db, o.stft.power) : null);
    if (r) return r;
    if (o.kernel === 'wasm') noKernel('melSpectrogram');
  }
  const { data, T } = melInto(x, channels, o, (k) => new Float32Array(k));
  // dB from the float32 energies: torchaudio converts its float32 mel output too.
  if (o.db) applyDb(data, o.db, o.stft.power);
  return { data, shape: [channels, o.mel.nMels, T] };
}

function simdDb(db: DbOptions, power: 1 | 2): SimdDb {
  return { multiplier: db.multiplier ?? (power === 2 ? 10 : 20), amin: db.amin ?? 1e-10, ref: db.ref ?? 1, topDb: db.topDb ?? null };
}

function applyDb(data: Float32Array, db: DbOptions, power: 1 | 2): void {
  toDb(data, db.multiplier ?? (power === 2 ? 10 : 20), db.amin ?? 1e-10, db.ref ?? 1, db.topDb ?? null);
}

/** MFCC [channels, n_mfcc, frames] as torchaudio.transforms.MFCC computes them. */
export function mfcc(x: Float32Array, channels: number, o: MfccOptions): { data: Float32Array; shape: [number, number, number] } {
  if (o.kernel !== 'js') {
    const r = simdMfcc(x, channels, o.stft, o.mel, o.logMels ? null : simdDb(o.db ?? { topDb: 80 }, o.stft.power), o.nMfcc, o.dctNorm, o.lifter);
    if (r) return r;
    if (o.kernel === 'wasm') noKernel('mfcc');
  }
  const { data, T } = melInto(x, channels, o, (k) => new Float32Array(k));
  if (o.logMels) for (let i = 0; i < data.length; i++) data[i] = Math.log(data[i]! + 1e-6);
  else applyDb(data, o.db ?? { topDb: 80 }, o.stft.power);
  const M = o.mel.nMels, K = o.nMfcc;
  const dct = cached(dctCache, `${K}/${M}/${o.dctNorm}`, () => dctMatrix(K, M, o.dctNorm));
  const lift = lifterWeights(K, o.lifter);
  const out = new Float32Array(channels * K * T);
  const acc = new Float64Array(T);
  for (let c = 0; c < channels; c++) {
    const mb = c * M * T;
    for (let k = 0; k < K; k++) {
      acc.fill(0);
      for (let m = 0; m < M; m++) {
        const w = dct[k * M + m]!;
        const row = mb + m * T;
        for (let t = 0; t < T; t++) acc[t] += w * data[row + t]!;
      }
      const ob = c * K * T + k * T, l = lift[k]!;
      for (let t = 0; t < T; t++) out[ob + t] = acc[t]! * l;
    }
  }
  return { data: out, shape: [channels, K, T] };
}
