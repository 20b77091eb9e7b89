// Shared parameters of the spectral ops, with torchaudio's defaults, and their validation.
import type { StftOptions, PadMode } from '../dsp/stft.ts';
import type { WindowName } from '../dsp/window.ts';
import type { MelScale } from '../dsp/mel.ts';
import { framingProblem } from '../dsp/stft.ts';
import { need } from './tensors.ts';

export interface StftParams {
  /** FFT size (default 400, torchaudio's). Any size ≥ 2 works; powers of two are fastest. */
  readonly nFft?: number;
  /** Hop between frames in samples (default floor(winLength / 2)). */
  readonly hopLength?: number;
  /** Window length (default nFft); a shorter window is zero-padded to nFft on both sides. */
  readonly winLength?: number;
  /** Default 'hann' (periodic, like torch.hann_window). */
  readonly window?: WindowName;
  /** Pad nFft/2 on both sides so frame t is centred at t*hop (default true). */
  readonly center?: boolean;
  /** Padding for `center` (default 'reflect', like torch.stft). */
  readonly padMode?: PadMode;
  /** 2 = power (default), 1 = magnitude. */
  readonly power?: 1 | 2;
}

export interface MelParams {
  /** Sample rate the filterbank is built for (default 16000). */
  readonly sampleRate?: number;
  /** Number of mel bands (default 128, torchaudio's). */
  readonly nMels?: number;
  readonly fMin?: number;
  /** Default sampleRate / 2. */
  readonly fMax?: number;
  /** 'slaney' divides each filter by its width (area normalization); default null. */
  readonly norm?: 'slaney' | null;
  /** Default 'htk'. */
  readonly melScale?: MelScale;
}

export function stftOptions(p: StftParams): StftOptions {
  const nFft = p.nFft ?? 400;
  const winLength = p.winLength ?? nFft;
  return {
    nFft,
    winLength,
    hopLength: p.hopLength ?? Math.floor(winLength / 2),
    window: p.window ?? 'hann',
    center: p.center ?? true,
    padMode: p.padMode ?? 'reflect',
    power: p.power ?? 2,
  };
}

export function melOptions(p: MelParams): { sampleRate: number; nMels: number; fMin: number; fMax: number; norm: 'slaney' | null; melScale: MelScale } {
  const sampleRate = p.sampleRate ?? 16000;
  return { sampleRate, nMels: p.nMels ?? 128, fMin: p.fMin ?? 0, fMax: p.fMax ?? sampleRate / 2, norm: p.norm ?? null, melScale: p.melScale ?? 'htk' };
}

const int = (v: unknown, lo: number) => Number.isInteger(v) && (v as number) >= lo;

export function validateStft(op: string, p: StftParams): void {
  const o = stftOptions(p);
  need(int(o.nFft, 2), op, `nFft must be an integer ≥ 2, got ${p.nFft}`, 'nFft: 400 or 512');
  need(int(o.winLength, 1) && o.winLength <= o.nFft, op, `winLength must be an integer in [1, nFft], got ${p.winLength}`, 'omit winLength to use nFft');
  need(int(o.hopLength, 1), op, `hopLength must be a positive integer, got ${p.hopLength}`, 'hopLength: 160 (10 ms at 16 kHz)');
  need(['hann', 'hamming', 'blackman', 'rectangular'].includes(o.window), op, `unknown window '${o.window}'`, "window: 'hann' | 'hamming' | 'blackman' | 'rectangular'");
  need(['reflect', 'constant', 'replicate'].includes(o.padMode), op, `unknown padMode '${o.padMode}'`, "padMode: 'reflect' | 'constant' | 'replicate'");
  need(o.power === 1 || o.power === 2, op, `power must be 1 or 2, got ${p.power}`, 'power: 2 for power, 1 for magnitude');
}

export function validateMel(op: string, p: MelParams): void {
  const m = melOptions(p);
  need(int(m.sampleRate, 1), op, `sampleRate must be a positive integer, got ${p.sampleRate}`, 'sampleRate: 16000');
  need(int(m.nMels, 1), op, `nMels must be a positive integer, got ${p.nMels}`, 'nMels: 80');
  need(Number.isFinite(m.fMin) && Number.isFinite(m.fMax) && m.fMin >= 0 && m.fMin < m.fMax, op, `need 0 ≤ fMin < fMax, got ${m.fMin}, ${m.fMax}`, 'omit fMin / fMax for 0 .. sampleRate/2');
  need(m.norm === null || m.norm === 'slaney', op, `norm must be null or 'slaney', got ${p.norm}`, "norm: 'slaney'");
  need(m.melScale === 'htk' || m.melScale === 'slaney', op, `melScale must be 'htk' or 'slaney', got ${p.melScale}`, "melScale: 'htk'");
}

/** The per-row framing problem as a row-error reason, or null. */
export function tooShort(len: number, o: StftOptions): string | null {
  const why = framingProblem(len, o);
  return why === null ? null : `${why} — fix: drop or pad short clips, or use padMode: 'constant' (or center: false, which gives zero frames)`;
}
