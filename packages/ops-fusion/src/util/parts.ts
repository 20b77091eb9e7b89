// Reading a row of a numeric part (scalar, tensor, fixed-size list) as numbers, and the width a
// part contributes when its dtype fixes it.
import type { DType, Tensor } from '@modaflow/core';
import { dtypeToString, DTypeMismatchError } from '@modaflow/core';
import { NUMERIC_KINDS } from './columns.ts';

/** The number of values a dtype holds per row, or null when it varies by row. */
export function staticWidth(t: DType): number | null {
  if (NUMERIC_KINDS.has(t.kind)) return 1;
  if (t.kind === 'tensor') return t.shape.reduce((a, b) => a * b, 1);
  if (t.kind === 'fixedSizeList' && NUMERIC_KINDS.has(t.item.kind)) return t.size;
  if (t.kind === 'varTensor' || (t.kind === 'list' && NUMERIC_KINDS.has(t.item.kind))) return null;
  return -1;
}

/** Throws a plan-time error when t cannot be a numeric part. */
export function checkNumericPart(t: DType, op: string, column: string): void {
  if (staticWidth(t) === -1) {
    throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `column '${column}' is ${dtypeToString(t)}; a part must be numeric, a numeric tensor or a numeric list`, {
      op, column, fix: 'decode or embed the modality into a numeric tensor first',
    });
  }
}

/** The values of one non-null cell as an array-like of numbers. */
export function cellNumbers(v: unknown): ArrayLike<number> {
  if (typeof v === 'number') return [v];
  if (typeof v === 'bigint') return [Number(v)];
  if (Array.isArray(v)) return v.map(Number);
  const d = (v as Tensor).data;
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return Array.from(d, Number);
  return d as ArrayLike<number>;
}
