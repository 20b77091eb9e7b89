// Loads the torchaudio golden vectors (made by make_goldens.py) and the sample clips they came from.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const AUDIOS = fileURLToPath(new URL('../../../../examples/data/dataset/audios', import.meta.url));

export interface FrameGolden { shape: number[]; frames: Record<string, number[]>; frameSums: number[] }
export interface ClipGolden {
  sampleRate: number;
  length: number;
  head: number[];
  resample16k: { length: number; head: number[]; mid: number[]; tail: number[]; sumsq: number };
  resample8k: { length: number; mid: number[] };
  resample44k: { length: number; mid: number[] };
  [config: string]: unknown;
}
export interface Goldens {
  torch: string;
  torchaudio: string;
  clips: Record<string, ClipGolden>;
  fbanks: Record<string, { params: { n_freqs: number; f_min: number; f_max: number; n_mels: number; sample_rate: number; norm?: 'slaney'; mel_scale?: 'htk' | 'slaney' }; colSums: number[]; colMax: number[]; col10: number[] }>;
}

export const goldens: Goldens = JSON.parse(readFileSync(fileURLToPath(new URL('./torchaudio-goldens.json', import.meta.url)), 'utf8'));

export function clipBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(AUDIOS, name)));
}

/** Largest |a-b| / (|b| + floor) over the arrays; floor keeps near-zero bins from dominating. */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>, floor: number): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / (Math.abs(b[i]!) + floor));
  return m;
}

export function maxAbsErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
