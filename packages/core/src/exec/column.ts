// Building Arrow column data from JS values and reading values back, for every dtype. Written
// against raw buffers rather than arrow-js builders: int64/timestamp stay exact bigints, tensors
// become views over one contiguous buffer, and a numeric column built from a typed array is not
// copied.
import * as arrow from 'apache-arrow';
import type { DType, Tensor, TypedArray } from '../types/dtype.ts';
import { dtypeToString, shapeSize, typedArrayCtor } from '../types/dtype.ts';
import { toArrowType } from '../types/arrow-types.ts';
import { DTypeMismatchError } from '../errors.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bitmapFrom(valid: ArrayLike<boolean | number>, n: number): { bitmap: Uint8Array; nulls: number } {
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (valid[i]) bitmap[i >> 3]! |= 1 << (i & 7);
    else nulls++;
  }
  return { bitmap, nulls };
}

function isValidAt(data: arrow.Data, i: number): boolean {
  if (data.nullCount === 0 || !data.nullBitmap || data.nullBitmap.length === 0) return true;
  const j = data.offset + i;
  return ((data.nullBitmap[j >> 3]! >> (j & 7)) & 1) === 1;
}

function badValue(t: DType, v: unknown, column?: string, row?: number): never {
  const shown = typeof v === 'bigint' ? `${v}n` : typeof v === 'object' ? Object.prototype.toString.call(v) : JSON.stringify(v);
  throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `value ${shown} is not a valid ${dtypeToString(t)}`, {
    ...(column !== undefined ? { column } : {}),
    ...(row !== undefined ? { row } : {}),
    fix: `pass values of type ${dtypeToString(t)} (or null), or declare the column's dtype to match the data`,
  });
}

function toBigInt(t: DType, v: unknown, column?: string, row?: number): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (v instanceof Date && t.kind === 'timestamp') {
    const ms = BigInt(v.getTime());
    switch (t.unit) {
      case 's': return ms / 1000n;
      case 'ms': return ms;
      case 'us': return ms * 1000n;
      case 'ns': return ms * 1000000n;
    }
  }
  return badValue(t, v, column, row);
}

/** The empty validity bitmap makeData gives a column without nulls (never written to: it has no bytes). */
export const NO_BITMAP = new Uint8Array(0);

/**
 * Build column data of dtype `t` from JS values (null/undefined = null). Numeric columns given as a
 * typed array of the right kind are wrapped without copying.
 */
export function buildData(t: DType, values: ArrayLike<unknown> | TypedArray, column?: string): arrow.Data {
  const n = values.length;
  const type = toArrowType(t);
  switch (t.kind) {
    case 'bool': {
      const bits = new Uint8Array((n + 7) >> 3);
      const valid = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v === null || v === undefined) continue;
        if (typeof v !== 'boolean') badValue(t, v, column, i);
        valid[i] = 1;
        if (v) bits[i >> 3]! |= 1 << (i & 7);
      }
      const { bitmap, nulls } = bitmapFrom(valid, n);
      return arrow.makeData({ type: type as arrow.Bool, length: n, nullCount: nulls, nullBitmap: nulls ? bitmap : null, data: bits });
    }
    case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint16': case 'uint32':
    case 'float32': case 'float64': case 'int64': case 'uint64': case 'timestamp': {
      const Ctor = typedArrayCtor(t);
      if (values instanceof Ctor) {
        // What makeData builds, without its visitor dispatch and conversions (~8% of a small
        // batch's in-process cost): the array is already of the type's own array type.
        if (values.constructor === (type as arrow.Int32).ArrayType) return new arrow.Data(type, 0, n, 0, [undefined, values as Int32Array, NO_BITMAP]);
        return arrow.makeData({ type: type as arrow.Int32, length: n, nullCount: 0, data: values as Int32Array });
      }
      const out = new Ctor(n);
      const valid = new Uint8Array(n);
      const big = t.kind === 'int64' || t.kind === 'uint64' || t.kind === 'timestamp';
      const isFloat = t.kind === 'float32' || t.kind === 'float64';
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v === null || v === undefined) continue;
        valid[i] = 1;
        if (big) (out as BigInt64Array)[i] = toBigInt(t, v, column, i);
        else if (typeof v === 'number' && (isFloat || Number.isInteger(v))) (out as Float64Array)[i] = v;
        else if (typeof v === 'bigint' && !isFloat) (out as Float64Array)[i] = Number(v);
        else badValue(t, v, column, i);
      }
      const { bitmap, nulls } = bitmapFrom(valid, n);
      return arrow.makeData({ type: type as arrow.Int32, length: n, nullCount: nulls, nullBitmap: nulls ? bitmap : null, data: out as Int32Array });
    }
    case 'utf8': case 'binary': {
      const parts: Uint8Array[] = new Array(n);
      const offsets = new Int32Array(n + 1);
      const valid = new Uint8Array(n);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        let bytes: Uint8Array;
        if (v === null || v === undefined) bytes = new Uint8Array(0);
        else if (t.kind === 'utf8' && typeof v === 'string') { bytes = encoder.encode(v); valid[i] = 1; }
        else if (t.kind === 'binary' && v instanceof Uint8Array) { bytes = v; valid[i] = 1; }
        else badValue(t, v, column, i);
        parts[i] = bytes;
        total += bytes.length;
        offsets[i + 1] = total;
      }
      const buf = new Uint8Array(total);
      for (let i = 0; i < n; i++) buf.set(parts[i]!, offsets[i]!);
      const { bitmap, nulls } = bitmapFrom(valid, n);
      return arrow.makeData({ type: type as arrow.Utf8, length: n, nullCount: nulls, nullBitmap: nulls ? bitmap : null, valueOffsets: offsets, data: buf });
    }
    case 'list': {
      const offsets = new Int32Array(n + 1);
      const valid = new Uint8Array(n);
      const flat: unknown[] = [];
      for (let i = 0; i < n; i++) {
        const v = values[i] as ArrayLike<unknown> | null | undefined;
        if (v !== null && v !== undefined) {
          if (typeof v !== 'object' || typeof (v as ArrayLike<unknown>).length !== 'number') badValue(t, v, column, i);
          valid[i] = 1;
          for (let j = 0; j < v.length; j++) flat.push(v[j]);
        }
        offsets[i + 1] = flat.length;
      }
      const child = buildData(t.item, flat, column);
      const { bitmap, nulls } = bitmapFrom(valid, n);
      return arrow.makeData({ type: type as arrow.List, length: n, nullCount: nulls, nullBitmap: nulls ? bitmap : null, valueOffsets: offsets, child });
    }
    case 'fixedSizeList': {
      const valid = new Uint8Array(n);
      const flat: unknown[] = new Array(n * t.size).fill(null);
      for (let i = 0; i < n; i++) {
        const v = values[i] as ArrayLike<unknown> | null | undefined;
        if (v === null || v === undefined) continue;
        if (typeof v !== 'object' || v.length !== t.size) badValue(t, v, column, i);
        valid[i] = 1;
        for (let j = 0; j < t.size; j++) flat[i * t.size + j] = v[j];
      }
      const child = buildData(t.item, flat, column);
      const { bitmap, nulls } = bitmapFrom(valid, n);
      return arrow.makeData({ type: type as arrow.FixedSizeList, length: n, nullCount: nulls, nullBitmap: nulls ? bitmap : null, child });
    }
    case 'struct': {
      const valid = new Uint8Array(n);
      const names = Object.keys(t.fields);
      const cols: unknown[][] = names.map(() => new Array(n).fill(null));
      for (let i = 0; i < n; i++) {
        const v = values[i] as Record<string, unknown> | null | undefined;
        if (v === null || v === undefined) continue;
        if (typeof v !== 'object') badValue(t, v, column, i);
        valid[i] = 1;
        names.forEach((k, j) => { cols[j]![i] = v[k] ?? null; });
      }
      const children = names.map((k, j) => buildData(t.fields[k]!, cols[j]!, column));
      const { bitmap, nulls } = bitmapFrom(valid, n);
      return arrow.makeData({ type: type as arrow.Struct, length: n, nullCount: nulls, nullBitmap: nulls ? bitmap : null, children });
    }
    case 'tensor': {
      const size = shapeSize(t.shape);
      const Ctor = typedArrayCtor(t.item);
      const flat = new Ctor(n * size);
      const valid = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i] as Tensor | ArrayLike<number> | null | undefined;
        if (v === null || v === undefined) continue;
        const data = tensorDataOf(v);
        if (!data || data.length !== size) badValue(t, v, column, i);
        if ('shape' in v && !sameShape(v.shape, t.shape)) {
          throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `tensor of shape [${v.shape.join(',')}] in a column of shape [${t.shape.join(',')}]`, {
            ...(column !== undefined ? { column } : {}), row: i, fix: 'reshape or resize the tensor, or declare a var_tensor column',
          });
        }
        valid[i] = 1;
        copyInto(flat, data, i * size);
      }
      const child = arrow.makeData({ type: toArrowType(t.item) as arrow.Int32, length: n * size, nullCount: 0, data: flat as Int32Array });
      const { bitmap, nulls } = bitmapFrom(valid, n);
      return arrow.makeData({ type: type as arrow.FixedSizeList, length: n, nullCount: nulls, nullBitmap: nulls ? bitmap : null, child });
    }
    case 'varTensor': {
      const Ctor = typedArrayCtor(t.item);
      const valid = new Uint8Array(n);
      const offsets = new Int32Array(n + 1);
      const shapes = new Int32Array(n * t.ndim);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const v = values[i] as Tensor | null | undefined;
        if (v !== null && v !== undefined) {
          if (typeof v !== 'object' || !('shape' in v) || v.shape.length !== t.ndim) badValue(t, v, column, i);
          if (shapeSize(v.shape) !== v.data.length) badValue(t, v, column, i);
          valid[i] = 1;
          for (let d = 0; d < t.ndim; d++) shapes[i * t.ndim + d] = v.shape[d]!;
          total += v.data.length;
        }
        offsets[i + 1] = total;
      }
      const flat = new Ctor(total);
      for (let i = 0; i < n; i++) if (valid[i]) copyInto(flat, (values[i] as Tensor).data, offsets[i]!);
      return varTensorData(t, n, flat, offsets, shapes, valid);
    }
  }
}

/** Assemble a variable-shape tensor column from flat data, per-row offsets and shapes. */
export function varTensorData(
  t: Extract<DType, { kind: 'varTensor' }>,
  n: number,
  flat: TypedArray,
  offsets: Int32Array,
  shapes: Int32Array,
  valid?: Uint8Array,
): arrow.Data {
  const type = toArrowType(t) as arrow.Struct;
  const itemType = toArrowType(t.item);
  const dataType = type.children[0]!.type as arrow.List;
  const shapeType = type.children[1]!.type as arrow.FixedSizeList;
  const values = arrow.makeData({ type: itemType as arrow.Int32, length: flat.length, nullCount: 0, data: flat as Int32Array });
  const dataList = arrow.makeData({ type: dataType, length: n, nullCount: 0, valueOffsets: offsets, child: values });
  const shapeChild = arrow.makeData({ type: new arrow.Int32(), length: n * t.ndim, nullCount: 0, data: shapes });
  const shapeList = arrow.makeData({ type: shapeType, length: n, nullCount: 0, child: shapeChild });
  const { bitmap, nulls } = valid ? bitmapFrom(valid, n) : { bitmap: null, nulls: 0 };
  return arrow.makeData({ type, length: n, nullCount: nulls, nullBitmap: nulls ? bitmap : null, children: [dataList, shapeList] });
}

function tensorDataOf(v: unknown): ArrayLike<number | bigint> | undefined {
  if (v && typeof v === 'object') {
    if ('data' in v && 'shape' in v) return (v as Tensor).data as ArrayLike<number>;
    if (typeof (v as ArrayLike<number>).length === 'number') return v as ArrayLike<number>;
  }
  return undefined;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function copyInto(dst: TypedArray, src: ArrayLike<number | bigint>, at: number): void {
  const big = dst instanceof BigInt64Array || dst instanceof BigUint64Array;
  if (ArrayBuffer.isView(src) && (src instanceof BigInt64Array || src instanceof BigUint64Array) === big) {
    (dst as Float64Array).set(src as Float64Array, at);
    return;
  }
  for (let j = 0; j < src.length; j++) {
    const x = src[j]!;
    (dst as Float64Array)[at + j] = (big ? BigInt(x) : Number(x)) as number;
  }
}

/**
 * Read the value at row i (null where null) as the dtype's JS value.
 *
 * arrow-js slicing rules (Data.slice): `offset` is the logical offset, used for the validity bitmap
 * and for bool bits; fixed-width value buffers, value-offset buffers and the children of
 * fixed-size lists and structs are already sliced; the children of lists and the bytes of
 * utf8/binary are not (value offsets index into them).
 */
export function getValue(t: DType, data: arrow.Data, i: number): unknown {
  if (!isValidAt(data, i)) return null;
  switch (t.kind) {
    case 'bool': { const j = data.offset + i; return ((data.values[j >> 3]! >> (j & 7)) & 1) === 1; }
    case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint16': case 'uint32':
    case 'float32': case 'float64': case 'int64': case 'uint64': case 'timestamp':
      return data.values[i];
    case 'utf8': case 'binary': {
      const o = data.valueOffsets as Int32Array;
      const bytes = (data.values as Uint8Array).subarray(o[i]!, o[i + 1]!);
      return t.kind === 'utf8' ? decoder.decode(bytes) : bytes.slice();
    }
    case 'list': {
      const o = data.valueOffsets as Int32Array;
      const child = data.children[0]!;
      const out: unknown[] = [];
      for (let k = o[i]!; k < o[i + 1]!; k++) out.push(getValue(t.item, child, k));
      return out;
    }
    case 'fixedSizeList': {
      const child = data.children[0]!;
      const out: unknown[] = [];
      for (let k = 0; k < t.size; k++) out.push(getValue(t.item, child, i * t.size + k));
      return out;
    }
    case 'struct': {
      const out: Record<string, unknown> = {};
      Object.keys(t.fields).forEach((k, c) => { out[k] = getValue(t.fields[k]!, data.children[c]!, i); });
      return out;
    }
    case 'tensor': {
      const size = shapeSize(t.shape);
      const child = data.children[0]!;
      return { data: (child.values as TypedArray).subarray(i * size, (i + 1) * size), shape: [...t.shape] } satisfies Tensor;
    }
    case 'varTensor': {
      const dataList = data.children[0]!;
      const shapeList = data.children[1]!;
      const o = dataList.valueOffsets as Int32Array;
      const child = dataList.children[0]!;
      const flat = (child.values as TypedArray).subarray(o[i]!, o[i + 1]!);
      const sc = shapeList.children[0]!;
      const shape = Array.from((sc.values as Int32Array).subarray(i * t.ndim, (i + 1) * t.ndim));
      return { data: flat, shape } satisfies Tensor;
    }
  }
}

/** All values of a column (a Data or a multi-chunk Vector) as a JS array. */
export function columnValues(t: DType, col: arrow.Data | arrow.Vector): unknown[] {
  const datas = col instanceof arrow.Vector ? col.data : [col];
  const out: unknown[] = [];
  for (const d of datas) for (let i = 0; i < d.length; i++) out.push(getValue(t, d, i));
  return out;
}

/** Whether row i of the data is non-null. */
export function isValid(data: arrow.Data, i: number): boolean {
  return isValidAt(data, i);
}

/** An all-null column of dtype t. */
export function nullData(t: DType, n: number): arrow.Data {
  return buildData(t, new Array(n).fill(null));
}
