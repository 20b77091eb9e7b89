// audio.spec-augment: SpecAugment frequency and time masks on a [channels, bins, frames]
// spectrogram, drawn as torchaudio's mask_along_axis does (width = u·param, start =
// u·(size - width), masking [start, start+width)); the same masks apply to every channel.
import { defineOp } from '@modaflow/core';
import { mapRows } from '../internal/map-rows.ts';
import { SPECTROGRAM, need, type Spectrogram } from '../internal/tensors.ts';

export interface SpecAugmentParams {
  readonly column: string;
  readonly output?: string;
  /** Largest frequency-mask width in bins (F). */
  readonly freqMaskParam?: number;
  /** Number of frequency masks (default 1 when freqMaskParam is set). */
  readonly numFreqMasks?: number;
  /** Largest time-mask width in frames (T). */
  readonly timeMaskParam?: number;
  readonly numTimeMasks?: number;
  /** Value written into masked cells: a number (default 0) or 'mean' (the clip's mean). */
  readonly maskValue?: number | 'mean';
  readonly seed?: number;
}

const NAME = 'audio.spec-augment';

const def = defineOp<SpecAugmentParams>({
  name: NAME,
  module: import.meta.url,
  description: 'SpecAugment frequency/time masking (augmentation)',
  inputs: (p) => ({ [p.column]: SPECTROGRAM }),
  outputs: (p) => ({ [p.output ?? p.column]: SPECTROGRAM }),
  properties: { costPerRow: 50 },
  validate(p) {
    const nn = (v: unknown) => v === undefined || (Number.isInteger(v) && (v as number) >= 0);
    need(nn(p.freqMaskParam) && nn(p.timeMaskParam) && nn(p.numFreqMasks) && nn(p.numTimeMasks), NAME, 'mask params and counts must be non-negative integers', 'specAugment({ column, freqMaskParam: 27, timeMaskParam: 100, numTimeMasks: 2 })');
    need(p.maskValue === undefined || p.maskValue === 'mean' || Number.isFinite(p.maskValue), NAME, `maskValue must be a number or 'mean', got ${p.maskValue}`, 'maskValue: 0');
  },
  kernel(input, p, ctx) {
    const col = mapRows(input, ctx, { column: p.column, inNdim: 3, outNdim: 3, code: 'MF_ROW_ERROR' }, (r, i) => {
      const [C, F, T] = r.shape as [number, number, number];
      const out = Float32Array.from(r.data);
      let value = typeof p.maskValue === 'number' ? p.maskValue : 0;
      if (p.maskValue === 'mean' && out.length) { let s = 0; for (const v of out) s += v; value = s / out.length; }
      const rng = ctx.random(i);
      const draw = (param: number, size: number): [number, number] => {
        const w = Math.floor(rng.float() * param);
        const start = Math.floor(rng.float() * (size - w));
        return [start, Math.min(size, start + w)];
      };
      const nF = p.numFreqMasks ?? (p.freqMaskParam ? 1 : 0);
      const nT = p.numTimeMasks ?? (p.timeMaskParam ? 1 : 0);
      for (let m = 0; m < nF; m++) {
        const [a, b] = draw(p.freqMaskParam ?? 0, F);
        for (let c = 0; c < C; c++) for (let f = a; f < b; f++) out.fill(value, (c * F + f) * T, (c * F + f + 1) * T);
      }
      for (let m = 0; m < nT; m++) {
        const [a, b] = draw(p.timeMaskParam ?? 0, T);
        for (let c = 0; c < C; c++) for (let f = 0; f < F; f++) out.fill(value, (c * F + f) * T + a, (c * F + f) * T + b);
      }
      return { data: out, shape: r.shape };
    });
    return { columns: { [p.output ?? p.column]: col } };
  },
});

/**
 * SpecAugment masks on a spectrogram column.
 *
 * @example
 * ds.map(specAugment({ column: 'logmel', freqMaskParam: 27, timeMaskParam: 40, numTimeMasks: 2 }))
 */
export function specAugment<C extends string, O extends string = C>(p: SpecAugmentParams & { column: C; output?: O }) {
  return def.call<{ [K in C]: Spectrogram }, { [K in O]: Spectrogram }>(p);
}
