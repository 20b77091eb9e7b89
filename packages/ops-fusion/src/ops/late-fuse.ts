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
  /** One weight per column (default all 1). Missing (null) inputs drop out with their weight. */
  readonly weights?: readonly number[];
  readonly output: string;
}

const OP = 'fusion.late-fuse';

/**
 * Output dtype: scalars → float64 (vote → the input dtype: the winning label); tensors → float32
 * tensor of the same shape (vote → int32: the winning class index).
 */
export function lateFuseOutput(p: LateFuseParams): DType {
  const t = p.dtype ?? dt.float64();
  if (t.kind === 'tensor') return p.method === 'vote' ? dt.int32() : dt.tensor(dt.float32(), [...t.shape]);
  return p.method === 'vote' ? t : dt.float64();
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
    if (p.weights !== undefined && (p.weights.length !== p.columns.length || !p.weights.every((w) => Number.isFinite(w) && w >= 0))) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `weights must be ${p.columns.length} finite numbers >= 0, got ${JSON.stringify(p.weights)}`, { op: OP, fix: 'pass one weight per column' });
    }
    const t = p.dtype ?? dt.float64();
    const ok = NUMERIC_KINDS.has(t.kind) || (t.kind === 'tensor' && NUMERIC_KINDS.has(t.item.kind));
    if (!ok) {
      throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `inputs of dtype ${dtypeToString(t)} cannot be fused`, { op: OP, fix: 'fuse numeric scores, labels or fixed-shape probability tensors' });
    }
  },
  kernel(input, p) {
    const t = p.dtype ?? dt.float64();
    const cols = p.columns.map((c) => input.values(c));
    const w = p.weights ?? p.columns.map(() => 1);
    const n = input.numRows;
    const out = new Array<unknown>(n);
    const tensor = t.kind === 'tensor';
    const size = tensor ? t.shape.reduce((a, b) => a * b, 1) : 1;
    for (let i = 0; i < n; i++) {
      const present: number[] = [];
      for (let k = 0; k < cols.length; k++) if (cols[k]![i] !== null && cols[k]![i] !== undefined) present.push(k);
      if (present.length === 0) { out[i] = null; continue; }
      if (p.method === 'vote') {
        // Weighted plurality; ties go to the smallest label (class index), so the result is deterministic.
        const score = new Map<number | bigint, number>();
        for (const k of present) {
          const v = cols[k]![i];
          const label = tensor ? argmax(cellNumbers(v)) : (v as number | bigint);
          score.set(label, (score.get(label) ?? 0) + w[k]!);
        }
        let best: number | bigint | undefined, bestScore = -Infinity;
        for (const [label, s] of score) if (s > bestScore || (s === bestScore && label < best!)) { best = label; bestScore = s; }
        out[i] = best;
        continue;
      }
      const acc = new Float64Array(size).fill(p.method === 'max' ? -Infinity : p.method === 'product' ? 1 : 0);
      let wsum = 0;
      for (const k of present) {
        const x = cellNumbers(cols[k]![i]);
        const wk = w[k]!;
        wsum += wk;
        for (let j = 0; j < size; j++) {
          if (p.method === 'mean') acc[j]! += wk * x[j]!;
          else if (p.method === 'max') acc[j] = Math.max(acc[j]!, wk * x[j]!);
          else acc[j]! *= wk === 1 ? x[j]! : Math.pow(x[j]!, wk);
        }
      }
      if (p.method === 'mean') for (let j = 0; j < size; j++) acc[j] = wsum > 0 ? acc[j]! / wsum : NaN;
      out[i] = tensor ? { data: Float32Array.from(acc), shape: [...(t as { shape: readonly number[] }).shape] } : acc[0]!;
    }
    return { columns: { [p.output]: out } };
  },
});

export const lateFuseOp = def;

type LateOut<D extends DType, M extends LateFuseMethod> = D extends FixedShapeTensor<infer _I, infer S>
  ? (M extends 'vote' ? Int32 : FixedShapeTensor<Float32, S>)
  : (M extends 'vote' ? D : Float64);

/**
 * Fuse per-modality predictions. Scalar scores → float64 (weighted mean, max of w·x, or Π x^w);
 * scalar labels with 'vote' → the weighted plurality label; probability tensors → the fused tensor
 * (float32), or with 'vote' the int32 class that wins the vote of per-modality argmaxes. Null
 * inputs (missing modalities) drop out; all null → null. With one input, mean/max/product/vote
 * return it unchanged.
 *
 * @example ds.map(lateFuse({ columns: ['p_img', 'p_txt'], dtype: PROBS, method: 'mean', weights: [2, 1], output: 'p' }))
 */
export function lateFuse<const C extends readonly string[], O extends string, M extends LateFuseMethod, D extends DType = Float64>(
  p: LateFuseParams & { readonly columns: C; readonly output: O; readonly method: M; readonly dtype?: D },
): OpCall<{ readonly [K in C[number]]: D }, { readonly [K in O]: LateOut<D, M> }> {
  return def.call(p) as never;
}
