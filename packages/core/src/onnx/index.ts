// The shared ONNX runner: model signatures, per-thread session cache, batched execution, the
// generic onnx.infer op, and the in-code graph builder with synthetic test/benchmark models.
export { infer, inferDef, inputColumnDType } from './infer.ts';
export type { InferParams } from './infer.ts';
export {
  readModelSignature, findTensor, checkFeed, cellForm, convertible, outputDType, signatureToString, elemTypeName,
} from './model-signature.ts';
export type { ModelSignature, TensorSignature, CellForm } from './model-signature.ts';
export { acquireSession, releaseSession, sessionStats, runStats, setOnnxWorkerCount, defaultIntraOpThreads, loadOrt } from './session-cache.ts';
export type { OnnxSessionOptions, SessionHandle } from './session-cache.ts';
export { runBatched, columnCells, outputValues } from './runner.ts';
export type { ColumnFeed, DerivedFeed, RunSpec, RowOutputs } from './runner.ts';
export { OnnxGraphBuilder, float, floats, seededUniform, seededWeights } from './graph-builder.ts';
export type { OnnxElemName, AttrValue } from './graph-builder.ts';
export { encodeModel, decodeModel, decodeSignature, OnnxDataType, OnnxAttributeType } from './onnx-proto.ts';
export { tinyImageEncoder, tinyTextEncoder, tinyAudioEncoder, resnet18Like, miniLmLike } from './synthetic-models.ts';
export type { SyntheticModel } from './synthetic-models.ts';
export { pickTensor, fixedSize, flattenRow, l2Normalize, maskedMean, assertAllFed, validateEncodeParams } from './pooling.ts';
