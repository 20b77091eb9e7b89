// Framing and the short-time power/magnitude spectrum, with torch.stft's conventions: with
// `center`, the signal is padded by n_fft/2 on both sides (reflect by default, like torch), and
// the frame count is 1 + floor((len + 2*pad - n_fft) / hop); without it, 1 + floor((len - n_fft) / hop)
// frames when len >= n_fft, else zero frames.
import { RealFft } from './fft.ts';
import { makeWindow, type WindowName } from './window.ts';

export type PadMode = 'reflect' | 'constant' | 'replicate';

export interface StftOptions {
  readonly nFft: number;
  readonly hopLength: number;
  readonly winLength: number;
  readonly window: WindowName;
  readonly center: boolean;
  readonly padMode: PadMode;
  /** 2 = power, 1 = magnitude. */
  readonly power: 1 | 2;
}

/** Number of frames for a signal of `len` samples. */
export function frameCount(len: number, o: Pick<StftOptions, 'nFft' | 'hopLength' | 'center'>): number {
  const padded = o.center ? len + 2 * Math.floor(o.nFft / 2) : len;
  if (padded < o.nFft) return 0;
  return 1 + Math.floor((padded - o.nFft) / o.hopLength);
}

/** Why a clip cannot be framed (reflect padding needs more samples than the pad), or null. */
export function framingProblem(len: number, o: Pick<StftOptions, 'nFft' | 'center' | 'padMode'>): string | null {
  const pad = Math.floor(o.nFft / 2);
  if (o.center && o.padMode === 'reflect' && len <= pad) {
    return `clip has ${len} samples; reflect padding by n_fft/2 = ${pad} needs more than ${pad} (torch.stft refuses it too)`;
  }
  if (o.center && o.padMode === 'replicate' && len === 0) return 'clip is empty; replicate padding needs at least one sample';
  return null;
}

/** Pad a signal as torch.stft(center=True) does. */
export function padSignal(x: Float32Array, pad: number, mode: PadMode): Float64Array {
  const n = x.length;
  const out = new Float64Array(n + 2 * pad);
  for (let i = 0; i < n; i++) out[pad + i] = x[i]!;
  if (mode === 'constant' || pad === 0) return out;
  for (let i = 1; i <= pad; i++) {
    if (mode === 'reflect') {
      out[pad - i] = x[i]!;
      out[pad + n - 1 + i] = x[n - 1 - i]!;
    } else {
      out[pad - i] = x[0]!;
      out[pad + n - 1 + i] = x[n - 1]!;
    }
  }
  return out;
}

/** A reusable STFT plan: window and FFT built once per parameter set. */
export class Stft {
  readonly o: StftOptions;
  readonly bins: number;
  private readonly fft: RealFft;
  private readonly win: Float64Array;
  private readonly edge: Float64Array;

  constructor(o: StftOptions) {
    this.o = o;
    this.edge = new Float64Array(o.nFft);
    this.fft = new RealFft(o.nFft);
    this.bins = this.fft.bins;
    this.win = makeWindow(o.window, o.winLength, o.nFft);
  }

  frames(len: number): number {
    return frameCount(len, this.o);
  }

  /**
   * Spectrogram of one channel into out[(bin) * frames + t] (freq-major, like torchaudio's
   * (freq, time) layout) starting at outOff. Returns the frame count.
   */
  run(x: Float32Array, out: Float32Array | Float64Array, outOff: number): number {
    const { nFft, hopLength, center, padMode, power } = this.o;
    const sig: ArrayLike<number> = center ? padSignal(x, Math.floor(nFft / 2), padMode) : x;
    const t = this.frames(x.length);
    for (let f = 0; f < t; f++) this.fft.spectrum(sig, f * hopLength, this.win, power, out, outOff + f, t);
    return t;
  }

  /**
   * Spectrogram of one channel, time-major: out[t * bins + bin]. Frames that lie inside the clip
   * read it in place; only the edge frames (which reach into the padding) are assembled in a small
   * buffer, so no padded copy of the clip is made.
   */
  runTimeMajor(x: Float32Array, out: Float64Array): number {
    const t = this.frames(x.length);
    this.runFrames(x, 0, t, out);
    return t;
  }

  /** Frames [f0, f1) of one channel into out[(f - f0) * bins + bin]. */
  runFrames(x: Float32Array, f0: number, f1: number, out: Float64Array): void {
    const { nFft, hopLength, center, padMode, power } = this.o;
    const n = x.length;
    const pad = center ? Math.floor(nFft / 2) : 0;
    const bins = this.bins;
    const buf = this.edge;
    for (let f = f0; f < f1; f++) {
      const start = f * hopLength - pad;
      const at = (f - f0) * bins;
      if (start >= 0 && start + nFft <= n) {
        this.fft.spectrum(x, start, this.win, power, out, at, 1);
        continue;
      }
      for (let i = 0; i < nFft; i++) buf[i] = padAt(x, start + i, padMode);
      this.fft.spectrum(buf, 0, this.win, power, out, at, 1);
    }
  }
}

/** Sample j of the clip extended by the pad mode (j may be out of range). */
export function padAt(x: Float32Array, j: number, mode: PadMode): number {
  const n = x.length;
  if (j >= 0 && j < n) return x[j]!;
  if (mode === 'constant') return 0;
  if (mode === 'replicate') return j < 0 ? x[0]! : x[n - 1]!;
  return j < 0 ? x[-j]! : x[2 * (n - 1) - j]!;
}
