// audio.spectrogram: waveform [channels, samples] → power (or magnitude) spectrogram
// [channels, n_fft/2+1, frames], as torchaudio.transforms.Spectrogram.
import { defineOp } from '@modaflow/core';
import { spectrogram as spec } from '../dsp/features.ts';
import { stftOptions, tooShort, validateStft, type StftParams } from '../internal/params.ts';
import { mapRows } from '../internal/map-rows.ts';
import { SPECTROGRAM, WAVEFORM, type Spectrogram, type Waveform } from '../internal/tensors.ts';

export interface SpectrogramParams extends StftParams {
  readonly column: string;
  readonly output: string;
}

const NAME = 'audio.spectrogram';

const def = defineOp<SpectrogramParams>({
  name: NAME,
  module: import.meta.url,
  description: 'Short-time power/magnitude spectrum (torch.stft conventions)',
  inputs: (p) => ({ [p.column]: WAVEFORM }),
  outputs: (p) => ({ [p.output]: SPECTROGRAM }),
  properties: { costPerRow: 500 },
  validate: (p) => validateStft(NAME, p),
  kernel(input, p, ctx) {
    const o = stftOptions(p);
    const col = mapRows(input, ctx, { column: p.column, inNdim: 2, outNdim: 3, code: 'MF_AUDIO_TOO_SHORT' }, (r) =>
      tooShort(r.shape[1]!, o) ?? spec(r.data, r.shape[0]!, o));
    return { columns: { [p.output]: col } };
  },
});

/**
 * Spectrogram of a waveform column. Defaults follow torchaudio: nFft 400, hop winLength/2, hann,
 * center with reflect padding, power 2.
 *
 * @example
 * ds.map(spectrogram({ column: 'audio', output: 'spec', nFft: 512, hopLength: 160 }))
 */
export function spectrogram<C extends string, O extends string>(p: SpectrogramParams & { column: C; output: O }) {
  return def.call<{ [K in C]: Waveform }, { [K in O]: Spectrogram }>(p);
}
