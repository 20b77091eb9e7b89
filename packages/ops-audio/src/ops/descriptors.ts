// audio.descriptors: frame-level descriptors computed by meyda (the project's descriptor
// library): RMS, zero-crossing count, spectral centroid (converted to Hz), spectral rolloff (Hz,
// 99% of the amplitude sum) and spectral flatness, over frames of `frameSize` samples (a power of
// two: meyda's FFT needs one) every `hopLength` samples, without padding. Output
// [channels, features, frames] in the order of `features`; a clip shorter than a frame has zero
// frames. meyda applies a Hann window to the frame before every descriptor, RMS included (the
// RMS of a sine of amplitude A is A/√2·√(3/8)).
import { createRequire } from 'node:module';
import { defineOp } from '@modaflow/core';
import { mapRows } from '../internal/map-rows.ts';
import { SPECTROGRAM, WAVEFORM, need, type Spectrogram, type Waveform } from '../internal/tensors.ts';

export type Descriptor = 'rms' | 'zcr' | 'spectralCentroid' | 'spectralRolloff' | 'spectralFlatness';
export const DESCRIPTORS: readonly Descriptor[] = ['rms', 'zcr', 'spectralCentroid', 'spectralRolloff', 'spectralFlatness'];

export interface DescriptorsParams {
  readonly column: string;
  readonly output: string;
  /** Frame length, a power of two (default 512). */
  readonly frameSize?: number;
  /** Default frameSize / 2. */
  readonly hopLength?: number;
  /** Used for the Hz units of centroid and rolloff (default 16000). */
  readonly sampleRate?: number;
  /** Which descriptors, in output order (default all five). */
  readonly features?: readonly Descriptor[];
}

interface MeydaLike {
  bufferSize: number;
  sampleRate: number;
  windowingFunction: string;
  extract(f: string[], s: Float32Array): Record<string, number> | null;
}

const NAME = 'audio.descriptors';

const def = defineOp<DescriptorsParams, MeydaLike>({
  name: NAME,
  module: import.meta.url,
  description: 'Frame-level RMS, ZCR, spectral centroid/rolloff/flatness (meyda)',
  inputs: (p) => ({ [p.column]: WAVEFORM }),
  outputs: (p) => ({ [p.output]: SPECTROGRAM }),
  properties: { costPerRow: 5000 },
  validate(p) {
    const n = p.frameSize ?? 512;
    need(Number.isInteger(n) && n >= 2 && (n & (n - 1)) === 0, NAME, `frameSize must be a power of two (meyda's FFT needs one), got ${p.frameSize}`, 'frameSize: 512');
    need(p.hopLength === undefined || (Number.isInteger(p.hopLength) && p.hopLength > 0), NAME, `hopLength must be a positive integer, got ${p.hopLength}`, 'hopLength: 256');
    need(p.sampleRate === undefined || (Number.isInteger(p.sampleRate) && p.sampleRate > 0), NAME, `sampleRate must be a positive integer, got ${p.sampleRate}`, 'sampleRate: 16000');
    need(p.features === undefined || (p.features.length > 0 && p.features.every((f) => DESCRIPTORS.includes(f))), NAME, `features must be a non-empty subset of ${DESCRIPTORS.join(', ')}`, "features: ['rms', 'spectralCentroid']");
  },
  init() {
    // meyda ships CommonJS; require() gives the same singleton in every ESM/CJS interop setting.
    const m = createRequire(import.meta.url)('meyda') as MeydaLike & { default?: MeydaLike };
    return m.default ?? m;
  },
  kernel(input, p, ctx) {
    const meyda = ctx.state;
    const n = p.frameSize ?? 512;
    const hop = p.hopLength ?? n / 2;
    const sr = p.sampleRate ?? 16000;
    const feats = [...(p.features ?? DESCRIPTORS)];
    meyda.bufferSize = n;
    meyda.sampleRate = sr;
    meyda.windowingFunction = 'hanning';
    const col = mapRows(input, ctx, { column: p.column, inNdim: 2, outNdim: 3, code: 'MF_ROW_ERROR' }, (r) => {
      const [C, N] = r.shape as [number, number];
      const T = N >= n ? 1 + Math.floor((N - n) / hop) : 0;
      const F = feats.length;
      const out = new Float32Array(C * F * T);
      for (let c = 0; c < C; c++) {
        for (let t = 0; t < T; t++) {
          // slice(): meyda windows its input in place in some versions; keep the clip intact.
          const frame = r.data.slice(c * N + t * hop, c * N + t * hop + n);
          const v = meyda.extract(feats, frame) ?? {};
          for (let f = 0; f < F; f++) {
            let x = Number(v[feats[f]!] ?? NaN);
            if (feats[f] === 'spectralCentroid') x = (x * sr) / n;
            out[(c * F + f) * T + t] = x;
          }
        }
      }
      return { data: out, shape: [C, F, T] };
    });
    return { columns: { [p.output]: col } };
  },
});

/**
 * Frame-level descriptors with meyda, as a [channels, features, frames] tensor.
 *
 * @example
 * ds.map(descriptors({ column: 'audio', output: 'desc', frameSize: 512, sampleRate: 16000 }))
 */
export function descriptors<C extends string, O extends string>(p: DescriptorsParams & { column: C; output: O }) {
  return def.call<{ [K in C]: Waveform }, { [K in O]: Spectrogram }>(p);
}
