// Mel filterbanks exactly as torchaudio.functional.melscale_fbanks builds them (HTK or Slaney
// scale; optional Slaney area normalization), plus a sparse form for fast projection: every
// filter is non-zero only on a short run of bins.

export type MelScale = 'htk' | 'slaney';

export function hzToMel(f: number, scale: MelScale): number {
  if (scale === 'htk') return 2595 * Math.log10(1 + f / 700);
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logstep = Math.log(6.4) / 27;
  return f >= minLogHz ? minLogMel + Math.log(f / minLogHz) / logstep : f / fSp;
}

export function melToHz(m: number, scale: MelScale): number {
  if (scale === 'htk') return 700 * (10 ** (m / 2595) - 1);
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logstep = Math.log(6.4) / 27;
  return m >= minLogMel ? minLogHz * Math.exp(logstep * (m - minLogMel)) : fSp * m;
}

export interface MelOptions {
  readonly nFreqs: number;
  readonly fMin: number;
  readonly fMax: number;
  readonly nMels: number;
  readonly sampleRate: number;
  readonly norm: 'slaney' | null;
  readonly melScale: MelScale;
}

/** Dense filterbank, fb[freq * nMels + mel] (torchaudio's (n_freqs, n_mels) layout). */
export function melFilterbank(o: MelOptions): Float64Array {
  const { nFreqs, nMels } = o;
  const fb = new Float64Array(nFreqs * nMels);
  // torch.linspace(0, sample_rate // 2, n_freqs): note the integer division.
  const top = Math.floor(o.sampleRate / 2);
  const allFreqs = new Float64Array(nFreqs);
  for (let i = 0; i < nFreqs; i++) allFreqs[i] = nFreqs === 1 ? 0 : (top * i) / (nFreqs - 1);
  const mMin = hzToMel(o.fMin, o.melScale);
  const mMax = hzToMel(o.fMax, o.melScale);
  const fPts = new Float64Array(nMels + 2);
  for (let i = 0; i < nMels + 2; i++) fPts[i] = melToHz(mMin + ((mMax - mMin) * i) / (nMels + 1), o.melScale);
  for (let f = 0; f < nFreqs; f++) {
    for (let m = 0; m < nMels; m++) {
      const down = (fPts[m]! - allFreqs[f]!) * -1 / (fPts[m + 1]! - fPts[m]!);
      const up = (fPts[m + 2]! - allFreqs[f]!) / (fPts[m + 2]! - fPts[m + 1]!);
      let w = Math.max(0, Math.min(down, up));
      if (o.norm === 'slaney') w *= 2 / (fPts[m + 2]! - fPts[m]!);
      fb[f * nMels + m] = w;
    }
  }
  return fb;
}

/** A filterbank as runs of non-zero weights: filter m covers bins start[m] .. start[m]+len[m]. */
export interface SparseMel {
  readonly nMels: number;
  readonly nFreqs: number;
  readonly start: Int32Array;
  readonly len: Int32Array;
  readonly offset: Int32Array;
  readonly weights: Float64Array;
}

export function sparseMel(o: MelOptions): SparseMel {
  const fb = melFilterbank(o);
  const { nFreqs, nMels } = o;
  const start = new Int32Array(nMels), len = new Int32Array(nMels), offset = new Int32Array(nMels + 1);
  const w: number[] = [];
  for (let m = 0; m < nMels; m++) {
    let lo = -1, hi = -1;
    for (let f = 0; f < nFreqs; f++) if (fb[f * nMels + m] !== 0) { if (lo < 0) lo = f; hi = f; }
    start[m] = lo < 0 ? 0 : lo;
    len[m] = lo < 0 ? 0 : hi - lo + 1;
    offset[m] = w.length;
    for (let f = start[m]!; f < start[m]! + len[m]!; f++) w.push(fb[f * nMels + m]!);
  }
  offset[nMels] = w.length;
  return { nMels, nFreqs, start, len, offset, weights: Float64Array.from(w) };
}

/** mel[m] = Σ_f spec[specOff + f] * fb[f, m], written to out[outOff + m * outStride]. */
export function applyMel(s: SparseMel, spec: Float64Array, specOff: number, out: Float32Array | Float64Array, outOff: number, outStride: number): void {
  const { start, len, offset, weights } = s;
  for (let m = 0; m < s.nMels; m++) {
    let acc = 0;
    const b = specOff + start[m]!, o = offset[m]!, n = len[m]!;
    for (let k = 0; k < n; k++) acc += spec[b + k]! * weights[o + k]!;
    out[outOff + m * outStride] = acc;
  }
}
