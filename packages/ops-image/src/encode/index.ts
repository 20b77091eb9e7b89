// Encode ops (ONNX) of this package, on the shared core runner (@modaflow/core onnx).
export { embedImage, embedImageDef, type EmbedImageParams } from './embed-image.ts';
