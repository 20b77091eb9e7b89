// fusion.early-fuse: concatenate per-modality features into one float32 vector per row, each part
// optionally normalized and weighted first. Widths come from the parts' dtypes, so the output
// dtype (and its width) is known — and checked — when the plan is built.
import * as arrow from 'apache-arrow';
import type { DType, FixedShapeTensor, Float32, OpCall } from '@modaflow/core';
import { defineOp, dt, InvalidArgumentError, toArrowType } from '@modaflow/core';
import { cellNumbers, checkNumericPart, staticWidth } from '../util/parts.ts';
import { reduceTensor, rescaleExponent, timesPow2 } from '../util/reduce.ts';

/** Per-row normalization of one part before concatenation. */
export type PartNormalization = 'none' | 'l2' | 'minmax' | 'standardize';

export interface FusePart {
  readonly column: string;
  /** The column's dtype: a numeric scalar, a fixed-shape tensor, a fixed-size list, or (with width) a varTensor/list. */
  readonly dtype: DType;
  /** Per-row normalization of this part (default 'none'). */
  readonly normalize?: PartNormalization;
  /** Multiplies the (normalized) part: a finite number ≥ 0 (default 1). */
  readonly weight?: number;
  /** Required for variable-size parts: rows of another size are row errors. */
  readonly width?: number;
}

export interface EarlyFuseParams {
  readonly parts: readonly FusePart[];
  readonly output: string;
  /** A null part: 'error' (default; a row error under the run's policy) or 'zeros'. */
  readonly missing?: 'error' | 'zeros';
  /**
   * Whether a NaN or ±Infinity in the fused vector is a row error naming the part (default true):
   * a non-finite input element, or a value the normalization and weight take beyond float32.
   * false lets them through, for a consumer that handles them (a NaN-aware model).
   */
  readonly checkFinite?: boolean;
}

const OP = 'fusion.early-fuse';

/** The width of every part, from its dtype (or its declared width). Throws at plan time. */
export function partWidths(parts: readonly FusePart[]): number[] {
  return parts.map((p) => {
    checkNumericPart(p.dtype, OP, p.column);
    const w = staticWidth(p.dtype);
    if (w === null) {
      if (p.width === undefined || !Number.isInteger(p.width) || p.width <= 0) {
        throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `part '${p.column}' has a variable size; its width is unknown when the plan is built`, {
          op: OP, column: p.column, fix: `pass width: <n> for part '${p.column}' (rows of another size become row errors), or pad/resize it to a fixed-shape tensor`,
        });
      }
      return p.width;
    }
    if (p.width !== undefined && p.width !== w) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `part '${p.column}' declares width ${p.width} but its dtype holds ${w} values per row`, {
        op: OP, column: p.column, fix: `drop width or set it to ${w}`,
      });
    }
    return w;
  });
}

function normalizeInto(out: Float32Array, at: number, x: ArrayLike<number>, how: PartNormalization, weight: number): void {
  const n = x.length;
  if (how === 'none') { for (let i = 0; i < n; i++) out[at + i] = x[i]! * weight; return; }
  // The three are scale-free: a finite part whose magnitudes lie outside [2^-500, 2^500] is first
  // scaled by a power of two (exact) into [1, 2), or hi − lo, Σx² or 1/‖x‖ would overflow (the part
  // became zeros) or the squares sink into the subnormals. Parts inside the range are used as they are.
  let a = 0;
  for (let i = 0; i < n; i++) a = Math.max(a, Math.abs(x[i]!));
  const k = rescaleExponent(a);
  const xs = k === 0 ? x : Array.from(x, (v) => timesPow2(v, k));
  let shift = 0, scale = 1;
  if (how === 'l2') {
    const norm = reduceTensor(xs, 'l2');
    scale = norm > 0 ? 1 / norm : 0;
  } else if (how === 'minmax') {
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < n; i++) { lo = Math.min(lo, xs[i]!); hi = Math.max(hi, xs[i]!); }
    shift = lo;
    scale = hi > lo ? 1 / (hi - lo) : 0;
  } else {
    let m = 0;
    for (let i = 0; i < n; i++) m += xs[i]!;
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (xs[i]! - m) ** 2;
    shift = m;
    scale = v > 0 ? 1 / Math.sqrt(v / n) : 0;
  }
  for (let i = 0; i < n; i++) out[at + i] = (xs[i]! - shift) * scale * weight;
}

/** Why the part's written values out[at …] hold a NaN or ±Infinity, or null when they are all finite. */
function nonFinite(out: Float32Array, at: number, x: ArrayLike<number>, part: FusePart): string | null {
  const n = x.length;
  let j = 0;
  while (j < n && Number.isFinite(out[at + j]!)) j++;
  if (j === n) return null;
  // The cause: the first non-finite input element, else the values the part's scaling took past float32.
  let e = 0;
  while (e < n && Number.isFinite(x[e]!)) e++;
  if (e < n) {
    return `part '${part.column}' has ${x[e]} at element ${e} — fix: drop or repair the rows with non-finite values first, or pass checkFinite: false to let them through`;
  }
  return `part '${part.column}' element ${j} (${x[j]}) is ${out[at + j]} in float32 after normalize '${part.normalize ?? 'none'}' and weight ${part.weight ?? 1} — fix: normalize the part ('l2' or 'standardize') or give it a smaller weight`;
}

const def = defineOp<EarlyFuseParams>({
  name: OP,
  module: import.meta.url,
  description: 'concatenate normalized parts into one float32 tensor',
  inputs: (p) => Object.fromEntries(p.parts.map((x) => [x.column, x.dtype])),
  outputs: (p) => ({ [p.output]: dt.tensor(dt.float32(), [partWidths(p.parts).reduce((a, b) => a + b, 0)]) }),
  // costPerRow, µs: measured by benchmarks/src/op-costs.bench.ts on the 2-core project VM
  // (2026-11-27; core's applyOp over 8k–64k-row batches after JIT warm-up, median of 7 runs):
  // ~0.2 per part plus ~0.007 per output value: 3 float64 scalars 0.64–0.78, [128] + [128]
  // 1.3–3.0, [512] l2 + [128] standardize + a scalar 5–13 (the spread: page faults on the new
  // 21 MB output). A variable part counts its declared width. Was 0.2.
  properties: (p) => ({ costPerRow: Number((0.2 * p.parts.length + 0.007 * p.parts.reduce((a, x) => a + (staticWidth(x.dtype) ?? x.width ?? 1), 0)).toPrecision(2)) }),
  validate(p) {
    if (!Array.isArray(p.parts) || p.parts.length === 0) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'earlyFuse needs at least one part', { op: OP, fix: "parts: [{ column: 'img_emb', dtype: dt.tensor(dt.float32(), [512]) }, …]" });
    }
    const seen = new Set<string>();
    for (const x of p.parts) {
      if (seen.has(x.column)) throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `part '${x.column}' appears twice`, { op: OP, column: x.column, fix: 'list each column once (use weight to emphasize it)' });
      seen.add(x.column);
      if (x.normalize !== undefined && !['none', 'l2', 'minmax', 'standardize'].includes(x.normalize)) {
        throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `normalize '${String(x.normalize)}' is not none, l2, minmax or standardize`, { op: OP, column: x.column, fix: "normalize: 'l2'" });
      }
      // A negative weight flips the part, NaN or ±Infinity makes it NaN / ±Infinity in every row.
      if (x.weight !== undefined && !(typeof x.weight === 'number' && Number.isFinite(x.weight) && x.weight >= 0)) {
        throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `part '${x.column}' has weight ${String(x.weight)}; a weight is a finite number >= 0`, {
          op: OP, column: x.column, fix: 'pass a weight >= 0 (default 1; > 1 emphasizes the part), or leave it out',
        });
      }
    }
    if (p.missing !== undefined && p.missing !== 'error' && p.missing !== 'zeros') {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `missing must be 'error' or 'zeros', got '${String(p.missing)}'`, { op: OP, fix: "missing: 'zeros'" });
    }
    if (p.checkFinite !== undefined && typeof p.checkFinite !== 'boolean') {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `checkFinite must be true or false, got ${String(p.checkFinite)}`, { op: OP, fix: 'checkFinite: false' });
    }
    partWidths(p.parts);
  },
  kernel(input, p, ctx) {
    const widths = partWidths(p.parts);
    const total = widths.reduce((a, b) => a + b, 0);
    const n = input.numRows;
    const flat = new Float32Array(n * total);
    const cols = p.parts.map((x) => input.values(x.column));
    for (let i = 0; i < n; i++) {
      let at = i * total;
      for (let k = 0; k < p.parts.length; k++) {
        const part = p.parts[k]!;
        const v = cols[k]![i];
        if (v === null || v === undefined) {
          if (p.missing !== 'zeros') {
            ctx.rowError(i, `part '${part.column}' is null (a missing modality)`, { column: part.column, code: 'MF_ROW_ERROR' });
          }
          at += widths[k]!;
          continue;
        }
        const x = cellNumbers(v);
        if (x.length !== widths[k]) {
          ctx.rowError(i, `part '${part.column}' has ${x.length} values, expected ${widths[k]}`, { column: part.column, code: 'MF_DTYPE_MISMATCH' });
        } else {
          normalizeInto(flat, at, x, part.normalize ?? 'none', part.weight ?? 1);
          if (p.checkFinite !== false) {
            const reason = nonFinite(flat, at, x, part);
            if (reason) ctx.rowError(i, reason, { column: part.column, code: 'MF_ROW_ERROR' });
          }
        }
        at += widths[k]!;
      }
    }
    // One contiguous buffer, wrapped without a copy.
    const type = toArrowType(dt.tensor(dt.float32(), [total])) as arrow.FixedSizeList;
    const child = arrow.makeData({ type: new arrow.Float32(), length: n * total, nullCount: 0, data: flat });
    return { columns: { [p.output]: arrow.makeData({ type, length: n, nullCount: 0, child }) } };
  },
});

export const earlyFuseOp = def;

/**
 * Concatenate parts (scalars, tensors, lists) into one float32 vector column of width Σ part widths,
 * known at plan time. Each part may be normalized per row ('l2', 'minmax', 'standardize') and
 * weighted (a finite weight ≥ 0). A null part is a row error, or zeros with `missing: 'zeros'` (pair
 * with maskMissing). A NaN or ±Infinity in the fused vector is a row error naming the part, unless
 * `checkFinite: false`.
 *
 * @example ds.map(earlyFuse({ parts: [{ column: 'img', dtype: IMG_EMB, normalize: 'l2' }, { column: 'rms', dtype: dt.float64() }], output: 'x' }))
 */
export function earlyFuse<const P extends readonly FusePart[], O extends string>(
  p: EarlyFuseParams & { readonly parts: P; readonly output: O },
): OpCall<{ readonly [E in P[number] as E['column']]: E['dtype'] }, { readonly [K in O]: FixedShapeTensor<Float32, [number]> }> {
  return def.call(p) as never;
}
