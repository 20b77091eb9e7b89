// Post-processing shared by the encode ops: choosing the model input/output an op uses, pooling
// token or frame outputs into one vector per row, and L2 normalization.
import type { Tensor, TypedArray } from '../types/dtype.ts';
import { InvalidArgumentError, ModaflowError } from '../errors.ts';
import type { ModelSignature, TensorSignature } from './model-signature.ts';
import { findTensor, signatureToString } from './model-signature.ts';

/** The model input/output named `name`; else the first of `preferred` the model has; else its only one. */
export function pickTensor(sig: ModelSignature, kind: 'input' | 'output', ctx: { op: string; column?: string }, name?: string, preferred: readonly string[] = []): TensorSignature {
  if (name !== undefined) return findTensor(sig, kind, name, ctx);
  const list = kind === 'input' ? sig.inputs : sig.outputs;
  for (const p of preferred) { const t = list.find((x) => x.name === p); if (t) return t; }
  if (list.length === 1 || (kind === 'output' && list.length > 0)) return list[0]!;
  throw new ModaflowError('MF_MODEL', `model ${sig.path} has ${list.length} ${kind}s (${list.map((x) => `${x.name}: ${signatureToString(x)}`).join(', ')}); say which one to use`, {
    op: ctx.op, ...(ctx.column !== undefined ? { column: ctx.column } : {}), fix: `pass ${kind === 'input' ? 'input' : 'outputName'}: '<name>'`,
  });
}

/** Product of the fixed dimensions of `t` from axis `from` on; throws when one is symbolic. */
export function fixedSize(t: TensorSignature, from: number, ctx: { op: string }): number {
  let n = 1;
  const dims = t.shape.slice(from);
  for (const d of dims) {
    if (typeof d !== 'number') {
      throw new ModaflowError('MF_MODEL', `model output '${t.name}' is ${signatureToString(t)}: the embedding size (axes ${from}…) must be fixed`, {
        op: ctx.op, fix: 'export the model with a fixed embedding size (only batch and sequence axes dynamic)',
      });
    }
    n *= d;
  }
  return n;
}

/** A row's output flattened to a fresh Float32Array. */
export function flattenRow(t: Tensor): Float32Array {
  return t.data instanceof Float32Array ? t.data.slice() : Float32Array.from(t.data as ArrayLike<number>);
}

/** Scale `v` to unit L2 norm in place (a zero vector stays zero). */
export function l2Normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

/**
 * Mean of the first `len` positions of `hidden` [L, H] (L ≥ len; positions past `len` are batch
 * padding), weighted by `mask` (null: all ones). Null when no position counts.
 */
export function maskedMean(hidden: Tensor, len: number, mask: TypedArray | null): Float32Array | null {
  const H = hidden.shape[hidden.shape.length - 1]!;
  const out = new Float64Array(H);
  let count = 0;
  const d = hidden.data as Float32Array;
  for (let t = 0; t < len; t++) {
    const w = mask ? Number(mask[t]) : 1;
    if (w === 0) continue;
    count += w;
    for (let j = 0; j < H; j++) out[j]! += w * d[t * H + j]!;
  }
  if (count === 0) return null;
  return Float32Array.from(out, (x) => x / count);
}

/** Throws when the model has inputs besides `fed` (the op would leave them empty). */
export function assertAllFed(op: string, sig: ModelSignature, fed: readonly string[]): void {
  const missing = sig.inputs.filter((t) => !fed.includes(t.name));
  if (missing.length) {
    throw new ModaflowError('MF_MODEL', `model ${sig.path} also takes ${missing.map((t) => `'${t.name}' (${signatureToString(t)})`).join(', ')}, which ${op} does not feed`, {
      op, fix: 'use onnx.infer, which maps any number of columns to model inputs',
    });
  }
}

/** Checks the params every encode op shares: a model path, output column, a positive maxBatch. */
export function validateEncodeParams(op: string, p: { readonly model: unknown; readonly output?: unknown; readonly maxBatch?: unknown }): void {
  if (typeof p.model !== 'string' || p.model.length === 0) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'model must be the path of an .onnx file', { op, fix: "pass model: 'models/encoder.onnx'" });
  }
  if (p.output !== undefined && (typeof p.output !== 'string' || p.output.length === 0)) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'output must be a column name', { op, fix: "pass output: 'embedding'" });
  }
  if (p.maxBatch !== undefined && (!Number.isInteger(p.maxBatch) || (p.maxBatch as number) < 1)) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `maxBatch must be a positive integer, got ${String(p.maxBatch)}`, { op, fix: 'pass e.g. maxBatch: 32' });
  }
}
