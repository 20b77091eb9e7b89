// A mixed-radix complex FFT (radix 4 and 2 butterflies, a generic butterfly for 3, 5, 7, …) and a
// real FFT built on it (a length-N real transform as a length-N/2 complex one). Written here
// rather than called per frame through meyda: meyda's extract() costs ~84 µs for one 512-point
// power spectrum on this machine, ~25× slower than this batched path (see the package README),
// and it only takes power-of-two frames while torchaudio's default n_fft is 400.

/** Radices of the planned FFT of length n: 4s first, then 2, then odd primes. */
export function factorize(n: number): number[] {
  const out: number[] = [];
  let m = n;
  while (m % 4 === 0) { out.push(4); m /= 4; }
  while (m % 2 === 0) { out.push(2); m /= 2; }
  for (let p = 3; m > 1; p += 2) {
    while (m % p === 0) { out.push(p); m /= p; }
    if (p * p > m && m > 1) { out.push(m); break; }
  }
  return out.length ? out : [1];
}

interface Stage {
  p: number;
  m: number;
  fstride: number;
  /** Twiddles of this stage laid out contiguously: w^(q·k·fstride) at [(q-1)·m + k] (radix 2 and 4). */
  wr: Float64Array;
  wi: Float64Array;
}

/** A planned complex FFT of length n (forward, unnormalized). Reuse one plan for many frames. */
export class ComplexFft {
  readonly n: number;
  /** perm[i] is the input index that lands at position i before the butterflies. */
  readonly perm: Int32Array;
  private readonly twr: Float64Array;
  private readonly twi: Float64Array;
  private readonly stages: Stage[];
  private readonly sr: Float64Array;
  private readonly si: Float64Array;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`FFT length must be a positive integer, got ${n}`);
    this.n = n;
    this.twr = new Float64Array(n);
    this.twi = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const a = (-2 * Math.PI * i) / n;
      this.twr[i] = Math.cos(a);
      this.twi[i] = Math.sin(a);
    }
    const factors = n === 1 ? [] : factorize(n);
    const stages: Stage[] = [];
    let m = n;
    let fstride = 1;
    for (const p of factors) {
      m /= p;
      const q = p === 4 || p === 2 ? p - 1 : 0;
      const wr = new Float64Array(q * m), wi = new Float64Array(q * m);
      for (let j = 1; j <= q; j++) {
        for (let k = 0; k < m; k++) {
          wr[(j - 1) * m + k] = this.twr[(j * k * fstride) % n]!;
          wi[(j - 1) * m + k] = this.twi[(j * k * fstride) % n]!;
        }
      }
      stages.push({ p, m, fstride, wr, wi });
      fstride *= p;
    }
    this.stages = stages;
    // The decimation-in-time recursion reads input x[i * fstride] into output blocks; record where
    // each input lands once, so that a frame is gathered in butterfly order with one pass.
    this.perm = new Int32Array(n);
    let pos = 0;
    const rec = (src: number, stride: number, depth: number): void => {
      if (depth === stages.length) { this.perm[pos++] = src; return; }
      const { p } = stages[depth]!;
      for (let q = 0; q < p; q++) rec(src + q * stride, stride * p, depth + 1);
    };
    rec(0, 1, 0);
    const maxP = Math.max(1, ...factors);
    this.sr = new Float64Array(maxP);
    this.si = new Float64Array(maxP);
  }

  /** Whether the innermost stage is a twiddle-free radix-4 (callers may fuse it with their gather). */
  get leaf4(): boolean {
    const last = this.stages[this.stages.length - 1];
    return last !== undefined && last.p === 4 && last.m === 1;
  }

  /** In-place transform of data already gathered in `perm` order. */
  transformPermuted(re: Float64Array, im: Float64Array, skipLeaf = false): void {
    const n = this.n;
    for (let s = this.stages.length - (skipLeaf ? 2 : 1); s >= 0; s--) {
      const st = this.stages[s]!;
      const { p, m, fstride } = st;
      const block = p * m;
      if (p === 4 && m === 1) bfly4Leaf(re, im, n);
      else if (p === 4) for (let off = 0; off < n; off += block) bfly4(re, im, off, m, st.wr, st.wi);
      else if (p === 2) for (let off = 0; off < n; off += block) bfly2(re, im, off, m, st.wr, st.wi);
      else for (let off = 0; off < n; off += block) this.bflyGeneric(re, im, off, m, fstride, p);
    }
  }

  /** Out-of-place forward transform: (xr, xi) → (re, im). */
  transform(xr: ArrayLike<number>, xi: ArrayLike<number> | null, re: Float64Array, im: Float64Array): void {
    const perm = this.perm;
    for (let i = 0; i < this.n; i++) {
      const j = perm[i]!;
      re[i] = xr[j]!;
      im[i] = xi ? xi[j]! : 0;
    }
    this.transformPermuted(re, im);
  }

  private bflyGeneric(re: Float64Array, im: Float64Array, off: number, m: number, fstride: number, p: number): void {
    const n = this.n, twr = this.twr, twi = this.twi, sr = this.sr, si = this.si;
    for (let u = 0; u < m; u++) {
      for (let q = 0, k = u; q < p; q++, k += m) { sr[q] = re[off + k]!; si[q] = im[off + k]!; }
      for (let q1 = 0, k = u; q1 < p; q1++, k += m) {
        let accr = sr[0]!, acci = si[0]!;
        let tw = 0;
        const step = (fstride * k) % n;
        for (let q = 1; q < p; q++) {
          tw += step;
          if (tw >= n) tw -= n;
          accr += sr[q]! * twr[tw]! - si[q]! * twi[tw]!;
          acci += sr[q]! * twi[tw]! + si[q]! * twr[tw]!;
        }
        re[off + k] = accr; im[off + k] = acci;
      }
    }
  }
}

function bfly2(re: Float64Array, im: Float64Array, off: number, m: number, wr: Float64Array, wi: Float64Array): void {
  for (let k = 0; k < m; k++) {
    const a = off + k, b = a + m;
    const c = wr[k]!, s = wi[k]!;
    const xr = re[b]!, xi = im[b]!;
    const tr = xr * c - xi * s;
    const ti = xr * s + xi * c;
    const ar = re[a]!, ai = im[a]!;
    re[b] = ar - tr; im[b] = ai - ti;
    re[a] = ar + tr; im[a] = ai + ti;
  }
}

function bfly4(re: Float64Array, im: Float64Array, off: number, m: number, wr: Float64Array, wi: Float64Array): void {
  const m2 = 2 * m;
  for (let k = 0; k < m; k++) {
    const i0 = off + k, i1 = i0 + m, i2 = i1 + m, i3 = i2 + m;
    const w1r = wr[k]!, w1i = wi[k]!, w2r = wr[m + k]!, w2i = wi[m + k]!, w3r = wr[m2 + k]!, w3i = wi[m2 + k]!;
    const x1r = re[i1]!, x1i = im[i1]!, x2r = re[i2]!, x2i = im[i2]!, x3r = re[i3]!, x3i = im[i3]!;
    const s0r = x1r * w1r - x1i * w1i, s0i = x1r * w1i + x1i * w1r;
    const s1r = x2r * w2r - x2i * w2i, s1i = x2r * w2i + x2i * w2r;
    const s2r = x3r * w3r - x3i * w3i, s2i = x3r * w3i + x3i * w3r;
    const ar = re[i0]!, ai = im[i0]!;
    const s5r = ar - s1r, s5i = ai - s1i;
    const f0r = ar + s1r, f0i = ai + s1i;
    const s3r = s0r + s2r, s3i = s0i + s2i;
    const s4r = s0r - s2r, s4i = s0i - s2i;
    re[i2] = f0r - s3r; im[i2] = f0i - s3i;
    re[i0] = f0r + s3r; im[i0] = f0i + s3i;
    re[i1] = s5r + s4i; im[i1] = s5i - s4r;
    re[i3] = s5r - s4i; im[i3] = s5i + s4r;
  }
}

/** The innermost radix-4 stage (m = 1): all twiddles are 1. */
function bfly4Leaf(re: Float64Array, im: Float64Array, n: number): void {
  for (let i0 = 0; i0 < n; i0 += 4) {
    const i1 = i0 + 1, i2 = i0 + 2, i3 = i0 + 3;
    const ar = re[i0]!, ai = im[i0]!, br = re[i1]!, bi = im[i1]!, cr = re[i2]!, ci = im[i2]!, dr = re[i3]!, di = im[i3]!;
    const s5r = ar - cr, s5i = ai - ci, f0r = ar + cr, f0i = ai + ci;
    const s3r = br + dr, s3i = bi + di, s4r = br - dr, s4i = bi - di;
    re[i2] = f0r - s3r; im[i2] = f0i - s3i;
    re[i0] = f0r + s3r; im[i0] = f0i + s3i;
    re[i1] = s5r + s4i; im[i1] = s5i - s4r;
    re[i3] = s5r - s4i; im[i3] = s5i + s4r;
  }
}

/**
 * A planned real FFT of even length n: gives bins 0..n/2 of the one-sided spectrum. Internally a
 * complex FFT of length n/2 over (x[2k], x[2k+1]) pairs, then the standard split.
 */
export class RealFft {
  readonly n: number;
  readonly bins: number;
  private readonly half: ComplexFft | null;
  private readonly full: ComplexFft | null;
  private readonly zr: Float64Array;
  private readonly zi: Float64Array;
  private readonly wr: Float64Array;
  private readonly wi: Float64Array;
  /** Gather order: frame sample indices in the order the half-length FFT reads them. */
  readonly gatherEven: Int32Array;

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`FFT length must be a positive integer, got ${n}`);
    this.n = n;
    this.bins = Math.floor(n / 2) + 1;
    if (n % 2 === 0) {
      const h = n / 2;
      this.half = new ComplexFft(h);
      this.full = null;
      this.zr = new Float64Array(h);
      this.zi = new Float64Array(h);
      this.wr = new Float64Array(h);
      this.wi = new Float64Array(h);
      for (let k = 0; k < h; k++) {
        this.wr[k] = Math.cos((-2 * Math.PI * k) / n);
        this.wi[k] = Math.sin((-2 * Math.PI * k) / n);
      }
      this.gatherEven = new Int32Array(h);
      for (let i = 0; i < h; i++) this.gatherEven[i] = 2 * this.half.perm[i]!;
    } else {
      this.half = null;
      this.full = new ComplexFft(n);
      this.zr = new Float64Array(n);
      this.zi = new Float64Array(n);
      this.wr = new Float64Array(0);
      this.wi = new Float64Array(0);
      this.gatherEven = new Int32Array(0);
    }
  }

  /**
   * Power (|X|^2) or magnitude of the spectrum of `frame[off .. off+n)` multiplied by `window`,
   * written to out[outOff + k*outStride] for k = 0..n/2.
   */
  spectrum(frame: ArrayLike<number>, off: number, window: Float64Array, power: 1 | 2, out: Float32Array | Float64Array, outOff: number, outStride: number): void {
    const n = this.n, zr = this.zr, zi = this.zi;
    if (this.half) {
      const h = n >> 1, g = this.gatherEven;
      if (this.half.leaf4) {
        // Gather, window and the innermost radix-4 butterflies in one pass.
        for (let i0 = 0; i0 < h; i0 += 4) {
          const j0 = g[i0]!, j1 = g[i0 + 1]!, j2 = g[i0 + 2]!, j3 = g[i0 + 3]!;
          const ar = frame[off + j0]! * window[j0]!, ai = frame[off + j0 + 1]! * window[j0 + 1]!;
          const br = frame[off + j1]! * window[j1]!, bi = frame[off + j1 + 1]! * window[j1 + 1]!;
          const cr = frame[off + j2]! * window[j2]!, ci = frame[off + j2 + 1]! * window[j2 + 1]!;
          const dr = frame[off + j3]! * window[j3]!, di = frame[off + j3 + 1]! * window[j3 + 1]!;
          const s5r = ar - cr, s5i = ai - ci, f0r = ar + cr, f0i = ai + ci;
          const s3r = br + dr, s3i = bi + di, s4r = br - dr, s4i = bi - di;
          zr[i0 + 2] = f0r - s3r; zi[i0 + 2] = f0i - s3i;
          zr[i0] = f0r + s3r; zi[i0] = f0i + s3i;
          zr[i0 + 1] = s5r + s4i; zi[i0 + 1] = s5i - s4r;
          zr[i0 + 3] = s5r - s4i; zi[i0 + 3] = s5i + s4r;
        }
        this.half.transformPermuted(zr, zi, true);
      } else {
        for (let i = 0; i < h; i++) {
          const j = g[i]!;
          zr[i] = frame[off + j]! * window[j]!;
          zi[i] = frame[off + j + 1]! * window[j + 1]!;
        }
        this.half.transformPermuted(zr, zi);
      }
      const wr = this.wr, wi = this.wi;
      // X[k] = (Z[k] + conj(Z[h-k]))/2 - i/2 * W^k (Z[k] - conj(Z[h-k])); X[0] and X[h] are real.
      const z0r = zr[0]!, z0i = zi[0]!;
      const p0 = (z0r + z0i) * (z0r + z0i), ph = (z0r - z0i) * (z0r - z0i);
      out[outOff] = power === 2 ? p0 : Math.sqrt(p0);
      out[outOff + h * outStride] = power === 2 ? ph : Math.sqrt(ph);
      // Bins k and h-k share (Z[k], Z[h-k]): with e = Z[k] + conj(Z[h-k]), d = Z[k] - conj(Z[h-k])
      // and t = W^k·d, X[k] = (e - i·t)/2 and X[h-k] = (conj(e) - i·conj(t))/2, so each pair
      // costs one complex multiply.
      for (let k = 1, j = h - 1; k <= j; k++, j--) {
        const ar = zr[k]!, ai = zi[k]!, br = zr[j]!, bi = -zi[j]!;
        const er = ar + br, ei = ai + bi;
        const dr = ar - br, di = ai - bi;
        const c = wr[k]!, s = wi[k]!;
        const tr = dr * c - di * s, ti = dr * s + di * c;
        const xr = er + ti, xi = ei - tr;
        const p = 0.25 * (xr * xr + xi * xi);
        out[outOff + k * outStride] = power === 2 ? p : Math.sqrt(p);
        if (j !== k) {
          const yr = er - ti, yi = ei + tr;
          const q = 0.25 * (yr * yr + yi * yi);
          out[outOff + j * outStride] = power === 2 ? q : Math.sqrt(q);
        }
      }
    } else {
      const full = this.full!;
      const perm = full.perm;
      for (let i = 0; i < n; i++) { const j = perm[i]!; zr[i] = frame[off + j]! * window[j]!; zi[i] = 0; }
      full.transformPermuted(zr, zi);
      for (let k = 0; k < this.bins; k++) {
        const p = zr[k]! * zr[k]! + zi[k]! * zi[k]!;
        out[outOff + k * outStride] = power === 2 ? p : Math.sqrt(p);
      }
    }
  }
}
