// Encode ops (ONNX) of this package, on the shared core runner (@modaflow/core onnx).
export { embedAudio, embedAudioDef, type EmbedAudioParams, type AudioInputDType } from './embed-audio.ts';
