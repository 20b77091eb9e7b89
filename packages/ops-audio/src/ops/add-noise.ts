// audio.add-noise: add white Gaussian noise at a signal-to-noise ratio drawn uniformly in
// [minSnrDb, maxSnrDb], with the noise power set from the clip's own mean power (all channels).
// A silent clip has no power to be relative to: it is returned unchanged (documented, tested).
import { defineOp } from '@modaflow/core';
import { mapRows } from '../internal/map-rows.ts';
import { WAVEFORM, need, type Waveform } from '../internal/tensors.ts';

export interface AddNoiseParams {
  readonly column: string;
  readonly output?: string;
  readonly minSnrDb: number;
  readonly maxSnrDb: number;
  readonly seed?: number;
}

const NAME = 'audio.add-noise';

const def = defineOp<AddNoiseParams>({
  name: NAME,
  module: import.meta.url,
  description: 'Additive white noise at a target SNR (augmentation)',
  inputs: (p) => ({ [p.column]: WAVEFORM }),
  outputs: (p) => ({ [p.output ?? p.column]: WAVEFORM }),
  properties: { costPerRow: 200 },
  validate: (p) => need(Number.isFinite(p.minSnrDb) && Number.isFinite(p.maxSnrDb) && p.minSnrDb <= p.maxSnrDb, NAME, `need finite minSnrDb ≤ maxSnrDb, got ${p.minSnrDb}, ${p.maxSnrDb}`, 'addNoise({ column, minSnrDb: 10, maxSnrDb: 30 })'),
  kernel(input, p, ctx) {
    const col = mapRows(input, ctx, { column: p.column, inNdim: 2, outNdim: 2, code: 'MF_ROW_ERROR' }, (r, i) => {
      const rng = ctx.random(i);
      const snr = rng.uniform(p.minSnrDb, p.maxSnrDb);
      const x = r.data;
      let power = 0;
      for (let k = 0; k < x.length; k++) power += x[k]! * x[k]!;
      power = x.length ? power / x.length : 0;
      const out = Float32Array.from(x);
      if (power === 0) return { data: out, shape: r.shape };
      const sigma = Math.sqrt(power / 10 ** (snr / 10));
      for (let k = 0; k < out.length; k++) out[k] = x[k]! + sigma * rng.normal();
      return { data: out, shape: r.shape };
    });
    return { columns: { [p.output ?? p.column]: col } };
  },
});

/** Additive noise at a random SNR. @example ds.map(addNoise({ column: 'audio', minSnrDb: 10, maxSnrDb: 30 })) */
export function addNoise<C extends string, O extends string = C>(p: AddNoiseParams & { column: C; output?: O }) {
  return def.call<{ [K in C]: Waveform }, { [K in O]: Waveform }>(p);
}
