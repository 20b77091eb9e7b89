// Encode ops (ONNX) of this package; see the core onnx runner. Filled by the encode work.
export {};
