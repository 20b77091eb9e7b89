// Column helpers shared by the ops: gathering rows with "no match" holes, group codes over one or
// more key columns, and reading numeric columns as float64 with a validity mask.
import * as arrow from 'apache-arrow';
import type { DType, TypedArray } from '@modaflow/core';
import { buildData, getValue, isValid } from '@modaflow/core';

const FIXED = new Set(['int8', 'int16', 'int32', 'uint8', 'uint16', 'uint32', 'float32', 'float64', 'int64', 'uint64', 'timestamp']);

/** Rows `idx` of a column, where -1 gives null (an unmatched row of a join). */
export function takeOrNull(t: DType, data: arrow.Data, idx: Int32Array): arrow.Data {
  const n = idx.length;
  if (FIXED.has(t.kind) || t.kind === 'tensor') {
    const size = t.kind === 'tensor' ? t.shape.reduce((a, b) => a * b, 1) : 1;
    const src = t.kind === 'tensor' ? data.children[0]! : data;
    const values = src.values as TypedArray;
    const Ctor = values.constructor as new (n: number) => TypedArray;
    const out = new Ctor(n * size) as Float64Array;
    const bitmap = new Uint8Array((n + 7) >> 3);
    let nulls = 0;
    for (let i = 0; i < n; i++) {
      const j = idx[i]!;
      if (j < 0 || !isValid(data, j)) { nulls++; continue; }
      bitmap[i >> 3]! |= 1 << (i & 7);
      if (size === 1) out[i] = (values as Float64Array)[src.offset + data.offset + j]!;
      else {
        const s = src.offset + (data.offset + j) * size;
        out.set((values as Float64Array).subarray(s, s + size), i * size);
      }
    }
    if (t.kind === 'tensor') {
      const child = arrow.makeData({ type: src.type as arrow.Float64, length: n * size, nullCount: 0, data: out });
      return arrow.makeData({ type: data.type as arrow.FixedSizeList, length: n, nullCount: nulls, nullBitmap: nulls ? bitmap : null, child });
    }
    return arrow.makeData({ type: data.type as arrow.Float64, length: n, nullCount: nulls, nullBitmap: nulls ? bitmap : null, data: out });
  }
  const vals = new Array(n);
  for (let i = 0; i < n; i++) vals[i] = idx[i]! < 0 ? null : getValue(t, data, idx[i]!);
  return buildData(t, vals);
}

/**
 * Group codes 0..n-1 over the rows of several inputs, so equal group keys get equal codes across
 * inputs. A null key is a group of its own.
 */
export function groupCodes(inputs: readonly { types: readonly DType[]; datas: readonly arrow.Data[] }[]): { codes: Int32Array[]; count: number } {
  const map = new Map<unknown, number>();
  const codes = inputs.map(({ types, datas }) => {
    const n = datas[0]?.length ?? 0;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let key: unknown;
      if (datas.length === 1) key = normKey(getValue(types[0]!, datas[0]!, i));
      else key = datas.map((d, c) => String(normKey(getValue(types[c]!, d, i)))).join('\u0001');
      let code = map.get(key);
      if (code === undefined) { code = map.size; map.set(key, code); }
      out[i] = code;
    }
    return out;
  });
  return { codes, count: map.size };
}

function normKey(v: unknown): unknown {
  if (v === null) return '\u0000null';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Number.isNaN(v) ? '\u0000nan' : v;
  if (v instanceof Uint8Array) return `\u0000bin:${Buffer.from(v).toString('base64')}`;
  return v;
}

/** A numeric column as float64 values plus validity (NaN counts as invalid when `nanIsNull`). */
export function numericColumn(t: DType, data: arrow.Data, nanIsNull = true): { values: Float64Array; valid: Uint8Array } {
  const n = data.length;
  const values = new Float64Array(n);
  const valid = new Uint8Array(n);
  const src = data.values as TypedArray;
  const big = src instanceof BigInt64Array || src instanceof BigUint64Array;
  const all = data.nullCount === 0;
  for (let i = 0; i < n; i++) {
    if (!all && !isValid(data, i)) continue;
    const x = big ? Number((src as BigInt64Array)[data.offset + i]!) : (src as Float64Array)[data.offset + i]!;
    if (nanIsNull && Number.isNaN(x)) continue;
    values[i] = x;
    valid[i] = 1;
  }
  void t;
  return { values, valid };
}

/** Scalar numeric dtypes (no bool, no timestamps). */
export const NUMERIC_KINDS: ReadonlySet<string> = new Set(['int8', 'int16', 'int32', 'uint8', 'uint16', 'uint32', 'int64', 'uint64', 'float32', 'float64']);
