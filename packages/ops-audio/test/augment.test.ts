// Augmentations draw from ctx.random(row), keyed on (seed, op, source row id): same seed and row
// → same output, whatever the batch split; and each op does what it says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dt, type OpCall } from '@modaflow/core';
import { gain, addNoise, timeShift, speedPerturb, specAugment } from '../src/index.ts';
import { runOp, tone, wave, type T32 } from './helpers.ts';

const W = { w: dt.varTensor(dt.float32(), 2) };
const S = { s: dt.varTensor(dt.float32(), 3) };

const clips = Array.from({ length: 7 }, (_, i) => wave(tone(400 + 37 * i, 8000, 200 + 50 * i, 1 + (i % 2)), 1 + (i % 2)));
const specs = Array.from({ length: 7 }, (_, i) => ({ data: Float32Array.from({ length: 2 * 20 * (30 + i) }, (_, k) => 1 + ((k * 31 + i) % 17)), shape: [2, 20, 30 + i] }));

const AUGS: [string, OpCall, 'w' | 's'][] = [
  ['gain', gain({ column: 'w', minDb: -6, maxDb: 6 }), 'w'],
  ['add-noise', addNoise({ column: 'w', minSnrDb: 5, maxSnrDb: 20 }), 'w'],
  ['time-shift', timeShift({ column: 'w', maxFraction: 0.3 }), 'w'],
  ['speed-perturb', speedPerturb({ column: 'w', sampleRate: 8000, factors: [0.9, 1, 1.1] }), 'w'],
  ['spec-augment', specAugment({ column: 's', freqMaskParam: 8, numFreqMasks: 2, timeMaskParam: 10, numTimeMasks: 2 }), 's'],
];

async function runSplit(call: OpCall, col: 'w' | 's', cuts: number[], seed: number): Promise<T32[]> {
  const rows = col === 'w' ? clips : specs;
  const schema = col === 'w' ? W : S;
  const bounds = [0, ...cuts.filter((c) => c > 0 && c < rows.length).sort((a, b) => a - b), rows.length];
  const out: T32[] = [];
  for (let b = 0; b + 1 < bounds.length; b++) {
    if (bounds[b] === bounds[b + 1]) continue;
    const ids = Array.from({ length: bounds[b + 1]! - bounds[b]! }, (_, i) => 100 + bounds[b]! + i);
    const r = await runOp(call, schema, { [col]: rows.slice(bounds[b], bounds[b + 1]) }, ids, seed);
    out.push(...(r.out[col] as T32[]));
  }
  return out;
}

const same = (a: T32[], b: T32[]) => a.length === b.length && a.every((t, i) => t.shape.join() === b[i]!.shape.join() && t.data.every((v, k) => Object.is(v, b[i]!.data[k])));

for (const [name, call, col] of AUGS) {
  test(`${name}: deterministic per (seed, row), independent of how rows are batched`, async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 4 }), fc.integer({ min: 0, max: 1000 }), async (cuts, seed) => {
      const whole = await runSplit(call, col, [], seed);
      const split = await runSplit(call, col, cuts, seed);
      assert.ok(same(whole, split), `cuts ${cuts}`);
    }), { numRuns: 15 });
    const a = await runSplit(call, col, [], 1), b = await runSplit(call, col, [], 2);
    assert.ok(!same(a, b), 'another seed draws differently');
  });
}

test('gain multiplies each clip by a factor within [minDb, maxDb]', async () => {
  const r = await runOp(gain({ column: 'w', minDb: -6, maxDb: 3 }), W, { w: clips });
  const gains = (r.out.w as T32[]).map((t, i) => 20 * Math.log10(t.data[5]! / clips[i]!.data[5]!));
  for (const g of gains) assert.ok(g >= -6 - 1e-4 && g <= 3 + 1e-4, `gain ${g} dB`);
  assert.ok(new Set(gains.map((g) => g.toFixed(3))).size > 1, 'rows draw different gains');
});

test('add-noise hits the drawn SNR; silence stays silent', async () => {
  const x = wave(tone(40000, 16000, 440), 1);
  const r = await runOp(addNoise({ column: 'w', minSnrDb: 10, maxSnrDb: 10 }), W, { w: [x, wave(new Float32Array(100), 1)] });
  const y = (r.out.w as T32[])[0]!;
  let ps = 0, pn = 0;
  for (let i = 0; i < x.data.length; i++) { ps += x.data[i]! ** 2; pn += (y.data[i]! - x.data[i]!) ** 2; }
  assert.ok(Math.abs(10 * Math.log10(ps / pn) - 10) < 0.2, `snr ${10 * Math.log10(ps / pn)}`);
  assert.ok((r.out.w as T32[])[1]!.data.every((v) => v === 0));
});

test('time-shift: roll keeps every sample (a rotation); zero mode keeps a contiguous part', async () => {
  const x = wave(Float32Array.from({ length: 100 }, (_, i) => i + 1), 1);
  const r = await runOp(timeShift({ column: 'w', maxFraction: 0.5 }), W, { w: [x, x, x] }, [1, 2, 3]);
  for (const y of r.out.w as T32[]) {
    const s = (y.data[0]! - 1 + 100) % 100;
    for (let i = 0; i < 100; i++) assert.equal(y.data[i], ((i + s) % 100) + 1);
  }
  const z = await runOp(timeShift({ column: 'w', maxFraction: 0.5, mode: 'zero' }), W, { w: [x, x, x] }, [1, 2, 3]);
  for (const y of z.out.w as T32[]) {
    const nz = Array.from(y.data).filter((v) => v !== 0);
    assert.ok(nz.every((v, i) => i === 0 || v === nz[i - 1]! + 1), 'a contiguous run of the input');
  }
});

test('speed-perturb: length becomes ceil(len / factor) for the drawn factor', async () => {
  const r = await runOp(speedPerturb({ column: 'w', sampleRate: 8000, factors: [0.9, 1.1] }), W, { w: clips });
  (r.out.w as T32[]).forEach((y, i) => {
    const n = clips[i]!.shape[1]!;
    const ok = [0.9, 1.1].map((f) => Math.ceil((n * 8000) / Math.round(8000 * f)));
    assert.ok(ok.includes(y.shape[1]!), `len ${y.shape[1]} not in ${ok}`);
    assert.equal(y.shape[0], clips[i]!.shape[0]);
  });
});

test('spec-augment: masks are bands of at most F bins / T frames, the same on every channel', async () => {
  const r = await runOp(specAugment({ column: 's', freqMaskParam: 8, numFreqMasks: 1, timeMaskParam: 10, numTimeMasks: 1, maskValue: -5 }), S, { s: specs });
  (r.out.s as T32[]).forEach((y) => {
    const [C, F, T] = y.shape as [number, number, number];
    const cellMasked = (c: number, f: number, t: number) => y.data[(c * F + f) * T + t] === -5;
    const fullRows = Array.from({ length: F }, (_, f) => Array.from({ length: T }, (_, t) => cellMasked(0, f, t)).every(Boolean)).filter(Boolean).length;
    const fullCols = Array.from({ length: T }, (_, t) => Array.from({ length: F }, (_, f) => cellMasked(0, f, t)).every(Boolean)).filter(Boolean).length;
    assert.ok(fullRows < 8 && fullCols < 10);
    for (let f = 0; f < F; f++) for (let t = 0; t < T; t++) assert.equal(cellMasked(0, f, t), cellMasked(1, f, t));
  });
});
