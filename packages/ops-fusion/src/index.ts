// @modaflow/ops-fusion public API: time alignment, data quality and z-score filtering, early and
// late fusion, missing modalities.
export { alignAsof, alignAsofOp, asofIndices } from './ops/align-asof.ts';
export type { AlignAsofParams, AsofDirection, AsofSchema } from './ops/align-asof.ts';
export { convertTime, parseDuration, NS_PER } from './util/time-units.ts';
export type { Rounding } from './util/time-units.ts';
export { zscoreFilter, zscoreFilterOp, MAD_SCALE } from './ops/zscore-filter.ts';
export type { ZscoreFilterParams, ZscoreStats } from './ops/zscore-filter.ts';
export type { Reduction } from './util/reduce.ts';
export { earlyFuse, earlyFuseOp, partWidths } from './ops/early-fuse.ts';
export type { EarlyFuseParams, FusePart, PartNormalization } from './ops/early-fuse.ts';
export { lateFuse, lateFuseOp, lateFuseOutput } from './ops/late-fuse.ts';
export type { LateFuseParams, LateFuseMethod } from './ops/late-fuse.ts';
export { maskMissing, maskMissingOp } from './ops/mask-missing.ts';
export type { MaskMissingParams } from './ops/mask-missing.ts';
export { impute, imputeOp } from './ops/impute.ts';
export type { ImputeParams, ImputeStrategy } from './ops/impute.ts';
export { modalityDropout, modalityDropoutOp } from './ops/modality-dropout.ts';
export type { ModalityDropoutParams } from './ops/modality-dropout.ts';
export { interpolate, interpolateOp } from './ops/interpolate.ts';
export type { InterpolateParams, InterpolationMethod } from './ops/interpolate.ts';
export { windowAgg, windowAggOp } from './ops/window-agg.ts';
export type { WindowAggParams, WindowAggregate, WindowSchema } from './ops/window-agg.ts';
export { convertTimeUnit, convertTimeUnitOp } from './ops/convert-time-unit.ts';
export type { ConvertTimeUnitParams } from './ops/convert-time-unit.ts';
export { qualityReport } from './quality/quality-report.ts';
export type { QualityOptions, QualityReport, QualityRule, QualityFinding } from './quality/quality-report.ts';
export { imputeNearest, imputeNearestOp, imputeModel, imputeModelOp } from './ops/impute-from.ts';
export type { ImputeNearestParams, ImputeModelParams, NeighbourMetric, NearestStats } from './ops/impute-from.ts';
