// The numeric kernels behind the ops, usable on plain typed arrays.
export { ComplexFft, RealFft } from './fft.ts';
export { makeWindow, type WindowName } from './window.ts';
export { Stft, frameCount, padSignal, framingProblem, type StftOptions, type PadMode } from './stft.ts';
export { melFilterbank, sparseMel, applyMel, hzToMel, melToHz, type MelOptions, type MelScale, type SparseMel } from './mel.ts';
export { toDb, dctMatrix, lifterWeights } from './db.ts';
export { resampleKernel, resampleChannel, resampledLength } from './resample.ts';
export { spectrogram, melSpectrogram, mfcc, type MelFeatureOptions, type MfccOptions, type DbOptions, type SpectralKernel } from './features.ts';
export { simdAvailable, simdUnavailableReason } from './simd.ts';
export { decodeWav, encodeWav, readWavInfo, isWav, AudioDecodeError, type DecodedAudio, type WavEncoding, type WavInfo } from './wav.ts';
export { findFfmpeg, ffmpegToWav } from './ffmpeg.ts';
