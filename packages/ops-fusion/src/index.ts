// @modaflow/ops-fusion public API: time alignment, data quality and z-score filtering, early and
// late fusion, missing modalities.
export { alignAsof, alignAsofOp, asofIndices } from './ops/align-asof.ts';
export type { AlignAsofParams, AsofDirection, AsofSchema } from './ops/align-asof.ts';
export { convertTime, parseDuration, NS_PER } from './util/time-units.ts';
export type { Rounding } from './util/time-units.ts';
export { zscoreFilter, zscoreFilterOp, MAD_SCALE } from './ops/zscore-filter.ts';
export type { ZscoreFilterParams, ZscoreStats } from './ops/zscore-filter.ts';
export type { Reduction } from './util/reduce.ts';
