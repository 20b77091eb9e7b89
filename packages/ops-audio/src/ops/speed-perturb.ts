// audio.speed-perturb: play each clip faster or slower by a factor picked uniformly from
// `factors` (Kaldi/ESPnet style 0.9/1.0/1.1): resampling from rate·factor to rate, so the length
// becomes ≈ len / factor and pitch moves with tempo (like torchaudio.functional.speed).
import { defineOp } from '@modaflow/core';
import { resampleChannel, resampledLength } from '../dsp/resample.ts';
import { mapRows } from '../internal/map-rows.ts';
import { WAVEFORM, need, type Waveform } from '../internal/tensors.ts';

export interface SpeedPerturbParams {
  readonly column: string;
  readonly output?: string;
  /** Sample rate of the clips (the factor is applied as an integer rate ratio). */
  readonly sampleRate: number;
  /** Candidate factors, e.g. [0.9, 1.0, 1.1]. */
  readonly factors: readonly number[];
  readonly seed?: number;
}

const NAME = 'audio.speed-perturb';

const def = defineOp<SpeedPerturbParams>({
  name: NAME,
  module: import.meta.url,
  description: 'Speed perturbation by resampling (augmentation)',
  inputs: (p) => ({ [p.column]: WAVEFORM }),
  outputs: (p) => ({ [p.output ?? p.column]: WAVEFORM }),
  properties: { costPerRow: 1000 },
  validate(p) {
    need(Number.isInteger(p.sampleRate) && p.sampleRate > 0, NAME, `sampleRate must be a positive integer, got ${p.sampleRate}`, 'sampleRate: 16000');
    need(Array.isArray(p.factors) && p.factors.length > 0 && p.factors.every((f) => Number.isFinite(f) && f > 0), NAME, 'factors must be a non-empty list of positive numbers', 'factors: [0.9, 1.0, 1.1]');
  },
  kernel(input, p, ctx) {
    const col = mapRows(input, ctx, { column: p.column, inNdim: 2, outNdim: 2, code: 'MF_ROW_ERROR' }, (r, i) => {
      const f = p.factors[ctx.random(i).int(0, p.factors.length - 1)]!;
      const from = Math.round(p.sampleRate * f);
      const [C, N] = r.shape as [number, number];
      const M = resampledLength(N, from, p.sampleRate);
      const out = new Float32Array(C * M);
      for (let c = 0; c < C; c++) resampleChannel(r.data.subarray(c * N, (c + 1) * N), from, p.sampleRate, out, c * M);
      return { data: out, shape: [C, M] };
    });
    return { columns: { [p.output ?? p.column]: col } };
  },
});

/** Speed perturbation. @example ds.map(speedPerturb({ column: 'audio', sampleRate: 16000, factors: [0.9, 1, 1.1] })) */
export function speedPerturb<C extends string, O extends string = C>(p: SpeedPerturbParams & { column: C; output?: O }) {
  return def.call<{ [K in C]: Waveform }, { [K in O]: Waveform }>(p);
}
