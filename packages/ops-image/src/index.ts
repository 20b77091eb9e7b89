// @modaflow/ops-image public API.
export * from './encode/index.ts';
