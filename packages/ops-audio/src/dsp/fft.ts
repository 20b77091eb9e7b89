// A mixed-radix complex FFT (radix 4 and 2 butterflies, a generic butterfly for 3, 5, 7, …) and a
// real FFT built on it (a length-N real transform as a length-N/2 complex one). Written here
// rather than called per frame through meyda: meyda's extract() costs ~84 µs for one 512-point
// power spectrum on this machine, ~25× slower than this batched path (see the package README),
// and it only takes power-of-two frames while torchaudio's default n_fft is 400.

function factorize(n: number): number[] {
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

interface Stage { p: number; m: number; fstride: number }

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
      stages.push({ p, m, fstride });
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

  /** In-place transform of data already gathered in `perm` order. */
  transformPermuted(re: Float64Array, im: Float64Array): void {
    const n = this.n;
    for (let s = this.stages.length - 1; s >= 0; s--) {
      const { p, m, fstride } = this.stages[s]!;
      const block = p * m;
      for (let off = 0; off < n; off += block) {
        if (p === 4) this.bfly4(re, im, off, m, fstride);
        else if (p === 2) this.bfly2(re, im, off, m, fstride);
        else this.bflyGeneric(re, im, off, m, fstride, p);
      }
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

  private bfly2(re: Float64Array, im: Float64Array, off: number, m: number, fstride: number): void {
    const twr = this.twr, twi = this.twi;
    for (let k = 0; k < m; k++) {
      const a = off + k, b = a + m;
      const wr = twr[k * fstride]!, wi = twi[k * fstride]!;
      const tr = re[b]! * wr - im[b]! * wi;
      const ti = re[b]! * wi + im[b]! * wr;
      re[b] = re[a]! - tr; im[b] = im[a]! - ti;
      re[a] = re[a]! + tr; im[a] = im[a]! + ti;
    }
  }

  private bfly4(re: Float64Array, im: Float64Array, off: number, m: number, fstride: number): void {
    const twr = this.twr, twi = this.twi;
    for (let k = 0; k < m; k++) {
      const i0 = off + k, i1 = i0 + m, i2 = i1 + m, i3 = i2 + m;
      const t1 = k * fstride, t2 = 2 * t1, t3 = 3 * t1;
      const w1r = twr[t1]!, w1i = twi[t1]!, w2r = twr[t2]!, w2i = twi[t2]!, w3r = twr[t3]!, w3i = twi[t3]!;
      const s0r = re[i1]! * w1r - im[i1]! * w1i, s0i = re[i1]! * w1i + im[i1]! * w1r;
      const s1r = re[i2]! * w2r - im[i2]! * w2i, s1i = re[i2]! * w2i + im[i2]! * w2r;
      const s2r = re[i3]! * w3r - im[i3]! * w3i, s2i = re[i3]! * w3i + im[i3]! * w3r;
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
      for (let i = 0; i < h; i++) {
        const j = g[i]!;
        zr[i] = frame[off + j]! * window[j]!;
        zi[i] = frame[off + j + 1]! * window[j + 1]!;
      }
      this.half.transformPermuted(zr, zi);
      const wr = this.wr, wi = this.wi;
      // X[k] = (Z[k] + conj(Z[h-k]))/2 - i/2 * W^k (Z[k] - conj(Z[h-k]))
      for (let k = 0; k <= h; k++) {
        const a = k === h ? 0 : k;
        const b = k === 0 ? 0 : h - k;
        const ar = zr[a]!, ai = zi[a]!, br = zr[b]!, bi = -zi[b]!;
        const er = 0.5 * (ar + br), ei = 0.5 * (ai + bi);
        const dr = 0.5 * (ar - br), di = 0.5 * (ai - bi);
        let c: number, s: number;
        if (k === h) { c = -1; s = 0; } else { c = wr[k]!; s = wi[k]!; }
        // W^k * d, then times -i: (x + iy)(-i) = y - ix
        const tr = dr * c - di * s, ti = dr * s + di * c;
        const xr = er + ti, xi = ei - tr;
        const p = xr * xr + xi * xi;
        out[outOff + k * outStride] = power === 2 ? p : Math.sqrt(p);
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
