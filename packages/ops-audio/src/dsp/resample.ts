// Band-limited resampling with torchaudio.functional.resample's algorithm (a Hann-windowed sinc,
// "sinc_interp_hann"; lowpass_filter_width 6 and rolloff 0.99 by default): rates are reduced by
// their gcd to (orig, new); output sample t*new + phase is a dot product of the zero-padded input
// from t*orig with the phase's kernel. Kernels are computed in float64 and trimmed to the taps
// inside the window, so an output sample costs ~2·lowpassFilterWidth·orig/base multiply-adds
// (17 for 22050→16000) rather than the full kernel length (459) torchaudio convolves with.

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export interface ResampleKernel {
  readonly orig: number;
  readonly nu: number;
  readonly width: number;
  /** Per phase: first non-zero tap (relative to the kernel start) and taps. */
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly offset: Int32Array;
  readonly taps: Float64Array;
}

const cache = new Map<string, ResampleKernel>();

/** The (cached) polyphase kernel for origFreq → newFreq. */
export function resampleKernel(origFreq: number, newFreq: number, lowpassFilterWidth = 6, rolloff = 0.99): ResampleKernel {
  const key = `${origFreq}/${newFreq}/${lowpassFilterWidth}/${rolloff}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const g = gcd(origFreq, newFreq);
  const orig = origFreq / g, nu = newFreq / g;
  const base = Math.min(orig, nu) * rolloff;
  const width = Math.ceil((lowpassFilterWidth * orig) / base);
  const klen = 2 * width + orig;
  const scale = base / orig;
  const first = new Int32Array(nu), count = new Int32Array(nu), offset = new Int32Array(nu + 1);
  const all: number[] = [];
  const row = new Float64Array(klen);
  for (let p = 0; p < nu; p++) {
    let lo = -1, hi = -1;
    for (let j = 0; j < klen; j++) {
      const idx = (j - width) / orig;
      let t = (-p / nu + idx) * base;
      // torch clamps t to ±width, where its window is cos²(π/2) ≈ 4e-33 rather than 0; those
      // taps are exactly zero here so each phase keeps only ~2·width·orig/base taps.
      if (Math.abs(t) >= lowpassFilterWidth) { row[j] = 0; continue; }
      const c = Math.cos((t * Math.PI) / lowpassFilterWidth / 2);
      const win = c * c;
      const tp = t * Math.PI;
      const k = (tp === 0 ? 1 : Math.sin(tp) / tp) * win * scale;
      row[j] = k;
      if (k !== 0) { if (lo < 0) lo = j; hi = j; }
    }
    first[p] = lo < 0 ? 0 : lo;
    count[p] = lo < 0 ? 0 : hi - lo + 1;
    offset[p] = all.length;
    for (let j = first[p]!; j < first[p]! + count[p]!; j++) all.push(row[j]!);
  }
  offset[nu] = all.length;
  const k: ResampleKernel = { orig, nu, width, first, count, offset, taps: Float64Array.from(all) };
  if (cache.size > 64) cache.clear();
  cache.set(key, k);
  return k;
}

/** Output length for `len` input samples: ceil(new * len / orig) after gcd reduction. */
export function resampledLength(len: number, origFreq: number, newFreq: number): number {
  const g = gcd(origFreq, newFreq);
  return Math.ceil(((newFreq / g) * len) / (origFreq / g));
}

/** Resample one channel. Same rates return a copy (torchaudio returns the input unchanged). */
export function resampleChannel(x: Float32Array, origFreq: number, newFreq: number, out: Float32Array, outOff: number, lowpassFilterWidth = 6, rolloff = 0.99): number {
  if (origFreq === newFreq) { out.set(x, outOff); return x.length; }
  const K = resampleKernel(origFreq, newFreq, lowpassFilterWidth, rolloff);
  const { orig, nu, width, first, count, offset, taps } = K;
  const n = x.length;
  const target = resampledLength(n, origFreq, newFreq);
  for (let j = 0; j < target; j++) {
    const t = Math.floor(j / nu), p = j - t * nu;
    // padded[i] = x[i - width]; output reads padded[t*orig + first + k].
    const s0 = t * orig + first[p]! - width;
    const o = offset[p]!, c = count[p]!;
    let acc = 0;
    const kLo = Math.max(0, -s0), kHi = Math.min(c, n - s0);
    for (let k = kLo; k < kHi; k++) acc += x[s0 + k]! * taps[o + k]!;
    out[outOff + j] = acc;
  }
  return target;
}
