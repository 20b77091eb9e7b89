// Laws of the numeric kernels: FFT = DFT, frame-count formula, Parseval, mel filterbank shape,
// resample identity / length law / DC preservation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dsp } from '../src/index.ts';

function naiveDft(x: ArrayLike<number>): { re: number[]; im: number[] } {
  const n = x.length, re: number[] = [], im: number[] = [];
  for (let k = 0; k < n; k++) {
    let r = 0, i = 0;
    for (let j = 0; j < n; j++) { r += x[j]! * Math.cos((2 * Math.PI * j * k) / n); i -= x[j]! * Math.sin((2 * Math.PI * j * k) / n); }
    re.push(r); im.push(i);
  }
  return { re, im };
}

const signal = (n: number) => fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: n, maxLength: n });

test('complex and real FFT equal the naive DFT for any length (mixed radix)', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 130 }).chain((n) => signal(n)), (x) => {
    const n = x.length;
    const ref = naiveDft(x);
    const c = new dsp.ComplexFft(n);
    const re = new Float64Array(n), im = new Float64Array(n);
    c.transform(x, null, re, im);
    for (let k = 0; k < n; k++) {
      assert.ok(Math.abs(re[k]! - ref.re[k]!) < 1e-9 * n && Math.abs(im[k]! - ref.im[k]!) < 1e-9 * n, `n=${n} k=${k}`);
    }
    const r = new dsp.RealFft(n);
    const p = new Float64Array(r.bins);
    r.spectrum(x, 0, new Float64Array(n).fill(1), 2, p, 0, 1);
    for (let k = 0; k < r.bins; k++) assert.ok(Math.abs(p[k]! - (ref.re[k]! ** 2 + ref.im[k]! ** 2)) < 1e-8 * n * n, `real n=${n} k=${k}`);
  }), { numRuns: 120 });
});

test('frame count: 1 + floor((len + 2·pad − n_fft) / hop), zero when the padded clip is shorter than a frame', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 2, max: 600 }), fc.integer({ min: 1, max: 400 }), fc.boolean(), (len, nFft, hop, center) => {
    const o = { nFft, hopLength: hop, winLength: nFft, window: 'hann' as const, center, padMode: 'constant' as const, power: 2 as const };
    const n = dsp.frameCount(len, o);
    const padded = center ? len + 2 * Math.floor(nFft / 2) : len;
    // Every frame fits in the padded signal, and one more would not.
    if (n > 0) assert.ok((n - 1) * hop + nFft <= padded && n * hop + nFft > padded);
    else assert.ok(padded < nFft);
    if (n * nFft < 30_000) {
      const s = new dsp.Stft(o);
      assert.equal(s.run(new Float32Array(len), new Float32Array(s.bins * n), 0), n);
    }
  }), { numRuns: 300 });
});

test('Parseval: Σx² = (1/N)·(|X₀|² + 2Σ|X_k|² + |X_{N/2}|²) for a rectangular frame', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 128 }).map((h) => 2 * h).chain((n) => signal(n)), (x) => {
    const n = x.length;
    const s = new dsp.Stft({ nFft: n, hopLength: n, winLength: n, window: 'rectangular', center: false, padMode: 'reflect', power: 2 });
    const p = new Float64Array(s.bins);
    assert.equal(s.run(Float32Array.from(x), p, 0), 1);
    let e = 0;
    for (let k = 0; k < s.bins; k++) e += (k === 0 || k === n / 2 ? 1 : 2) * p[k]!;
    e /= n;
    const t = Float32Array.from(x).reduce((a, v) => a + v * v, 0);
    assert.ok(Math.abs(e - t) <= 1e-9 * Math.max(1, t), `${e} vs ${t}`);
  }), { numRuns: 200 });
});

test('Parseval over a whole STFT: hann² windows at hop n/4 sum to a constant, so spectral energy tracks signal energy', () => {
  const n = 256, hop = 64;
  // Silent edges: there the first and last frames do not overlap fully.
  const x = Float32Array.from({ length: 4096 }, (_, i) => (i < n || i >= 4096 - n ? 0 : Math.sin(i * 0.37) * 0.6 + Math.sin(i * 2.1) * 0.3));
  const s = new dsp.Stft({ nFft: n, hopLength: hop, winLength: n, window: 'hann', center: true, padMode: 'constant', power: 2 });
  const T = s.frames(x.length);
  const out = new Float64Array(T * s.bins);
  s.runTimeMajor(x, out);
  let spec = 0;
  for (let t = 0; t < T; t++) for (let k = 0; k < s.bins; k++) spec += (k === 0 || k === n / 2 ? 1 : 2) * out[t * s.bins + k]!;
  spec /= n;
  // Σ_t w²(i − t·hop) = 3n/8 / hop for a periodic hann window.
  const energy = x.reduce((a, v) => a + v * v, 0) * ((3 * n) / 8 / hop);
  assert.ok(Math.abs(spec - energy) / energy < 1e-9, `${spec} vs ${energy}`);
});

test('mel filterbank: shape, non-negative, triangles peak ≤ 1 (no norm), Slaney norm makes the area ≈ 1', () => {
  fc.assert(fc.property(
    fc.constantFrom(8000, 16000, 22050, 44100), fc.constantFrom(256, 400, 512, 1024), fc.integer({ min: 8, max: 80 }), fc.constantFrom('htk' as const, 'slaney' as const),
    (sr, nFft, nMels, scale) => {
      const nFreqs = nFft / 2 + 1;
      const base = { nFreqs, fMin: 0, fMax: sr / 2, nMels, sampleRate: sr, melScale: scale };
      const fb = dsp.melFilterbank({ ...base, norm: null });
      assert.equal(fb.length, nFreqs * nMels);
      assert.ok(fb.every((w) => w >= 0 && w <= 1 + 1e-12), 'weights in [0, 1]');
      const sl = dsp.melFilterbank({ ...base, norm: 'slaney' });
      assert.ok(sl.every((w) => w >= 0), 'slaney weights ≥ 0');
      const df = Math.floor(sr / 2) / (nFreqs - 1);
      for (let m = 0; m < nMels; m++) {
        let area = 0, bins = 0;
        for (let f = 0; f < nFreqs; f++) { area += sl[f * nMels + m]! * df; if (sl[f * nMels + m]! > 0) bins++; }
        // A triangle sampled on ≥ 12 bins integrates to 1 within a few percent.
        if (bins >= 12) assert.ok(Math.abs(area - 1) < 0.05, `mel ${m}: area ${area} over ${bins} bins`);
      }
      // Filters are ordered: the peak bins of non-empty filters increase with m. (With many mels
      // and few bins, low filters can fall between bins and be empty, as torchaudio warns.)
      const peaks: number[] = [];
      for (let m = 0; m < nMels; m++) {
        let b = -1;
        for (let f = 0; f < nFreqs; f++) if (fb[f * nMels + m]! > 0 && (b < 0 || fb[f * nMels + m]! > fb[b * nMels + m]!)) b = f;
        if (b >= 0) peaks.push(b);
      }
      for (let i = 1; i < peaks.length; i++) assert.ok(peaks[i]! >= peaks[i - 1]!, `peaks ${peaks.join(',')}`);
    }), { numRuns: 40 });
});

test('hz ↔ mel are inverse on both scales', () => {
  fc.assert(fc.property(fc.double({ min: 0, max: 48000, noNaN: true }), fc.constantFrom('htk' as const, 'slaney' as const), (f, s) => {
    assert.ok(Math.abs(dsp.melToHz(dsp.hzToMel(f, s), s) - f) < 1e-6 * Math.max(1, f));
  }));
});

const RATES = [8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000];

test('resample to the same rate is the identity', () => {
  fc.assert(fc.property(fc.constantFrom(...RATES), signal(50), (sr, x) => {
    const out = new Float32Array(x.length);
    dsp.resampleChannel(Float32Array.from(x), sr, sr, out, 0);
    assert.deepEqual(Array.from(out), Array.from(Float32Array.from(x)));
  }));
});

test('resample length law: ceil(len · new / orig), and resampling preserves DC away from the edges', () => {
  fc.assert(fc.property(fc.constantFrom(...RATES), fc.constantFrom(...RATES), fc.integer({ min: 0, max: 5000 }), fc.double({ min: -1, max: 1, noNaN: true }), (a, b, len, dc) => {
    const x = new Float32Array(len).fill(dc);
    const n = dsp.resampledLength(len, a, b);
    assert.equal(n, Math.floor((len * b + a - 1) / a)); // exact integer ceil
    const out = new Float32Array(n);
    assert.equal(dsp.resampleChannel(x, a, b, out, 0), n);
    // The filter's DC gain is 1 up to the window's ripple; the first/last ~width samples see the zero padding.
    const edge = Math.ceil((8 * b) / Math.min(a, b)) + 2;
    for (let i = edge; i < n - edge; i++) assert.ok(Math.abs(out[i]! - Math.fround(dc)) < 2e-3 * Math.max(Math.abs(dc), 1e-3) + 1e-6, `i=${i} ${out[i]} vs ${dc} (${a}→${b})`);
  }), { numRuns: 80 });
});

test('resampling a band-limited tone keeps it: 440 Hz at 44.1 kHz → 16 kHz → 44.1 kHz', () => {
  const n = 44100 / 10;
  const x = Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * 440 * i) / 44100));
  const y = new Float32Array(dsp.resampledLength(n, 44100, 16000));
  dsp.resampleChannel(x, 44100, 16000, y, 0);
  for (let i = 100; i < y.length - 100; i++) assert.ok(Math.abs(y[i]! - Math.sin((2 * Math.PI * 440 * i) / 16000)) < 1e-3);
});

test('dB: 10·log10(max(x, amin)), floored at max − top_db over the whole clip', () => {
  const x = Float32Array.from([1, 1e-3, 1e-12, 100]);
  dsp.toDb(x, 10, 1e-10, 1, 50);
  assert.deepEqual(Array.from(x), [0, -30, -30, 20]);
  const silent = new Float32Array(4);
  dsp.toDb(silent, 10, 1e-10, 1, 80);
  assert.deepEqual(Array.from(silent), [-100, -100, -100, -100]);
});

test('DCT-II ortho matrix is orthonormal (rows of a square matrix)', () => {
  const n = 24, d = dsp.dctMatrix(n, n, 'ortho');
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += d[a * n + k]! * d[b * n + k]!;
    assert.ok(Math.abs(s - (a === b ? 1 : 0)) < 1e-12);
  }
});
