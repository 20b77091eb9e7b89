// Decibels and the DCT as torchaudio computes them: amplitude_to_DB (multiplier 10 for power,
// 20 for magnitude; amin clamp; top_db relative to the maximum of the whole clip, all channels),
// and create_dct (DCT-II, 'ortho' or unnormalized).

/** In-place dB conversion of x; top_db (if given) floors values at max - top_db. */
export function toDb(x: Float32Array, multiplier: number, amin: number, ref: number, topDb: number | null): void {
  const offset = multiplier * Math.log10(Math.max(amin, ref));
  // log10(v) = ln(v)·log10(e): Math.log is the faster of the two in V8.
  const k = multiplier * Math.LOG10E;
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const a = x[i]!;
    const v = k * Math.log(a > amin ? a : amin) - offset;
    x[i] = v;
    if (v > max) max = v;
  }
  if (topDb !== null && x.length > 0) {
    const floor = max - topDb;
    for (let i = 0; i < x.length; i++) if (x[i]! < floor) x[i] = floor;
  }
}

/** DCT matrix dct[k * nMels + n] (n_mfcc × n_mels), as torchaudio.functional.create_dct(...).t(). */
export function dctMatrix(nMfcc: number, nMels: number, norm: 'ortho' | null): Float64Array {
  const out = new Float64Array(nMfcc * nMels);
  for (let k = 0; k < nMfcc; k++) {
    for (let n = 0; n < nMels; n++) {
      let v = Math.cos((Math.PI / nMels) * (n + 0.5) * k);
      if (norm === null) v *= 2;
      else {
        if (k === 0) v *= 1 / Math.sqrt(2);
        v *= Math.sqrt(2 / nMels);
      }
      out[k * nMels + n] = v;
    }
  }
  return out;
}

/** Sinusoidal cepstral lifter weights 1 + (L/2) sin(π k / L) (HTK / Kaldi); L = 0 means none. */
export function lifterWeights(nMfcc: number, lifter: number): Float64Array {
  const w = new Float64Array(nMfcc);
  for (let k = 0; k < nMfcc; k++) w[k] = lifter > 0 ? 1 + (lifter / 2) * Math.sin((Math.PI * k) / lifter) : 1;
  return w;
}
