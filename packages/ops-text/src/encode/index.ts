// Encode ops (ONNX) of this package, on the shared core runner (@modaflow/core onnx).
export { embedText, embedTextDef, type EmbedTextParams, type TokenIdsDType } from './embed-text.ts';
