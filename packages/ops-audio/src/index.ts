// @modaflow/ops-audio public API.
export { decodeAudio, type DecodeAudioParams } from './ops/decode-audio.ts';
export { resample, type ResampleParams } from './ops/resample.ts';
export { spectrogram, type SpectrogramParams } from './ops/spectrogram.ts';
export { melSpectrogram, logMel, type MelSpectrogramParams } from './ops/mel-spectrogram.ts';
export { mfcc, type MfccParams } from './ops/mfcc.ts';
export { descriptors, DESCRIPTORS, type Descriptor, type DescriptorsParams } from './ops/descriptors.ts';
export { gain, type GainParams } from './ops/gain.ts';
export { addNoise, type AddNoiseParams } from './ops/add-noise.ts';
export { timeShift, type TimeShiftParams } from './ops/time-shift.ts';
export { speedPerturb, type SpeedPerturbParams } from './ops/speed-perturb.ts';
export { specAugment, type SpecAugmentParams } from './ops/spec-augment.ts';
export type { Waveform, Spectrogram } from './internal/tensors.ts';
export type { StftParams, MelParams } from './internal/params.ts';
// Kernels, for use outside a pipeline (and by the benchmarks' baselines).
export * as dsp from './dsp/index.ts';
export * from './encode/index.ts';
