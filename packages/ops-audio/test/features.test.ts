// The spectral ops in pipelines: shapes, multi-channel, short clips and silence (documented
// behaviours), sample-rate checks, meyda descriptors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromRows, dt } from '@modaflow/core';
import { spectrogram, melSpectrogram, logMel, mfcc, descriptors, resample, dsp } from '../src/index.ts';
import { runOp, tone, wave, type T32 } from './helpers.ts';

const W = { w: dt.varTensor(dt.float32(), 2) };

test('spectrogram / mel / log-mel / mfcc shapes, per channel, in one pipeline', async () => {
  const clip = tone(16000, 16000, 440, 2);
  const ds = fromRows([{ w: wave(clip, 2) }, { w: null }], W)
    .map(spectrogram({ column: 'w', output: 'spec', nFft: 512, hopLength: 160 }))
    .map(melSpectrogram({ column: 'w', output: 'mel', nFft: 512, hopLength: 160, nMels: 80 }))
    .map(logMel({ column: 'w', output: 'lm', nFft: 512, hopLength: 160, nMels: 80 }))
    .map(mfcc({ column: 'w', output: 'mf', nMfcc: 13, nFft: 400, hopLength: 160, nMels: 64, lifter: 22 }));
  const t = await ds.compute();
  const get = (c: string) => t.getChild(c)!.get(0) as unknown;
  const shapeOf = (c: string) => Array.from((get(c) as { toJSON(): { shape: { toArray(): Int32Array } } }).toJSON().shape.toArray());
  assert.deepEqual(shapeOf('spec'), [2, 257, 101]);
  assert.deepEqual(shapeOf('mel'), [2, 80, 101]);
  assert.deepEqual(shapeOf('lm'), [2, 80, 101]);
  assert.deepEqual(shapeOf('mf'), [2, 13, 101]);
  assert.equal(t.getChild('mel')!.get(1), null);
});

test('channel c of a stereo clip equals the mono computation of that channel', async () => {
  const clip = tone(4000, 16000, 300, 2);
  const p = { nFft: 512, hopLength: 160, nMels: 40 };
  const st = (await runOp(logMel({ column: 'w', output: 'o', ...p, topDb: null }), W, { w: [wave(clip, 2)] })).out.o![0] as T32;
  for (const c of [0, 1]) {
    const mono = (await runOp(logMel({ column: 'w', output: 'o', ...p, topDb: null }), W, { w: [wave(clip.slice(c * 4000, (c + 1) * 4000), 1)] })).out.o![0] as T32;
    const n = mono.data.length;
    assert.deepEqual(Array.from(st.data.subarray(c * n, (c + 1) * n)), Array.from(mono.data));
  }
});

test('the mel peak of a pure tone sits in the band that contains the tone', async () => {
  const sr = 16000, f0 = 1000;
  const r = await runOp(melSpectrogram({ column: 'w', output: 'o', nFft: 512, hopLength: 160, nMels: 40 }), W, { w: [wave(Float32Array.from({ length: 8000 }, (_, i) => Math.sin((2 * Math.PI * f0 * i) / sr)), 1)] });
  const o = r.out.o![0] as T32;
  const [, M, T] = o.shape as [number, number, number];
  const t = T >> 1;
  let best = 0;
  for (let m = 0; m < M; m++) if (o.data[m * T + t]! > o.data[best * T + t]!) best = m;
  const lo = dsp.melToHz((dsp.hzToMel(sr / 2, 'htk') * best) / (M + 1), 'htk');
  const hi = dsp.melToHz((dsp.hzToMel(sr / 2, 'htk') * (best + 2)) / (M + 1), 'htk');
  assert.ok(lo < f0 && f0 < hi, `band ${best}: ${lo}..${hi} Hz`);
});

test('short clips: reflect padding needs more than n_fft/2 samples → MF_AUDIO_TOO_SHORT; constant padding or center=false give frames / zero frames', async () => {
  const short = wave(Float32Array.from({ length: 150 }, (_, i) => Math.sin(i)), 1);
  const ok = wave(tone(1000, 16000), 1);
  const r = await runOp(logMel({ column: 'w', output: 'o', nFft: 400, hopLength: 160 }), W, { w: [short, ok, wave(new Float32Array(0), 1)] });
  assert.deepEqual(r.failures.map((f) => f.code), ['MF_AUDIO_TOO_SHORT', 'MF_AUDIO_TOO_SHORT']);
  assert.deepEqual(r.keptRowIds, [1]);
  assert.match(r.failures[0]!.message, /fix:/);
  const c = await runOp(logMel({ column: 'w', output: 'o', nFft: 400, hopLength: 160, padMode: 'constant' }), W, { w: [short] });
  assert.deepEqual((c.out.o![0] as T32).shape, [1, 128, 1]);
  const nc = await runOp(mfcc({ column: 'w', output: 'o', nFft: 400, hopLength: 160, center: false }), W, { w: [short] });
  assert.deepEqual((nc.out.o![0] as T32).shape, [1, 40, 0]);
});

test('silence: log-mel is amin in dB (−100) everywhere; MFCC is finite', async () => {
  const r = await runOp(logMel({ column: 'w', output: 'o', nFft: 400, hopLength: 160, nMels: 64 }), W, { w: [wave(new Float32Array(1600), 1)] });
  const o = r.out.o![0] as T32;
  assert.ok(o.data.length > 0 && Array.from(o.data).every((v) => v === -100));
  const m = await runOp(mfcc({ column: 'w', output: 'o', nMfcc: 13 }), W, { w: [wave(new Float32Array(1600), 1)] });
  assert.ok(Array.from((m.out.o![0] as T32).data).every(Number.isFinite));
});

test('sampleRateColumn: clips at another rate are row errors (MF_AUDIO_RATE); resample fixes them', async () => {
  const schema = { ...W, sr: dt.int32() };
  const rows = { w: [wave(tone(2205, 22050), 1), wave(tone(1600, 16000), 1)], sr: [22050, 16000] };
  const r = await runOp(logMel({ column: 'w', output: 'o', sampleRateColumn: 'sr', sampleRate: 16000 }), schema, rows);
  assert.deepEqual(r.failures.map((f) => f.code), ['MF_AUDIO_RATE']);
  assert.match(r.failures[0]!.message, /resample/);
  const rs = await runOp(resample({ column: 'w', sampleRateColumn: 'sr', to: 16000 }), schema, rows);
  assert.deepEqual(rs.out.sr, [16000, 16000]);
  assert.deepEqual((rs.out.w![0] as T32).shape, [1, 1600]);
  assert.deepEqual(Array.from((rs.out.w![1] as T32).data), Array.from(rows.w[1]!.data), 'same rate: untouched');
});

test('descriptors (meyda): tone centroid ≈ its frequency, rms of a Hann-windowed sine, zcr ≈ 2·f·N/sr', async () => {
  const sr = 16000, f0 = 1000, n = 512, amp = 0.5;
  const x = Float32Array.from({ length: 8000 }, (_, i) => amp * Math.sin((2 * Math.PI * f0 * i) / sr));
  const r = await runOp(descriptors({ column: 'w', output: 'd', frameSize: n, sampleRate: sr }), W, { w: [wave(x, 1), wave(new Float32Array(100), 1)] });
  const d = r.out.d![0] as T32;
  const [C, F, T] = d.shape as [number, number, number];
  assert.deepEqual([C, F, T], [1, 5, 1 + Math.floor((8000 - n) / 256)]);
  const at = (f: number, t: number) => d.data[f * T + t]!;
  for (let t = 0; t < T; t++) {
    // meyda windows the frame (Hann) before every descriptor: rms = amp/√2 · √mean(w²) = amp/√2 · √(3/8).
    assert.ok(Math.abs(at(0, t) - (amp / Math.SQRT2) * Math.sqrt(3 / 8)) < 0.005, `rms ${at(0, t)}`);
    assert.ok(Math.abs(at(1, t) - (2 * f0 * n) / sr) <= 2, `zcr ${at(1, t)}`);
    assert.ok(Math.abs(at(2, t) - f0) < 60, `centroid ${at(2, t)} Hz`);
    assert.ok(at(3, t) >= f0 && at(3, t) < sr / 2, `rolloff ${at(3, t)} Hz`);
    assert.ok(at(4, t) >= 0 && at(4, t) < 0.1, `flatness of a tone ${at(4, t)}`);
  }
  // Shorter than one frame: zero frames.
  assert.deepEqual((r.out.d![1] as T32).shape, [1, 5, 0]);
  assert.throws(() => descriptors({ column: 'w', output: 'd', frameSize: 400 }), /power of two/);
});

test('bad spectral params are refused when the plan is built', () => {
  assert.throws(() => melSpectrogram({ column: 'w', output: 'o', nFft: 400, winLength: 500 }), /winLength/);
  assert.throws(() => mfcc({ column: 'w', output: 'o', nMfcc: 200, nMels: 80 }), /nMfcc/);
  assert.throws(() => logMel({ column: 'w', output: 'o', fMin: 9000, sampleRate: 16000 }), /fMin/);
  assert.throws(() => spectrogram({ column: 'w', output: 'o', power: 3 as never }), /power/);
});

test('long clips are processed in blocks of frames: same result as one whole-clip spectrum', () => {
  const x = tone(16000 * 12 + 77, 16000, 523);
  const stft = { nFft: 400, hopLength: 160, winLength: 400, window: 'hann' as const, center: true, padMode: 'reflect' as const, power: 2 as const };
  const mel = { sampleRate: 16000, nMels: 64, fMin: 0, fMax: 8000, norm: null, melScale: 'htk' as const };
  // The JS path (the reference; the SIMD kernel's chunking is tested in simd.test.ts).
  const got = dsp.melSpectrogram(x, 1, { stft, mel, kernel: 'js' });
  const s = new dsp.Stft(stft);
  const T = s.frames(x.length);
  assert.ok(T > 1024, 'spans several blocks');
  const spec = new Float64Array(T * s.bins);
  s.runTimeMajor(x, spec);
  const fb = dsp.sparseMel({ ...mel, nFreqs: s.bins });
  const want = new Float32Array(64 * T);
  for (let t = 0; t < T; t++) dsp.applyMel(fb, spec, t * s.bins, want, t, T);
  assert.deepEqual(got.shape, [1, 64, T]);
  assert.deepEqual(Array.from(got.data), Array.from(want));
});
