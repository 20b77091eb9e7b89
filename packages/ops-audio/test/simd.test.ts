// The WebAssembly SIMD kernel (float32, src/dsp/simd.ts + wasm/spectral.c) against the float64 JS
// path it replaces by default. Tolerances (float32 rounding of a float64 computation):
//   spectrogram power or magnitude       |a − b| ≤ 1e-5·(|b| + the frame's spectral peak)
//   mel                                  |a − b| ≤ 1e-5·(|b| + spectral peak · largest filter weight sum)
//   log-mel (dB)                         abs ≤ 2e-3 dB
//   MFCC                                 abs ≤ 2e-3 + 2e-6·(largest |coefficient|)
// The torchaudio goldens are checked for both kernels in parity.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromRows, dt, type Tensor } from '@modaflow/core';
import { dsp, logMel, mfcc } from '../src/index.ts';
import type { StftOptions } from '../src/dsp/stft.ts';
import type { WindowName } from '../src/dsp/window.ts';
import { column, tone } from './helpers.ts';

const W = { w: dt.varTensor(dt.float32(), 2) };

type Out = { data: Float32Array; shape: readonly number[] };

/** Per frame, the largest value of a [C, F, T] output. */
function framePeaks(b: Out): Float64Array {
  const [C, F, T] = b.shape as [number, number, number];
  const peaks = new Float64Array(C * T);
  for (let c = 0; c < C; c++) for (let f = 0; f < F; f++) for (let t = 0; t < T; t++) peaks[c * T + t] = Math.max(peaks[c * T + t]!, Math.abs(b.data[(c * F + f) * T + t]!));
  return peaks;
}

/**
 * Worst |a − b| / (|b| + scale·peak) over [C, F, T] outputs, peak being the frame's spectral peak:
 * a float32 FFT's error scales with it (and a mel band's with it times the filter's weight sum).
 */
function frameRelErr(a: Out, b: Out, peaks: Float64Array, scale = 1): number {
  assert.deepEqual(a.shape, b.shape);
  const [C, F, T] = b.shape as [number, number, number];
  let worst = 0;
  for (let c = 0; c < C; c++) {
    for (let f = 0; f < F; f++) {
      for (let t = 0; t < T; t++) {
        const i = (c * F + f) * T + t;
        worst = Math.max(worst, Math.abs(a.data[i]! - b.data[i]!) / (Math.abs(b.data[i]!) + scale * peaks[c * T + t]! + 1e-30));
      }
    }
  }
  return worst;
}

function absErr(a: Out, b: Out): number {
  assert.deepEqual(a.shape, b.shape);
  let worst = 0;
  for (let i = 0; i < b.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i]! - b.data[i]!));
  return worst;
}

function noise(n: number, seed: number, amp: number): Float32Array {
  let s = seed >>> 0 || 1;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = amp * ((s / 2 ** 32) * 2 - 1) + 0.5 * amp * Math.sin(i * 0.07 + seed);
  }
  return x;
}

const settings = fc.record({
  half: fc.integer({ min: 1, max: 300 }),
  hop: fc.integer({ min: 1, max: 400 }),
  winFrac: fc.double({ min: 0.3, max: 1, noNaN: true }),
  window: fc.constantFrom<WindowName>('hann', 'hamming', 'blackman', 'rectangular'),
  center: fc.boolean(),
  padMode: fc.constantFrom('reflect' as const, 'constant' as const, 'replicate' as const),
  power: fc.constantFrom(1 as const, 2 as const),
  nMels: fc.integer({ min: 1, max: 96 }),
  norm: fc.constantFrom(null, 'slaney' as const),
  melScale: fc.constantFrom('htk' as const, 'slaney' as const),
  channels: fc.integer({ min: 1, max: 2 }),
  extra: fc.integer({ min: 0, max: 3000 }),
  seed: fc.integer(),
  amp: fc.constantFrom(1, 1e-3, 30),
});

test('the kernel is loaded in this Node (WebAssembly SIMD)', () => {
  assert.ok(dsp.simdAvailable(), dsp.simdUnavailableReason());
});

test('property: WASM SIMD spectrogram, mel, log-mel and MFCC equal the float64 JS path within float32 rounding', () => {
  fc.assert(fc.property(settings, (p) => {
    const nFft = 2 * p.half;
    const stft: StftOptions = {
      // A 1-sample periodic hann / blackman window is 0 (the spectrum is ~1e-40, below float32's
      // normal range), so windows start at 2 samples.
      nFft, hopLength: p.hop, winLength: Math.max(2, Math.round(p.winFrac * nFft)), window: p.window,
      center: p.center, padMode: p.padMode, power: p.power,
    };
    // Noise of at least n_fft/2 + 1 samples (reflect padding needs more than n_fft/2; and a
    // constant frame has bins ~1e-7 below its peak in float32 but ~1e-16 in float64, which
    // log(mel + 1e-6) without a floor would show).
    const len = p.half + 1 + p.extra;
    const x = noise(len * p.channels, p.seed, p.amp);
    const mel = { sampleRate: 16000, nMels: p.nMels, fMin: 0, fMax: 8000, norm: p.norm, melScale: p.melScale };
    const js = dsp.spectrogram(x, p.channels, stft, 'js');
    const peaks = framePeaks(js);
    const spec = frameRelErr(dsp.spectrogram(x, p.channels, stft, 'wasm'), js, peaks);
    assert.ok(spec <= 1e-5, `spectrogram err ${spec}`);
    const o = { stft, mel };
    const fb = dsp.sparseMel({ ...mel, nFreqs: p.half + 1 });
    let wsum = 0;
    for (let b = 0; b < p.nMels; b++) wsum = Math.max(wsum, fb.weights.subarray(fb.offset[b], fb.offset[b + 1]).reduce((u, v) => u + v, 0));
    const m = frameRelErr(dsp.melSpectrogram(x, p.channels, { ...o, kernel: 'wasm' }), dsp.melSpectrogram(x, p.channels, { ...o, kernel: 'js' }), peaks, wsum);
    assert.ok(m <= 1e-5, `mel err ${m}`);
    const db = { ...o, db: { topDb: 80 } };
    const d = absErr(dsp.melSpectrogram(x, p.channels, { ...db, kernel: 'wasm' }), dsp.melSpectrogram(x, p.channels, { ...db, kernel: 'js' }));
    assert.ok(d <= 2e-3, `log-mel err ${d} dB`);
    for (const [logMels, lifter] of [[false, 0], [true, 22]] as const) {
      const mf = { ...db, nMfcc: Math.min(13, p.nMels), dctNorm: 'ortho' as const, logMels, lifter };
      const js = dsp.mfcc(x, p.channels, { ...mf, kernel: 'js' });
      const e = absErr(dsp.mfcc(x, p.channels, { ...mf, kernel: 'wasm' }), js);
      // Plus float32 rounding of the sum itself (coefficients reach ~2000 with many silent bands).
      const big = js.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assert.ok(e <= 2e-3 + 2e-6 * big, `mfcc (logMels ${logMels}) err ${e}, largest coefficient ${big}`);
    }
  }), { numRuns: 150 });
});

const S512: StftOptions = { nFft: 512, hopLength: 160, winLength: 512, window: 'hann', center: false, padMode: 'reflect', power: 2 };
const MEL80 = { sampleRate: 16000, nMels: 80, fMin: 0, fMax: 8000, norm: null, melScale: 'htk' as const };

test('clips longer than one chunk (2048 frames): every frame equals the same frame computed alone, bit for bit', () => {
  const x = noise(160 * 4500 + 999, 7, 0.5);
  const whole = dsp.melSpectrogram(x, 1, { stft: S512, mel: MEL80, kernel: 'wasm' });
  const T = whole.shape[2];
  assert.ok(T > 4096, 'spans three chunks');
  // A frame's lanes never mix with its neighbours', so the result does not depend on which chunk
  // or which lane of a 4-frame group it landed in.
  for (const t of [0, 1, 2, 3, 2046, 2047, 2048, 2049, 4095, 4096, T - 2, T - 1]) {
    const one = dsp.melSpectrogram(x.subarray(t * 160, t * 160 + 512), 1, { stft: S512, mel: MEL80, kernel: 'wasm' });
    assert.deepEqual(one.shape, [1, 80, 1]);
    for (let m = 0; m < 80; m++) assert.equal(whole.data[m * T + t], one.data[m], `frame ${t} band ${m}`);
  }
  // With centre padding and the dB floor over the whole clip, it still tracks the JS path.
  const centred = { stft: { ...S512, center: true }, mel: MEL80, db: { topDb: 80 } };
  const e = absErr(dsp.melSpectrogram(x, 1, { ...centred, kernel: 'wasm' }), dsp.melSpectrogram(x, 1, { ...centred, kernel: 'js' }));
  assert.ok(e <= 2e-3, `long log-mel err ${e} dB`);
  const mf = { ...centred, nMfcc: 13, dctNorm: 'ortho' as const, logMels: false, lifter: 0 };
  const em = absErr(dsp.mfcc(x, 1, { ...mf, kernel: 'wasm' }), dsp.mfcc(x, 1, { ...mf, kernel: 'js' }));
  assert.ok(em <= 2e-3, `long mfcc err ${em}`);
});

test('large n_fft: chunks shrink to bound the output per chunk (n_fft 8192 → 511 frames per chunk) and match the JS path', () => {
  const x = noise(16000, 9, 0.5);
  const stft: StftOptions = { ...S512, nFft: 8192, winLength: 8192, hopLength: 16, center: true };
  const js = dsp.spectrogram(x, 1, stft, 'js');
  assert.equal(js.shape[2], 1001);
  const e = frameRelErr(dsp.spectrogram(x, 1, stft, 'wasm'), js, framePeaks(js));
  assert.ok(e <= 1e-5, `spectrogram err ${e}`);
  const one = dsp.spectrogram(x.subarray(600 * 16 - 4096, 600 * 16 + 4096), 1, { ...stft, center: false }, 'wasm');
  const all = dsp.spectrogram(x, 1, stft, 'wasm');
  for (let f = 0; f < 4097; f += 97) assert.equal(all.data[f * 1001 + 600], one.data[f], `bin ${f} of frame 600 (second chunk)`);
});

test('stereo: each channel equals its mono computation; top_db is relative to the max over both channels', () => {
  const n = 16000;
  const x = tone(n, 16000, 440, 2);
  for (let i = n; i < 2 * n; i++) x[i]! *= 1e-3; // channel 1 is 60 dB quieter
  const o = { stft: { ...S512, center: true }, mel: MEL80, kernel: 'wasm' as const };
  const st = dsp.melSpectrogram(x, 2, o);
  const half = st.data.length / 2;
  for (let c = 0; c < 2; c++) {
    const mono = dsp.melSpectrogram(x.subarray(c * n, (c + 1) * n), 1, o);
    assert.deepEqual(Array.from(st.data.subarray(c * half, (c + 1) * half)), Array.from(mono.data), `channel ${c}`);
  }
  const db = dsp.melSpectrogram(x, 2, { ...o, db: { topDb: 30 } });
  const ref = dsp.melSpectrogram(x, 2, { ...o, db: { topDb: 30 }, kernel: 'js' });
  assert.ok(absErr(db, ref) <= 2e-3);
  const max = Math.max(...db.data);
  // The quiet channel sits entirely on the shared floor.
  assert.ok(db.data.subarray(half).every((v) => Math.abs(v - (max - 30)) < 1e-4));
});

test('NaN samples: the affected frames become amin in dB like the JS path (no NaN out of log-mel)', () => {
  const x = noise(8000, 3, 0.5);
  x[4000] = NaN;
  const o = { stft: { ...S512, center: true }, mel: MEL80, db: { topDb: 200 } };
  const w = dsp.melSpectrogram(x, 1, { ...o, kernel: 'wasm' }), j = dsp.melSpectrogram(x, 1, { ...o, kernel: 'js' });
  assert.ok(w.data.every((v) => !Number.isNaN(v)));
  assert.ok(j.data.some((v) => v === -100), 'the JS path maps NaN energies to amin');
  assert.ok(absErr(w, j) <= 2e-3);
});

test("odd n_fft: 'auto' falls back to the JS path; 'wasm' refuses with the fix", () => {
  const x = noise(4000, 5, 0.5);
  const stft = { ...S512, nFft: 401, winLength: 401 };
  const o = { stft, mel: MEL80 };
  assert.deepEqual(dsp.melSpectrogram(x, 1, o).data, dsp.melSpectrogram(x, 1, { ...o, kernel: 'js' }).data);
  assert.throws(() => dsp.melSpectrogram(x, 1, { ...o, kernel: 'wasm' }), /even nFft.*fix: use kernel 'auto' or 'js'/);
  assert.throws(() => dsp.spectrogram(x, 1, stft, 'wasm'), /WebAssembly SIMD kernel/);
});

test('zero frames and empty inputs give empty outputs of the right shape', () => {
  const short = new Float32Array(100);
  const o = { stft: S512, mel: MEL80, db: { topDb: 80 }, kernel: 'wasm' as const };
  assert.deepEqual(dsp.melSpectrogram(short, 1, o).shape, [1, 80, 0]);
  assert.deepEqual(dsp.mfcc(short, 1, { ...o, nMfcc: 13, dctNorm: 'ortho', logMels: false, lifter: 0 }).shape, [1, 13, 0]);
  assert.deepEqual(dsp.melSpectrogram(new Float32Array(0), 0, o).shape, [0, 80, 0]);
});

test('worker threads load the kernel too: logMel / mfcc with workers: 2 equal the in-process kernels bit for bit', async () => {
  const clips = [0, 1, 2, 3].map((i) => noise(16000 + 1000 * i, 11 + i, 0.3));
  const ds = fromRows(clips.map((c) => ({ w: { data: c, shape: [1, c.length] } })), W)
    .map(logMel({ column: 'w', output: 'lm', nFft: 512, hopLength: 160, nMels: 80 }))
    .map(mfcc({ column: 'w', output: 'mf', nMfcc: 13, nFft: 512, hopLength: 160, nMels: 80 }));
  const t = await ds.compute({ workers: 2 });
  const lm = column<Tensor>(t, 'lm'), mf = column<Tensor>(t, 'mf');
  const stft = { ...S512, center: true };
  clips.forEach((c, i) => {
    const wantLm = dsp.melSpectrogram(c, 1, { stft, mel: MEL80, db: { topDb: 80 }, kernel: 'wasm' });
    const wantMf = dsp.mfcc(c, 1, { stft, mel: MEL80, db: { topDb: 80 }, nMfcc: 13, dctNorm: 'ortho', logMels: false, lifter: 0, kernel: 'wasm' });
    assert.deepEqual(Array.from(lm[i]!.data as Float32Array), Array.from(wantLm.data), `row ${i} log-mel`);
    assert.deepEqual(Array.from(mf[i]!.data as Float32Array), Array.from(wantMf.data), `row ${i} mfcc`);
  });
});
