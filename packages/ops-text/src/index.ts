// @modaflow/ops-text public API.
export * from './encode/index.ts';
