// audio.time-shift: shift each clip by a random number of samples in
// [-maxFraction·len, +maxFraction·len]; 'roll' wraps around, 'zero' fills the gap with silence.
import { defineOp } from '@modaflow/core';
import { mapRows } from '../internal/map-rows.ts';
import { WAVEFORM, need, type Waveform } from '../internal/tensors.ts';

export interface TimeShiftParams {
  readonly column: string;
  readonly output?: string;
  /** Largest shift as a fraction of the clip length, in [0, 1]. */
  readonly maxFraction: number;
  /** Default 'roll'. */
  readonly mode?: 'roll' | 'zero';
  readonly seed?: number;
}

const NAME = 'audio.time-shift';

/** Shift planar [C, N] samples by s (positive: later in time). */
export function shiftSamples(x: Float32Array, C: number, N: number, s: number, mode: 'roll' | 'zero'): Float32Array {
  const out = new Float32Array(C * N);
  for (let c = 0; c < C; c++) {
    const b = c * N;
    for (let k = 0; k < N; k++) {
      let j = k - s;
      if (mode === 'roll') j = ((j % N) + N) % N;
      else if (j < 0 || j >= N) continue;
      out[b + k] = x[b + j]!;
    }
  }
  return out;
}

const def = defineOp<TimeShiftParams>({
  name: NAME,
  module: import.meta.url,
  description: 'Random time shift (augmentation)',
  inputs: (p) => ({ [p.column]: WAVEFORM }),
  outputs: (p) => ({ [p.output ?? p.column]: WAVEFORM }),
  properties: { costPerRow: 20 },
  validate(p) {
    need(Number.isFinite(p.maxFraction) && p.maxFraction >= 0 && p.maxFraction <= 1, NAME, `maxFraction must be in [0, 1], got ${p.maxFraction}`, 'maxFraction: 0.1');
    need(p.mode === undefined || p.mode === 'roll' || p.mode === 'zero', NAME, `mode must be 'roll' or 'zero', got ${p.mode}`, "mode: 'roll'");
  },
  kernel(input, p, ctx) {
    const col = mapRows(input, ctx, { column: p.column, inNdim: 2, outNdim: 2, code: 'MF_ROW_ERROR' }, (r, i) => {
      const [C, N] = r.shape as [number, number];
      const max = Math.floor(p.maxFraction * N);
      const s = ctx.random(i).int(-max, max);
      return { data: shiftSamples(r.data, C, N, s, p.mode ?? 'roll'), shape: r.shape };
    });
    return { columns: { [p.output ?? p.column]: col } };
  },
});

/** Random time shift. @example ds.map(timeShift({ column: 'audio', maxFraction: 0.1 })) */
export function timeShift<C extends string, O extends string = C>(p: TimeShiftParams & { column: C; output?: O }) {
  return def.call<{ [K in C]: Waveform }, { [K in O]: Waveform }>(p);
}
