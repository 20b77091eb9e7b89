// Type tests (checked by tsc --noEmit): audio ops accept the right columns and reject the rest.
import { fromRows, dt, readManifest } from '@modaflow/core';
import { decodeAudio, resample, logMel, mfcc, melSpectrogram, spectrogram, specAugment, gain, descriptors, speedPerturb } from '../src/index.ts';

const ds = readManifest('data')
  .map(decodeAudio({ column: 'audio_path', output: 'audio', mono: true }))
  .map(resample({ column: 'audio', sampleRateColumn: 'audio_sample_rate', to: 16000 }))
  .map(gain({ column: 'audio', minDb: -3, maxDb: 3 }))
  .map(logMel({ column: 'audio', output: 'logmel', nFft: 512, hopLength: 160, nMels: 80, sampleRateColumn: 'audio_sample_rate' }))
  .map(specAugment({ column: 'logmel', freqMaskParam: 10 }))
  .map(mfcc({ column: 'audio', output: 'mfcc', nMfcc: 13 }))
  .map(descriptors({ column: 'audio', output: 'desc' }));
ds.select('id', 'audio', 'audio_sample_rate', 'audio_channels', 'logmel', 'mfcc', 'desc');

// @ts-expect-error the decoded column has no such name
ds.select('audio_rate');

// @ts-expect-error decodeAudio reads a utf8 path column, not an int
fromRows([{ n: 1 }], { n: dt.int32() }).map(decodeAudio({ column: 'n', output: 'a' }));

// bytes sources need a binary column
fromRows([{ b: new Uint8Array(0) }], { b: dt.binary() }).map(decodeAudio({ column: 'b', output: 'a', source: 'bytes' }));
// @ts-expect-error a path column is not bytes
readManifest('data').map(decodeAudio({ column: 'audio_path', output: 'a', source: 'bytes' }));

// @ts-expect-error logMel needs a waveform, not a path
readManifest('data').map(logMel({ column: 'audio_path', output: 'm' }));

const wav = fromRows([{ w: null }], { w: dt.varTensor(dt.float32(), 2) });
wav.map(spectrogram({ column: 'w', output: 's' })).map(specAugment({ column: 's', timeMaskParam: 5 }));
// @ts-expect-error SpecAugment masks a spectrogram (ndim 3), not a waveform (ndim 2)
wav.map(specAugment({ column: 'w', timeMaskParam: 5 }));
// @ts-expect-error a float64 waveform is not accepted (decode gives float32)
fromRows([{ w: null }], { w: dt.varTensor(dt.float64(), 2) }).map(melSpectrogram({ column: 'w', output: 'm' }));
// @ts-expect-error sampleRateColumn must exist
wav.map(mfcc({ column: 'w', output: 'm', sampleRateColumn: 'sr' }));
// @ts-expect-error resample needs a rate column that exists
wav.map(resample({ column: 'w', sampleRateColumn: 'rate', to: 16000 }));
wav.map(resample({ column: 'w', from: 22050, to: 16000 }));
// @ts-expect-error factors is required
wav.map(speedPerturb({ column: 'w', sampleRate: 16000 }));
