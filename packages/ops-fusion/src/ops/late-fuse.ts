// fusion.late-fuse: combine per-modality predictions (scores, or probability vectors) into one —
// weighted mean, weighted vote, maximum or weighted product — skipping missing modalities.
import type { DType, FixedShapeTensor, Float32, Float64, Int32, OpCall } from '@modaflow/core';
import { defineOp, dt, dtypeToString, InvalidArgumentError, DTypeMismatchError } from '@modaflow/core';
import { cellNumbers } from '../util/parts.ts';
import { NUMERIC_KINDS } from '../util/columns.ts';

export type LateFuseMethod = 'mean' | 'vote' | 'max' | 'product';

export interface LateFuseParams {
  readonly columns: readonly string[];
  /** The dtype shared by every input (default float64): numeric scores/labels or fixed-shape tensors. */
  readonly dtype?: DType;
  readonly method: LateFuseMethod;
  /**
   * One weight per column, each > 0 (default all 1). Only their ratios matter: per row they are
   * taken relative to the inputs present there (null inputs drop out with their weight), so one
   * present input gives itself back whatever its weight.
   */
  readonly weights?: readonly number[];
  readonly output: string;
}

const OP = 'fusion.late-fuse';

/**
 * Output dtype. vote: scalars → the input dtype (the winning label), tensors → int32 (the winning
 * class index). mean/max/product keep the shape and the precision: float32 (scalar or tensor
 * elements) → float32, float64 → float64 — never narrowed — and integers → float64 (a weighted
 * mean or product of integers is not an integer; int64 beyond 2^53 is rounded).
 */
export function lateFuseOutput(p: LateFuseParams): DType {
  const t = p.dtype ?? dt.float64();
  if (p.method === 'vote') return t.kind === 'tensor' ? dt.int32() : t;
  const item = (t.kind === 'tensor' ? t.item.kind : t.kind) === 'float32' ? dt.float32() : dt.float64();
  return t.kind === 'tensor' ? dt.tensor(item, [...t.shape]) : item;
}

function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

const def = defineOp<LateFuseParams>({
  name: OP,
  module: import.meta.url,
  description: 'combine per-modality predictions: weighted mean, vote, max or product',
  inputs: (p) => Object.fromEntries(p.columns.map((c) => [c, p.dtype ?? dt.float64()])),
  outputs: (p) => ({ [p.output]: lateFuseOutput(p) }),
  // costPerRow, µs: measured by benchmarks/src/op-costs.bench.ts on the 2-core project VM
  // (2026-11-27; core's applyOp over 8k–64k-row batches after JIT warm-up, median of 7 runs):
  // per input column ~0.17 plus ~0.13 per value: 3 float64 scores mean 0.89, vote 0.55; 3
  // float32[10] tensors mean 4.8, vote 2.7. Was 0.1.
  properties: (p) => {
    const t = p.dtype ?? dt.float64();
    const size = t.kind === 'tensor' ? t.shape.reduce((a, b) => a * b, 1) : 1;
    return { costPerRow: Number((p.columns.length * (0.17 + 0.13 * size)).toPrecision(2)) };
  },
  validate(p) {
    if (!Array.isArray(p.columns) || p.columns.length === 0) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'lateFuse needs at least one column', { op: OP, fix: "columns: ['p_image', 'p_audio']" });
    }
    if (!['mean', 'vote', 'max', 'product'].includes(p.method)) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `method must be mean, vote, max or product, got '${String(p.method)}'`, { op: OP, fix: "method: 'mean'" });
    }
    if (p.weights !== undefined && (p.weights.length !== p.columns.length || !p.weights.every((w) => Number.isFinite(w) && w > 0))) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `weights must be ${p.columns.length} finite numbers > 0, got ${JSON.stringify(p.weights)}`, { op: OP, fix: 'pass one weight per column; leave a column out instead of weighting it 0' });
    }
    const t = p.dtype ?? dt.float64();
    const ok = NUMERIC_KINDS.has(t.kind) || (t.kind === 'tensor' && NUMERIC_KINDS.has(t.item.kind));
    if (!ok) {
      throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `inputs of dtype ${dtypeToString(t)} cannot be fused`, { op: OP, fix: 'fuse numeric scores, labels or fixed-shape probability tensors' });
    }
  },
  kernel(input, p, ctx) {
    const t = p.dtype ?? dt.float64();
    const cols = p.columns.map((c) => input.values(c));
    const w = p.weights ?? p.columns.map(() => 1);
    const n = input.numRows;
    const out = new Array<unknown>(n);
    const tensor = t.kind === 'tensor';
    const size = tensor ? t.shape.reduce((a, b) => a * b, 1) : 1;
    const f32 = (tensor ? t.item.kind : t.kind) === 'float32';
    rows: for (let i = 0; i < n; i++) {
      const present: number[] = [];
      for (let k = 0; k < cols.length; k++) if (cols[k]![i] !== null && cols[k]![i] !== undefined) present.push(k);
      if (present.length === 0) { out[i] = null; continue; }
      if (p.method === 'vote') {
        // Weighted plurality; ties go to the smallest label (class index), so the result is deterministic.
        // A Map key would turn a label −0 into 0: each entry keeps the label as first given.
        const score = new Map<number | bigint, { label: number | bigint; score: number }>();
        for (const k of present) {
          const v = cols[k]![i];
          const label = tensor ? argmax(cellNumbers(v)) : (v as number | bigint);
          const e = score.get(label);
          if (e) e.score += w[k]!; else score.set(label, { label, score: w[k]! });
        }
        let best: number | bigint | undefined, bestScore = -Infinity;
        for (const { label, score: s } of score.values()) if (s > bestScore || (s === bestScore && label < best!)) { best = label; bestScore = s; }
        out[i] = best;
        continue;
      }
      // Weights relative to the present inputs: mean and product use wᵢ/Σw (a weighted arithmetic
      // or geometric mean), max uses wᵢ/max w (the most trusted input is taken as it is, the others
      // are discounted). Either way a lone input has relative weight exactly 1: x·1, x^1 = x. The
      // mean starts from −0, the neutral element of + (0 + −0 would lose the sign of a lone −0).
      let wsum = 0, wmax = 0;
      for (const k of present) { wsum += w[k]!; wmax = Math.max(wmax, w[k]!); }
      const acc = new Float64Array(size).fill(p.method === 'max' ? -Infinity : p.method === 'product' ? 1 : -0);
      for (const k of present) {
        const x = cellNumbers(cols[k]![i]);
        const a = p.method === 'max' ? w[k]! / wmax : w[k]! / wsum;
        for (let j = 0; j < size; j++) {
          if (p.method === 'mean') acc[j]! += a * x[j]!;
          else if (p.method === 'max') acc[j] = Math.max(acc[j]!, a * x[j]!);
          else if (x[j]! < 0) {
            ctx.rowError(i, `product fuses values >= 0 (probabilities, likelihoods), but '${p.columns[k]}' has ${x[j]}${tensor ? ` at element ${j}` : ''}; use method 'mean' or 'max' for signed scores`, { column: p.columns[k]!, code: 'MF_ROW_ERROR' });
            out[i] = null;
            continue rows;
          } else acc[j]! *= a === 1 ? x[j]! : Math.pow(x[j]!, a);
        }
      }
      out[i] = tensor ? { data: f32 ? Float32Array.from(acc) : acc, shape: [...(t as { shape: readonly number[] }).shape] } : acc[0]!;
    }
    return { columns: { [p.output]: out } };
  },
});

export const lateFuseOp = def;

/** The fused element dtype: float32 stays float32, float64 and integers give float64. */
type Fused<I extends DType> = I extends Float32 ? Float32 : Float64;
type LateOut<D extends DType, M extends LateFuseMethod> = D extends FixedShapeTensor<infer I, infer S>
  ? (M extends 'vote' ? Int32 : FixedShapeTensor<Fused<I>, S>)
  : (M extends 'vote' ? D : Fused<D>);

/**
 * Fuse per-modality predictions, with weights relative to the inputs present in the row:
 * `mean` = Σ(wᵢ/Σw)·xᵢ, `max` = max (wᵢ/max w)·xᵢ, `product` = Π xᵢ^(wᵢ/Σw) (the weighted
 * geometric mean — a log-linear pool, not renormalized to sum 1; values must be >= 0, a negative
 * one is a row error); scalar labels with 'vote' → the weighted plurality label, tensors with
 * 'vote' → the int32 class that wins the vote of per-modality argmaxes. Tensors are fused element
 * by element. Output dtypes: see lateFuseOutput (float32 stays float32, float64 and integers give
 * float64). Null inputs (missing modalities) drop out; all null → null. So one present input — or
 * a row where only one is present — gives itself back, value and float dtype, for any weights.
 *
 * @example ds.map(lateFuse({ columns: ['p_img', 'p_txt'], dtype: PROBS, method: 'mean', weights: [2, 1], output: 'p' }))
 */
export function lateFuse<const C extends readonly string[], O extends string, M extends LateFuseMethod, D extends DType = Float64>(
  p: LateFuseParams & { readonly columns: C; readonly output: O; readonly method: M; readonly dtype?: D },
): OpCall<{ readonly [K in C[number]]: D }, { readonly [K in O]: LateOut<D, M> }> {
  return def.call(p) as never;
}
