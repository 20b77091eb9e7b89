// audio.mfcc: waveform → MFCC [channels, n_mfcc, frames], as torchaudio.transforms.MFCC (mel
// power spectrogram → dB with top_db 80 → DCT-II), with an optional sinusoidal lifter.
import { defineOp, dt, type Int32 } from '@modaflow/core';
import { mfcc as mfccOf } from '../dsp/features.ts';
import { melOptions, stftOptions, tooShort, validateMel, validateStft, type MelParams, type StftParams } from '../internal/params.ts';
import { mapRows } from '../internal/map-rows.ts';
import { SPECTROGRAM, WAVEFORM, need, type Spectrogram, type Waveform } from '../internal/tensors.ts';

export interface MfccParams extends StftParams, MelParams {
  readonly column: string;
  readonly output: string;
  /** Coefficients kept (default 40, torchaudio's). */
  readonly nMfcc?: number;
  /** DCT normalization (default 'ortho'). */
  readonly dctNorm?: 'ortho' | null;
  /** log(mel + 1e-6) instead of dB (default false). */
  readonly logMels?: boolean;
  /** top_db of the dB step (default 80; null for none). */
  readonly topDb?: number | null;
  /** Sinusoidal lifter 1 + (L/2)·sin(πk/L) (default 0: none; Kaldi uses 22). */
  readonly lifter?: number;
  readonly sampleRateColumn?: string;
}

const NAME = 'audio.mfcc';

const def = defineOp<MfccParams>({
  name: NAME,
  module: import.meta.url,
  description: 'MFCC (torchaudio MFCC: mel → dB → DCT-II ortho), optional lifter',
  inputs: (p) => ({ [p.column]: WAVEFORM, ...(p.sampleRateColumn ? { [p.sampleRateColumn]: dt.int32() } : {}) }),
  outputs: (p) => ({ [p.output]: SPECTROGRAM }),
  properties: { costPerRow: 700 },
  validate(p) {
    validateStft(NAME, p);
    validateMel(NAME, p);
    const nMels = melOptions(p).nMels;
    const k = p.nMfcc ?? 40;
    need(Number.isInteger(k) && k >= 1 && k <= nMels, NAME, `nMfcc must be an integer in [1, nMels=${nMels}], got ${p.nMfcc}`, 'nMfcc: 13');
    need(p.lifter === undefined || (Number.isFinite(p.lifter) && p.lifter >= 0), NAME, `lifter must be ≥ 0, got ${p.lifter}`, 'lifter: 22, or omit it');
    need(p.dctNorm === undefined || p.dctNorm === null || p.dctNorm === 'ortho', NAME, `dctNorm must be 'ortho' or null, got ${p.dctNorm}`, "dctNorm: 'ortho'");
  },
  kernel(input, p, ctx) {
    const stft = stftOptions(p);
    const m = melOptions(p);
    const opts = {
      stft, mel: m, db: { topDb: p.topDb === undefined ? 80 : p.topDb },
      nMfcc: p.nMfcc ?? 40, dctNorm: p.dctNorm === undefined ? 'ortho' as const : p.dctNorm, logMels: p.logMels ?? false, lifter: p.lifter ?? 0,
    };
    const col = mapRows(input, ctx, { column: p.column, inNdim: 2, outNdim: 3, code: 'MF_AUDIO_TOO_SHORT', sampleRateColumn: p.sampleRateColumn, expectRate: m.sampleRate }, (r) =>
      tooShort(r.shape[1]!, stft) ?? mfccOf(r.data, r.shape[0]!, opts));
    return { columns: { [p.output]: col } };
  },
});

/**
 * MFCC of a waveform column (torchaudio defaults: 40 coefficients over 128 mels at 16 kHz).
 *
 * @example
 * ds.map(mfcc({ column: 'audio', output: 'mfcc', nMfcc: 13, nFft: 512, hopLength: 160, nMels: 80 }))
 */
export function mfcc<C extends string, O extends string, R extends string = never>(p: MfccParams & { column: C; output: O; sampleRateColumn?: R }) {
  return def.call<{ [K in C]: Waveform } & { [K in R]: Int32 }, { [K in O]: Spectrogram }>(p);
}
