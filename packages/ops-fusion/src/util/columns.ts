// Column helpers shared by the ops: gathering rows with "no match" holes, group codes over one or
// more key columns, and reading numeric columns as float64 with a validity mask.
import * as arrow from 'apache-arrow';
import type { DType, TypedArray } from '@modaflow/core';
import { buildData, getValue, isValid } from '@modaflow/core';
import { WASM_MERGE_MAX_LEFT, gather64Wasm } from './wasm-merge.ts';

const FIXED = new Set(['int8', 'int16', 'int32', 'uint8', 'uint16', 'uint32', 'float32', 'float64', 'int64', 'uint64', 'timestamp']);

/**
 * Rows `idx` of a column, where -1 gives null (an unmatched row of a join). Row j of a fixed-width
 * Data is values[j] (Arrow slices value buffers; `offset` is the validity bitmap's).
 */
export function takeOrNull(t: DType, data: arrow.Data, idx: Int32Array): arrow.Data {
  const n = idx.length;
  if (FIXED.has(t.kind) && data.nullCount === 0) return takeScalar(data, idx);
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
      if (size === 1) out[i] = (values as Float64Array)[j]!;
      else {
        const s = j * size;
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
 * takeOrNull of a fixed-width scalar column without nulls: one tight loop (int64 values are
 * copied as 32-bit halves, never as bigints, nor as doubles: -1 is a NaN pattern, which an engine
 * may canonicalize), then a validity bitmap only when some row is unmatched.
 */
function takeScalar(data: arrow.Data, idx: Int32Array): arrow.Data {
  const n = idx.length;
  const values = data.values as TypedArray;
  const Ctor = values.constructor as new (n: number) => TypedArray;
  const out = new Ctor(n);
  let misses = 0;
  if (values.BYTES_PER_ELEMENT === 8 && n <= WASM_MERGE_MAX_LEFT && n * 64 >= values.length
    && gather64Wasm(values as Float64Array, idx, out as Float64Array)) {
    // Dense, non-decreasing indices (an as-of join's answers): copied chunk by chunk (wasm-merge).
    for (let i = 0; i < n; i++) if (idx[i]! < 0) misses++;
  } else if (values instanceof Float64Array) {
    // float64 as doubles (half the accesses of the 32-bit halves below; as before this fast path,
    // a NaN's payload is whatever the engine's double moves keep — V8 keeps it).
    const dst = out as Float64Array;
    for (let i = 0; i < n; i++) {
      const j = idx[i]!;
      if (j < 0) { misses++; continue; }
      dst[i] = values[j]!;
    }
  } else if (values.BYTES_PER_ELEMENT === 8) {
    const src = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
    const dst = new Int32Array(out.buffer, out.byteOffset, n * 2);
    for (let i = 0; i < n; i++) {
      const j = idx[i]!;
      if (j < 0) { misses++; continue; }
      const k = 2 * j;
      dst[2 * i] = src[k]!;
      dst[2 * i + 1] = src[k + 1]!;
    }
  } else {
    // 4-byte values through Int32 views (a float32 read could quiet a signalling NaN).
    const w = values.BYTES_PER_ELEMENT === 4;
    const src = w ? new Int32Array(values.buffer, values.byteOffset, values.length) : values as Int32Array;
    const dst = w ? new Int32Array(out.buffer, out.byteOffset, n) : out as Int32Array;
    for (let i = 0; i < n; i++) {
      const j = idx[i]!;
      if (j < 0) { misses++; continue; }
      dst[i] = src[j]!;
    }
  }
  let bitmap: Uint8Array | null = null;
  if (misses) {
    bitmap = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) if (idx[i]! >= 0) bitmap[i >> 3]! |= 1 << (i & 7);
  }
  return arrow.makeData({ type: data.type as arrow.Float64, length: n, nullCount: misses, nullBitmap: bitmap, data: out as Float64Array });
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
    const x = big ? Number((src as BigInt64Array)[i]!) : (src as Float64Array)[i]!;
    if (nanIsNull && Number.isNaN(x)) continue;
    values[i] = x;
    valid[i] = 1;
  }
  void t;
  return { values, valid };
}

/** Scalar numeric dtypes (no bool, no timestamps). */
export const NUMERIC_KINDS: ReadonlySet<string> = new Set(['int8', 'int16', 'int32', 'uint8', 'uint16', 'uint32', 'int64', 'uint64', 'float32', 'float64']);
