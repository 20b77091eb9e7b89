// audio.resample: band-limited resampling of a waveform column to a target rate, matching
// torchaudio.functional.resample (Hann-windowed sinc, lowpass_filter_width 6, rolloff 0.99).
import { defineOp, dt, type Int32 } from '@modaflow/core';
import { resampleChannel, resampledLength } from '../dsp/resample.ts';
import { readNumbers, readRows, TensorColumn, WAVEFORM, need, type Waveform } from '../internal/tensors.ts';

export interface ResampleParams {
  readonly column: string;
  /** Output column (default: replace `column`). */
  readonly output?: string;
  /** Target rate in Hz. */
  readonly to: number;
  /** An int32 column with each clip's rate; it is rewritten to `to`. Give this or `from`. */
  readonly sampleRateColumn?: string;
  /** The rate of every clip, when there is no rate column. */
  readonly from?: number;
  /** Zero crossings of the sinc on each side (default 6). */
  readonly lowpassFilterWidth?: number;
  /** Cutoff as a fraction of the lower Nyquist rate (default 0.99). */
  readonly rolloff?: number;
}

const NAME = 'audio.resample';
const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;

const def = defineOp<ResampleParams>({
  name: NAME,
  module: import.meta.url,
  description: 'Band-limited windowed-sinc resampling (torchaudio.functional.resample)',
  inputs: (p) => ({ [p.column]: WAVEFORM, ...(p.sampleRateColumn ? { [p.sampleRateColumn]: dt.int32() } : {}) }),
  outputs: (p) => ({ [p.output ?? p.column]: WAVEFORM, ...(p.sampleRateColumn ? { [p.sampleRateColumn]: dt.int32() } : {}) }),
  properties: { costPerRow: 1000 },
  validate(p) {
    need(posInt(p.to), NAME, `to must be a positive integer rate in Hz, got ${p.to}`, 'to: 16000');
    need((p.sampleRateColumn === undefined) !== (p.from === undefined), NAME, 'give exactly one of sampleRateColumn and from', "resample({ column: 'audio', sampleRateColumn: 'audio_sample_rate', to: 16000 })");
    need(p.from === undefined || posInt(p.from), NAME, `from must be a positive integer rate in Hz, got ${p.from}`, 'from: 22050');
    need(p.lowpassFilterWidth === undefined || posInt(p.lowpassFilterWidth), NAME, `lowpassFilterWidth must be a positive integer, got ${p.lowpassFilterWidth}`, 'omit it for 6');
    need(p.rolloff === undefined || (p.rolloff > 0 && p.rolloff <= 1), NAME, `rolloff must be in (0, 1], got ${p.rolloff}`, 'omit it for 0.99');
  },
  kernel(input, p, ctx) {
    const rows = readRows(input, p.column, 2);
    const rates = p.sampleRateColumn ? readNumbers(input, p.sampleRateColumn) : null;
    const out = new TensorColumn(2, input.numRows);
    const newRates = new Int32Array(input.numRows);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      const from = rates ? rates[i] : p.from!;
      newRates[i] = rates ? (rates[i] ?? 0) : 0;
      if (!r) continue;
      if (!posInt(from)) {
        ctx.rowError(i, `sample rate ${from} is not a positive integer — fix: check the decode step, or give from explicitly`, { column: p.sampleRateColumn ?? p.column, code: 'MF_AUDIO_RATE' });
        continue;
      }
      const [C, N] = r.shape as [number, number];
      const M = resampledLength(N, from!, p.to);
      const data = new Float32Array(C * M);
      for (let c = 0; c < C; c++) resampleChannel(r.data.subarray(c * N, (c + 1) * N), from!, p.to, data, c * M, p.lowpassFilterWidth ?? 6, p.rolloff ?? 0.99);
      out.set(i, data, [C, M]);
      newRates[i] = p.to;
    }
    return { columns: { [p.output ?? p.column]: out.build(), ...(p.sampleRateColumn ? { [p.sampleRateColumn]: newRates } : {}) } };
  },
});

/**
 * Resample a waveform column to `to` Hz. With `sampleRateColumn`, each clip's own rate is used
 * and the column is updated.
 *
 * @example
 * ds.map(resample({ column: 'audio', sampleRateColumn: 'audio_sample_rate', to: 16000 }))
 */
export function resample<C extends string, R extends string = never, O extends string = C>(p: ResampleParams & { column: C; output?: O; sampleRateColumn?: R }) {
  return def.call<{ [K in C]: Waveform } & { [K in R]: Int32 }, { [K in O]: Waveform } & { [K in R]: Int32 }>(p);
}
