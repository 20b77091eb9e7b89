// @modaflow/ops-fusion public API.
export {};
