// @modaflow/ops-audio public API.
export * from './encode/index.ts';
