// @modaflow/core: dtypes and schemas, the lazy Dataset builder, expressions, ops, executor, I/O.
export * from './types/dtype.ts';
export * from './types/schema.ts';
export { toArrowField, toArrowSchema, toArrowType, fromArrowField, fromArrowSchema, FIXED_SHAPE_TENSOR, VARIABLE_SHAPE_TENSOR } from './types/arrow-types.ts';
export * from './errors.ts';
export { Expr, col, lit, and, or, exprToString, exprColumns, splitConjunction, joinConjunction, inferDType } from './graph/expr.ts';
export type { ExprNode, CmpOp, ArithOp, Literal, AnyDType } from './graph/expr.ts';
export { Dataset, fromSource } from './graph/dataset.ts';
export type { ComputeOptions, ComputeResult, Cols, CheckInputs, BatchStream, OpInputs, OpOutputs, OpDrops } from './graph/dataset.ts';
export { fromRows, fromArrow, readCsv, readArrow, readParquet, readManifest } from './io/sources.ts';
export type { InferSchema, RowsOf } from './io/sources.ts';
export type { CsvOptions } from './io/csv.ts';
export { MANIFEST_SCHEMA, checkManifestPath } from './io/manifest.ts';
export type { ManifestSchema, ManifestOptions } from './io/manifest.ts';
export { defineOp, defineTableOp, assertPlainData, DEFAULT_PROPERTIES } from './ops/define-op.ts';
export type {
  OpSpec, OpDef, OpCall, OpProperties, KernelInput, KernelContext, KernelResult, ColumnInput, GlobalStats,
  RowErrorOptions, TableOpSpec, TableOpDef, TableOpCall, TableOpResult,
} from './ops/define-op.ts';
export { resolveOp, getOp, listOps, resolveTableOp, getTableOp } from './ops/registry.ts';
export { rowRng, hashString } from './ops/random.ts';
export type { Rng } from './ops/random.ts';
export * as plan from './plan/logical-plan.ts';
export type { PlanNode, Source, SourceBatch, SourceReadOptions, RowFailure } from './plan/logical-plan.ts';
export { displayPlan } from './plan/display.ts';
export type { RunReport, ErrorPolicy, NodeStats } from './exec/report.ts';
export { formatReport } from './exec/report.ts';
export { buildData, getValue, columnValues, varTensorData, nullData, isValid } from './exec/column.ts';
export type { Chunk, RowIds, RowIdRuns, MaskScan } from './exec/chunk.ts';
export { makeChunk, sliceChunk, takeChunk, concatChunks, chunkToRecordBatch, recordBatchToChunk, rowIdRange, rowIdsOf, rowIdAt, writeRowIds, withColumns, allocUnzeroed } from './exec/chunk.ts';
export { applyOp, kernelInput } from './exec/apply-op.ts';
export * as onnx from './onnx/index.ts';
export { BatchLoader, createBatchLoader } from './loader/batch-loader.ts';
export { writeBatchStream } from './loader/write-batch-stream.ts';
export type {
  BatchOptions, BatchOf, BatchOutput, ShuffleMode, BucketOptions, CollatedColumn, BatchInfo, TypedBatch, OrtBatch, ArrowBatch,
  CollateInput, CollateFn, LoaderState, LoaderConfig, LoaderReport, PaddingStats,
} from './loader/batch-options.ts';
export { shutdownPools } from './exec/pool/pool.ts';
export type { ParallelOptions } from './exec/pool/pool-executor.ts';
export type { ProgressEvent, ProgressObserver, StageInfo, OpProgress } from './exec/pool/progress.ts';
export { tableRows, tableColumn } from './io/table-values.ts';
