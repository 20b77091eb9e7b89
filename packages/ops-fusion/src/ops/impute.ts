// fusion.impute: fill missing values (a missing modality) with zeros, a constant, or the
// dataset-wide mean (element-wise for tensors; a global op whose statistics are exact sums).
import type { DType, GlobalStats, OpCall, Tensor } from '@modaflow/core';
import { defineOp, dt, dtypeToString, InvalidArgumentError } from '@modaflow/core';
import { addExact, exactSum, mergeExact, roundExact, type ExactSum } from '../util/exact-sum.ts';
import { NUMERIC_KINDS } from '../util/columns.ts';
import { cellNumbers } from '../util/parts.ts';

export type ImputeStrategy = 'zeros' | 'constant' | 'mean';

export interface ImputeParams {
  readonly column: string;
  /** The column's dtype: a numeric scalar or a fixed-shape numeric tensor. */
  readonly dtype: DType;
  readonly strategy: ImputeStrategy;
  /** The fill of strategy 'constant' (every element of a tensor). */
  readonly value?: number;
  /** Write here instead of replacing the column. */
  readonly output?: string;
}

const OP = 'fusion.impute';

type Acc = { n: number[]; sums: ExactSum[] };

function width(t: DType): number {
  return t.kind === 'tensor' ? t.shape.reduce((a, b) => a * b, 1) : 1;
}

const INT_KINDS = new Set(['int8', 'int16', 'int32', 'uint8', 'uint16', 'uint32', 'int64', 'uint64']);

const stats: GlobalStats<ImputeParams, Acc, { mean: number[] }> = {
  init: (p) => ({ n: new Array(width(p.dtype)).fill(0), sums: Array.from({ length: width(p.dtype) }, () => exactSum()) }),
  update(acc, input, p) {
    if (p.strategy !== 'mean') return acc;
    for (const v of input.values(p.column)) {
      if (v === null) continue;
      const x = cellNumbers(v);
      for (let j = 0; j < x.length; j++) {
        if (!Number.isFinite(x[j]!)) continue;
        acc.n[j]!++;
        addExact(acc.sums[j]!, x[j]!);
      }
    }
    return acc;
  },
  merge(a, b) {
    b.n.forEach((c, j) => { a.n[j]! += c; mergeExact(a.sums[j]!, b.sums[j]!); });
    return a;
  },
  // An element never seen (all null) has mean NaN; integer columns round the mean half away from zero.
  finalize: (acc, p) => ({
    mean: acc.sums.map((s, j) => {
      const m = acc.n[j]! > 0 ? roundExact(s) / acc.n[j]! : NaN;
      return INT_KINDS.has(p.dtype.kind === 'tensor' ? p.dtype.item.kind : p.dtype.kind) ? Math.sign(m) * Math.round(Math.abs(m)) : m;
    }),
  }),
};

const def = defineOp<ImputeParams, undefined, { mean: number[] }>({
  name: OP,
  module: import.meta.url,
  description: 'fill nulls with zeros, a constant or the dataset mean',
  inputs: (p) => ({ [p.column]: p.dtype }),
  outputs: (p) => ({ [p.output ?? p.column]: p.dtype }),
  // costPerRow, µs: measured by benchmarks/src/op-costs.bench.ts on the 2-core project VM
  // (2026-11-27; core's applyOp over 8k–64k-row batches after JIT warm-up, median of 7 runs):
  // ~0.3 for a scalar column (JS values in and out) plus ~0.004 per tensor element (a row object
  // read, its values copied into the output): float32[128] 0.6–1.3, float32[512] 2.3. Was 0.05.
  properties: (p) => ({ costPerRow: Number((0.3 + (p.dtype.kind === 'tensor' ? 0.004 * width(p.dtype) : 0)).toPrecision(2)) }),
  validate(p) {
    const t = p.dtype;
    if (!NUMERIC_KINDS.has(t.kind) && !(t.kind === 'tensor' && NUMERIC_KINDS.has(t.item.kind))) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `cannot impute a ${dtypeToString(t)} column: the fill needs a known shape`, {
        op: OP, column: p.column, fix: 'impute numeric scalars or fixed-shape tensors (pad/resize a variable-shape tensor first)',
      });
    }
    if (!['zeros', 'constant', 'mean'].includes(p.strategy)) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `strategy must be zeros, constant or mean, got '${String(p.strategy)}'`, { op: OP, fix: "strategy: 'mean'" });
    }
    if (p.strategy === 'constant' && typeof p.value !== 'number') {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', "strategy 'constant' needs a numeric value", { op: OP, fix: "strategy: 'constant', value: 0.5" });
    }
  },
  stats,
  kernel(input, p, ctx) {
    const t = p.dtype;
    const w = width(t);
    const fill = new Array<number>(w).fill(p.strategy === 'constant' ? p.value! : 0);
    if (p.strategy === 'mean') for (let j = 0; j < w; j++) fill[j] = ctx.stats.mean[j]!;
    const big = (t.kind === 'tensor' ? t.item.kind : t.kind) === 'int64' || (t.kind === 'tensor' ? t.item.kind : t.kind) === 'uint64';
    const vals = input.values(p.column);
    const out = vals.map((v, i) => {
      if (v !== null) return v;
      if (fill.some((f) => Number.isNaN(f))) {
        ctx.rowError(i, `no value to impute: column '${p.column}' has no non-null values to average`, { column: p.column, code: 'MF_ROW_ERROR' });
        return null;
      }
      if (t.kind === 'tensor') return { data: fill, shape: [...t.shape] } as unknown as Tensor;
      return big ? BigInt(fill[0]!) : fill[0]!;
    });
    return { columns: { [p.output ?? p.column]: out } };
  },
});

export const imputeOp = def;

/**
 * Fill nulls: zeros, a constant, or the dataset mean (per element for tensors; exact, so batch
 * size and order do not matter). Pair with maskMissing to keep the information that a value was
 * imputed.
 *
 * @example ds.map(maskMissing({ columns: { audio_emb: EMB } })).map(impute({ column: 'audio_emb', dtype: EMB, strategy: 'mean' }))
 */
export function impute<C extends string, D extends DType, O extends string = C>(
  p: ImputeParams & { readonly column: C; readonly dtype: D; readonly output?: O },
): OpCall<{ readonly [K in C]: D }, { readonly [K in O]: D }> {
  return def.call(p) as never;
}
