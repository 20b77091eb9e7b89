// audio.gain: multiply each clip by a random gain drawn uniformly in [minDb, maxDb] dB, keyed by
// (seed, op, row) so the result does not depend on batching or workers.
import { defineOp } from '@modaflow/core';
import { mapRows } from '../internal/map-rows.ts';
import { WAVEFORM, need, type Waveform } from '../internal/tensors.ts';

export interface GainParams {
  readonly column: string;
  readonly output?: string;
  readonly minDb: number;
  readonly maxDb: number;
  /** Mixed with the run seed. */
  readonly seed?: number;
}

const NAME = 'audio.gain';

const def = defineOp<GainParams>({
  name: NAME,
  module: import.meta.url,
  description: 'Random gain in dB (augmentation)',
  inputs: (p) => ({ [p.column]: WAVEFORM }),
  outputs: (p) => ({ [p.output ?? p.column]: WAVEFORM }),
  properties: { costPerRow: 20 },
  validate: (p) => need(Number.isFinite(p.minDb) && Number.isFinite(p.maxDb) && p.minDb <= p.maxDb, NAME, `need finite minDb ≤ maxDb, got ${p.minDb}, ${p.maxDb}`, 'gain({ column, minDb: -6, maxDb: 6 })'),
  kernel(input, p, ctx) {
    const col = mapRows(input, ctx, { column: p.column, inNdim: 2, outNdim: 2, code: 'MF_ROW_ERROR' }, (r, i) => {
      const g = 10 ** (ctx.random(i).uniform(p.minDb, p.maxDb) / 20);
      const out = new Float32Array(r.data.length);
      for (let k = 0; k < out.length; k++) out[k] = r.data[k]! * g;
      return { data: out, shape: r.shape };
    });
    return { columns: { [p.output ?? p.column]: col } };
  },
});

/** Random gain augmentation. @example ds.map(gain({ column: 'audio', minDb: -6, maxDb: 6 })) */
export function gain<C extends string, O extends string = C>(p: GainParams & { column: C; output?: O }) {
  return def.call<{ [K in C]: Waveform }, { [K in O]: Waveform }>(p);
}
