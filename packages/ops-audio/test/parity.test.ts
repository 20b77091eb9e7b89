// Parity with torchaudio 0.13 on the sample clips (goldens from golden/make_goldens.py).
// Tolerances (measured worst case in brackets):
//   WAV decode vs torchaudio.load            abs ≤ 1e-8          [5e-12]
//   resample 22050→16000/8000/44100          abs ≤ 5e-6          [2.8e-6]  (torch builds float32 kernels)
//   mel power, same input (22050 Hz configs) rel ≤ 1e-4          [1.1e-5]
//   mel / spectrogram power after resample   rel ≤ 3e-3 per bin  [1.5e-3], per-frame sums rel ≤ 1e-4 [1.1e-5]
//   (rel = |a-b| / (|b| + 1e-6·frame max): bins 60 dB below the frame peak carry the resampler's 1e-6 differences)
//   log-mel (dB, top_db 80)                   abs ≤ 0.01 dB, rel ≤ 1e-3 [4.3e-3 dB]
//   MFCC                                      abs ≤ 5e-3          [2.4e-3]
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readManifest, columnValues, fromArrowSchema, type Tensor } from '@modaflow/core';
import { goldens, clipBytes, maxAbsErr, maxRelErr, type FrameGolden } from './golden/goldens.ts';
import { dsp, decodeAudio, resample, logMel, mfcc } from '../src/index.ts';
import { stftOptions, melOptions, type MelParams, type StftParams } from '../src/internal/params.ts';
import { fileURLToPath } from 'node:url';

const DATASET = fileURLToPath(new URL('../../../examples/data/dataset', import.meta.url));

const MEL: Record<string, [number, StftParams & MelParams, number]> = {
  mel_default_16k: [16000, {}, 3e-3],
  mel_400_160_64: [16000, { nFft: 400, hopLength: 160, nMels: 64 }, 3e-3],
  mel_512_160_80: [16000, { nFft: 512, hopLength: 160, nMels: 80 }, 3e-3],
  mel_512_160_80_slaney: [16000, { nFft: 512, hopLength: 160, nMels: 80, norm: 'slaney', melScale: 'slaney' }, 3e-3],
  mel_native_1024_256_64_mag: [22050, { nFft: 1024, hopLength: 256, nMels: 64, power: 1 }, 1e-4],
  mel_native_400_winlen_300: [22050, { nFft: 400, winLength: 300, hopLength: 200, nMels: 40 }, 1e-4],
};

const MFCC: Record<string, { n: number; p: StftParams & MelParams; logMels?: boolean }> = {
  mfcc_default_16k: { n: 40, p: {} },
  mfcc_13_512_160_80: { n: 13, p: { nFft: 512, hopLength: 160, nMels: 80 } },
  mfcc_13_400_160_64_logmels: { n: 13, p: { nFft: 400, hopLength: 160, nMels: 64 }, logMels: true },
};

function frameOf(data: Float32Array, F: number, T: number, t: number): number[] {
  return Array.from({ length: F }, (_, f) => data[f * T + t]!);
}
function frameSums(data: Float32Array, F: number, T: number): number[] {
  return Array.from({ length: T }, (_, t) => { let s = 0; for (let f = 0; f < F; f++) s += data[f * T + t]!; return s; });
}

/** Compares our [1, F, T] output with a golden; kind 'rel' for power, 'abs' for dB and MFCC. */
// Worst errors seen per kernel and quantity, printed as test diagnostics (the README's table).
const worst = new Map<string, number>();
function note(key: string, e: number): void {
  worst.set(key, Math.max(worst.get(key) ?? 0, e));
}

function check(label: string, g: FrameGolden, out: { data: Float32Array; shape: readonly number[] }, kind: 'rel' | 'abs' | 'db', tol: number, key = ''): void {
  const [C, F, T] = out.shape as [number, number, number];
  assert.equal(C, 1);
  assert.deepEqual([F, T], g.shape, `${label}: shape`);
  for (const [t, v] of Object.entries(g.frames)) {
    const ours = frameOf(out.data, F, T, Number(t));
    const peak = Math.max(...v.map(Math.abs));
    const e = kind === 'rel' ? maxRelErr(ours, v, 1e-6 * peak) : maxAbsErr(ours, v);
    note(`${key} ${kind === 'rel' ? 'rel' : 'abs'}`, e);
    assert.ok(e <= tol, `${label} frame ${t}: ${kind === 'rel' ? 'rel' : 'abs'} err ${e} > ${tol}`);
    if (kind === 'db') {
      const r = maxRelErr(ours, v, 1);
      note(`${key} rel`, r);
      assert.ok(r <= 1e-3, `${label} frame ${t}: log-mel rel err ${r}`);
    }
  }
  const sums = frameSums(out.data, F, T);
  const peak = Math.max(...g.frameSums.map(Math.abs));
  if (kind === 'rel') {
    const e = maxRelErr(sums, g.frameSums, 1e-6 * peak);
    note(`${key} frame-sum rel`, e);
    assert.ok(e <= 1e-4, `${label}: per-frame sums rel err ${e}`);
  } else {
    const e = maxAbsErr(sums, g.frameSums);
    assert.ok(e <= tol * F, `${label}: per-frame sums abs err ${e} > ${tol} × ${F} bins`);
  }
}

const clips = Object.entries(goldens.clips);
const w16Of = new Map<string, Float32Array>();
function wave16(name: string): Float32Array {
  let w = w16Of.get(name);
  if (!w) {
    const a = dsp.decodeWav(clipBytes(name));
    w = new Float32Array(dsp.resampledLength(a.frames, a.sampleRate, 16000));
    dsp.resampleChannel(a.data, a.sampleRate, 16000, w, 0);
    w16Of.set(name, w);
  }
  return w;
}

test('goldens were made by torchaudio 0.13', () => {
  assert.match(goldens.torchaudio, /^0\.13/);
});

test('WAV decode matches torchaudio.load (int16 / 32768)', () => {
  for (const [name, g] of clips) {
    const a = dsp.decodeWav(clipBytes(name));
    assert.equal(a.sampleRate, g.sampleRate);
    assert.equal(a.frames, g.length);
    assert.ok(maxAbsErr(a.data.subarray(0, g.head.length), g.head) <= 1e-8);
  }
});

test('resample matches torchaudio.functional.resample (abs ≤ 5e-6)', () => {
  for (const [name, g] of clips) {
    const a = dsp.decodeWav(clipBytes(name));
    const w = wave16(name);
    const r = g.resample16k;
    assert.equal(w.length, r.length);
    const mid = w.length >> 1;
    assert.ok(maxAbsErr(w.subarray(0, r.head.length), r.head) <= 5e-6);
    assert.ok(maxAbsErr(w.subarray(mid, mid + r.mid.length), r.mid) <= 5e-6);
    assert.ok(maxAbsErr(w.subarray(w.length - r.tail.length), r.tail) <= 5e-6);
    let ss = 0;
    for (const v of w) ss += v * v;
    assert.ok(Math.abs(ss - r.sumsq) / r.sumsq < 1e-5, `energy ${ss} vs ${r.sumsq}`);
    for (const [to, gg, at] of [[8000, g.resample8k, 1000], [44100, g.resample44k, 5000]] as const) {
      const out = new Float32Array(dsp.resampledLength(a.frames, 22050, to));
      dsp.resampleChannel(a.data, 22050, to, out, 0);
      assert.equal(out.length, gg.length);
      assert.ok(maxAbsErr(out.subarray(at, at + gg.mid.length), gg.mid) <= 5e-6, `${name} → ${to}`);
    }
  }
});

// Both implementations are held to the same tolerances: the float64 JS path (the reference) and
// the float32 WebAssembly SIMD kernel (the default where the engine has it).
const KERNELS = ['js', 'wasm'] as const;

test('the WebAssembly SIMD kernel is available in this Node (else only the JS path would be tested)', () => {
  assert.ok(dsp.simdAvailable(), dsp.simdUnavailableReason());
});

test('MelSpectrogram (and AmplitudeToDB top_db 80) match torchaudio, both kernels', (t) => {
  for (const kernel of KERNELS) {
    for (const [name, g] of clips) {
      if (!g.mel_default_16k) continue;
      const native = dsp.decodeWav(clipBytes(name)).data;
      for (const [cfg, [sr, p, tol]] of Object.entries(MEL)) {
        const x = sr === 16000 ? wave16(name) : native;
        const o = { stft: stftOptions(p), mel: melOptions({ ...p, sampleRate: sr }), kernel };
        const key = `${kernel} mel ${sr === 16000 ? 'after resample' : 'same input'}`;
        check(`${kernel} ${name} ${cfg}`, g[cfg] as FrameGolden, dsp.melSpectrogram(x, 1, o), 'rel', tol, key);
        if (g[`${cfg}_db80`]) check(`${kernel} ${name} ${cfg} dB`, g[`${cfg}_db80`] as FrameGolden, dsp.melSpectrogram(x, 1, { ...o, db: { topDb: 80 } }), 'db', 0.01, `${kernel} log-mel dB`);
      }
      check(`${kernel} ${name} spectrogram`, g.spec_512_160 as FrameGolden, dsp.spectrogram(wave16(name), 1, stftOptions({ nFft: 512, hopLength: 160 }), kernel), 'rel', 3e-3, `${kernel} spectrogram after resample`);
    }
  }
  for (const [k, v] of [...worst].sort()) t.diagnostic(`worst ${k}: ${v.toExponential(2)}`);
});

test('MFCC matches torchaudio.transforms.MFCC, both kernels', (t) => {
  for (const kernel of KERNELS) {
    for (const [name, g] of clips) {
      if (!g.mfcc_default_16k) continue;
      for (const [cfg, c] of Object.entries(MFCC)) {
        const out = dsp.mfcc(wave16(name), 1, { stft: stftOptions(c.p), mel: melOptions(c.p), db: { topDb: 80 }, nMfcc: c.n, dctNorm: 'ortho', logMels: c.logMels ?? false, lifter: 0, kernel });
        check(`${kernel} ${name} ${cfg}`, g[cfg] as FrameGolden, out, 'abs', 5e-3, `${kernel} mfcc`);
      }
    }
  }
  for (const [k, v] of [...worst].filter(([k]) => k.includes('mfcc')).sort()) t.diagnostic(`worst ${k}: ${v.toExponential(2)}`);
});

test('mel filterbanks match torchaudio.functional.melscale_fbanks', () => {
  for (const [name, g] of Object.entries(goldens.fbanks)) {
    const p = g.params;
    const fb = dsp.melFilterbank({ nFreqs: p.n_freqs, fMin: p.f_min, fMax: p.f_max, nMels: p.n_mels, sampleRate: p.sample_rate, norm: p.norm ?? null, melScale: p.mel_scale ?? 'htk' });
    const col = (m: number) => Array.from({ length: p.n_freqs }, (_, f) => fb[f * p.n_mels + m]!);
    const sums = Array.from({ length: p.n_mels }, (_, m) => col(m).reduce((a, b) => a + b, 0));
    const maxes = Array.from({ length: p.n_mels }, (_, m) => Math.max(...col(m)));
    assert.ok(maxRelErr(sums, g.colSums, 1e-9) < 1e-5, `${name} sums`);
    assert.ok(maxRelErr(maxes, g.colMax, 1e-9) < 1e-5, `${name} maxes`);
    // torch computes the mel points in float32: ~2e-6 relative to the filter peak.
    assert.ok(maxAbsErr(col(10), g.col10) <= 1e-5 * Math.max(...g.col10), `${name} column 10`);
  }
});

test('end to end: readManifest → decodeAudio → resample → logMel / mfcc equals the goldens', async () => {
  const ds = readManifest(DATASET)
    .map(decodeAudio({ column: 'audio_path', output: 'audio', mono: true }))
    .map(resample({ column: 'audio', sampleRateColumn: 'audio_sample_rate', to: 16000 }))
    .map(logMel({ column: 'audio', output: 'logmel', nFft: 512, hopLength: 160, nMels: 80, sampleRate: 16000, sampleRateColumn: 'audio_sample_rate' }))
    .map(mfcc({ column: 'audio', output: 'mfcc', nMfcc: 13, nFft: 512, hopLength: 160, nMels: 80 }))
    .select('id', 'audio_sample_rate', 'logmel', 'mfcc');
  const t = await ds.compute();
  const s = fromArrowSchema(t.schema);
  const ids = columnValues(s.id!, t.getChild('id')!) as string[];
  const mels = columnValues(s.logmel!, t.getChild('logmel')!) as (Tensor | null)[];
  const mf = columnValues(s.mfcc!, t.getChild('mfcc')!) as (Tensor | null)[];
  assert.equal(t.report.rowsIn, 12);
  let checked = 0;
  ids.forEach((id, i) => {
    const g = goldens.clips[`${id}.wav`];
    if (!g?.mel_512_160_80_db80) return;
    check(`${id} pipeline log-mel`, g.mel_512_160_80_db80 as FrameGolden, { data: mels[i]!.data as Float32Array, shape: mels[i]!.shape }, 'db', 0.01);
    check(`${id} pipeline mfcc`, g.mfcc_13_512_160_80 as FrameGolden, { data: mf[i]!.data as Float32Array, shape: mf[i]!.shape }, 'abs', 5e-3);
    checked++;
  });
  assert.equal(checked, 2);
  // sample_012 has no audio: null in, null out.
  assert.equal(mels[ids.indexOf('sample_012')], null);
});
