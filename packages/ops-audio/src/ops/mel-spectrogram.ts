// audio.mel-spectrogram: waveform → mel spectrogram [channels, n_mels, frames], as
// torchaudio.transforms.MelSpectrogram; with `db` it is followed by AmplitudeToDB (log-mel).
import { defineOp, dt, type Int32 } from '@modaflow/core';
import { melSpectrogram as mel, type DbOptions } from '../dsp/features.ts';
import { melOptions, stftOptions, tooShort, validateMel, validateStft, type MelParams, type StftParams } from '../internal/params.ts';
import { mapRows } from '../internal/map-rows.ts';
import { SPECTROGRAM, WAVEFORM, need, type Spectrogram, type Waveform } from '../internal/tensors.ts';

export interface MelSpectrogramParams extends StftParams, MelParams {
  readonly column: string;
  readonly output: string;
  /** Convert to dB like torchaudio.transforms.AmplitudeToDB (amin 1e-10, ref 1, optional topDb). */
  readonly db?: DbOptions | null;
  /** An int32 column with each clip's sample rate: clips not at `sampleRate` become row errors. */
  readonly sampleRateColumn?: string;
}

const NAME = 'audio.mel-spectrogram';

const def = defineOp<MelSpectrogramParams>({
  name: NAME,
  module: import.meta.url,
  description: 'Mel spectrogram (torchaudio MelSpectrogram), optionally in dB',
  inputs: (p) => ({ [p.column]: WAVEFORM, ...(p.sampleRateColumn ? { [p.sampleRateColumn]: dt.int32() } : {}) }),
  outputs: (p) => ({ [p.output]: SPECTROGRAM }),
  properties: { costPerRow: 600 },
  validate(p) {
    validateStft(NAME, p);
    validateMel(NAME, p);
    need(p.db == null || p.db.topDb == null || (Number.isFinite(p.db.topDb) && p.db.topDb >= 0), NAME, `db.topDb must be a non-negative number, got ${p.db?.topDb}`, 'db: { topDb: 80 }');
  },
  kernel(input, p, ctx) {
    const stft = stftOptions(p);
    const m = melOptions(p);
    const col = mapRows(input, ctx, { column: p.column, inNdim: 2, outNdim: 3, code: 'MF_AUDIO_TOO_SHORT', sampleRateColumn: p.sampleRateColumn, expectRate: m.sampleRate }, (r) =>
      tooShort(r.shape[1]!, stft) ?? mel(r.data, r.shape[0]!, { stft, mel: m, db: p.db ?? null }));
    return { columns: { [p.output]: col } };
  },
});

type MelIn<C extends string, R extends string> = { [K in C]: Waveform } & { [K in R]: Int32 };

/**
 * Mel spectrogram of a waveform column (torchaudio defaults: 16 kHz, nFft 400, 128 HTK mels, no
 * norm, power 2).
 *
 * @example
 * ds.map(melSpectrogram({ column: 'audio', output: 'mel', nFft: 512, hopLength: 160, nMels: 80 }))
 */
export function melSpectrogram<C extends string, O extends string, R extends string = never>(p: MelSpectrogramParams & { column: C; output: O; sampleRateColumn?: R }) {
  return def.call<MelIn<C, R>, { [K in O]: Spectrogram }>(p);
}

/**
 * Log-mel spectrogram: melSpectrogram followed by dB conversion (10·log10 of power, amin 1e-10,
 * topDb 80 unless given; pass topDb: null for none).
 *
 * @example
 * ds.map(logMel({ column: 'audio', output: 'logmel', nFft: 512, hopLength: 160, nMels: 80 }))
 */
export function logMel<C extends string, O extends string, R extends string = never>(p: Omit<MelSpectrogramParams, 'db'> & { column: C; output: O; sampleRateColumn?: R; topDb?: number | null }) {
  const { topDb, ...rest } = p;
  return def.call<MelIn<C, R>, { [K in O]: Spectrogram }>({ ...rest, db: { topDb: topDb === undefined ? 80 : topDb } });
}
