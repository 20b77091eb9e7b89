// Column dtypes as plain, serializable data. Each dtype carries a phantom `__value` member so the
// TypeScript type of a row value follows from the dtype (the arrow-js idea, see STYLE.md), while
// the runtime object stays a plain JSON-able description that can cross worker threads.

export type TimeUnit = 's' | 'ms' | 'us' | 'ns';

/** The JS value of a tensor cell: a flat typed array in row-major order plus its shape. */
export interface Tensor<A extends TypedArray = TypedArray> {
  readonly data: A;
  readonly shape: readonly number[];
}

export type TypedArray =
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

declare const phantom: unique symbol;
interface Typed<V> {
  /** Phantom: the JS type of one value of this dtype. Never present at runtime. */
  readonly [phantom]?: V;
}

export interface Bool extends Typed<boolean> { readonly kind: 'bool' }
export interface Int8 extends Typed<number> { readonly kind: 'int8' }
export interface Int16 extends Typed<number> { readonly kind: 'int16' }
export interface Int32 extends Typed<number> { readonly kind: 'int32' }
export interface Int64 extends Typed<bigint> { readonly kind: 'int64' }
export interface Uint8 extends Typed<number> { readonly kind: 'uint8' }
export interface Uint16 extends Typed<number> { readonly kind: 'uint16' }
export interface Uint32 extends Typed<number> { readonly kind: 'uint32' }
export interface Uint64 extends Typed<bigint> { readonly kind: 'uint64' }
export interface Float32 extends Typed<number> { readonly kind: 'float32' }
export interface Float64 extends Typed<number> { readonly kind: 'float64' }
export interface Utf8 extends Typed<string> { readonly kind: 'utf8' }
export interface Binary extends Typed<Uint8Array> { readonly kind: 'binary' }
/** Timestamps are counts of `unit` since the Unix epoch, as bigint (ns does not fit a double). */
export interface Timestamp<U extends TimeUnit = TimeUnit> extends Typed<bigint> {
  readonly kind: 'timestamp';
  readonly unit: U;
  readonly tz: string | null;
}
export interface List<T extends DType = DType> extends Typed<ValueOf<T>[]> {
  readonly kind: 'list';
  readonly item: T;
}
export interface FixedSizeList<T extends DType = DType, N extends number = number>
  extends Typed<ValueOf<T>[]> {
  readonly kind: 'fixedSizeList';
  readonly item: T;
  readonly size: N;
}
export interface Struct<F extends { readonly [k: string]: DType } = { readonly [k: string]: DType }>
  extends Typed<{ [K in keyof F]: ValueOf<F[K]> | null }> {
  readonly kind: 'struct';
  readonly fields: F;
}
/** Numeric dtypes a tensor may hold. */
export type TensorItem = Int8 | Int16 | Int32 | Int64 | Uint8 | Uint16 | Uint32 | Uint64 | Float32 | Float64;
/** Fixed-shape tensor, stored as Arrow's canonical `arrow.fixed_shape_tensor` extension. */
export interface FixedShapeTensor<T extends TensorItem = TensorItem, Shape extends readonly number[] = readonly number[]>
  extends Typed<Tensor<ArrayOf<T>>> {
  readonly kind: 'tensor';
  readonly item: T;
  readonly shape: Shape;
  readonly dimNames?: readonly string[];
}
/** Variable-shape tensor of fixed rank, stored as Arrow's canonical `arrow.variable_shape_tensor`. */
export interface VariableShapeTensor<T extends TensorItem = TensorItem, Ndim extends number = number>
  extends Typed<Tensor<ArrayOf<T>>> {
  readonly kind: 'varTensor';
  readonly item: T;
  readonly ndim: Ndim;
  /** Sizes known for every row (null where the dimension varies), like the extension's uniform_shape. */
  readonly uniformShape?: readonly (number | null)[];
  readonly dimNames?: readonly string[];
}

export type DType =
  | Bool
  | Int8
  | Int16
  | Int32
  | Int64
  | Uint8
  | Uint16
  | Uint32
  | Uint64
  | Float32
  | Float64
  | Utf8
  | Binary
  | Timestamp
  | List
  | FixedSizeList
  | Struct
  | FixedShapeTensor
  | VariableShapeTensor;

export type DTypeKind = DType['kind'];

/** The JS type of one non-null value of dtype T. */
export type ValueOf<T> = T extends Typed<infer V> ? V : never;

/** The typed array that backs a numeric dtype. */
export type ArrayOf<T extends DType> = T extends Int8
  ? Int8Array
  : T extends Int16
    ? Int16Array
    : T extends Int32
      ? Int32Array
      : T extends Int64
        ? BigInt64Array
        : T extends Uint8
          ? Uint8Array
          : T extends Uint16
            ? Uint16Array
            : T extends Uint32
              ? Uint32Array
              : T extends Uint64
                ? BigUint64Array
                : T extends Float32
                  ? Float32Array
                  : T extends Float64
                    ? Float64Array
                    : TypedArray;

export type NumericDType = Int8 | Int16 | Int32 | Int64 | Uint8 | Uint16 | Uint32 | Uint64 | Float32 | Float64;

/** Dtype constructors. `dt.tensor(dt.float32(), [3, 224, 224])`, `dt.list(dt.int32())`. */
export const dt = {
  bool: (): Bool => ({ kind: 'bool' }),
  int8: (): Int8 => ({ kind: 'int8' }),
  int16: (): Int16 => ({ kind: 'int16' }),
  int32: (): Int32 => ({ kind: 'int32' }),
  int64: (): Int64 => ({ kind: 'int64' }),
  uint8: (): Uint8 => ({ kind: 'uint8' }),
  uint16: (): Uint16 => ({ kind: 'uint16' }),
  uint32: (): Uint32 => ({ kind: 'uint32' }),
  uint64: (): Uint64 => ({ kind: 'uint64' }),
  float32: (): Float32 => ({ kind: 'float32' }),
  float64: (): Float64 => ({ kind: 'float64' }),
  utf8: (): Utf8 => ({ kind: 'utf8' }),
  binary: (): Binary => ({ kind: 'binary' }),
  timestamp: <U extends TimeUnit>(unit: U, tz: string | null = null): Timestamp<U> => ({ kind: 'timestamp', unit, tz }),
  list: <T extends DType>(item: T): List<T> => ({ kind: 'list', item }),
  fixedSizeList: <T extends DType, N extends number>(item: T, size: N): FixedSizeList<T, N> => {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`fixedSizeList size must be a non-negative integer, got ${size}`);
    return { kind: 'fixedSizeList', item, size };
  },
  struct: <F extends { readonly [k: string]: DType }>(fields: F): Struct<F> => ({ kind: 'struct', fields }),
  tensor: <T extends TensorItem, const Shape extends readonly number[]>(
    item: T,
    shape: Shape,
    opts: { dimNames?: readonly string[] } = {},
  ): FixedShapeTensor<T, Shape> => {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`tensor shape must hold non-negative integers, got [${shape.join(', ')}]`);
    }
    return opts.dimNames ? { kind: 'tensor', item, shape, dimNames: opts.dimNames } : { kind: 'tensor', item, shape };
  },
  varTensor: <T extends TensorItem, N extends number>(
    item: T,
    ndim: N,
    opts: { uniformShape?: readonly (number | null)[]; dimNames?: readonly string[] } = {},
  ): VariableShapeTensor<T, N> => {
    if (!Number.isInteger(ndim) || ndim < 0) throw new RangeError(`varTensor ndim must be a non-negative integer, got ${ndim}`);
    if (opts.uniformShape && opts.uniformShape.length !== ndim) {
      throw new RangeError(`varTensor uniformShape has ${opts.uniformShape.length} entries, expected ndim=${ndim}`);
    }
    const out: VariableShapeTensor<T, N> = { kind: 'varTensor', item, ndim };
    return Object.assign(out, opts.uniformShape ? { uniformShape: opts.uniformShape } : {}, opts.dimNames ? { dimNames: opts.dimNames } : {});
  },
} as const;

const INTEGER_KINDS = new Set(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64']);
const FLOAT_KINDS = new Set(['float32', 'float64']);

export function isInteger(t: DType): boolean {
  return INTEGER_KINDS.has(t.kind);
}
export function isFloat(t: DType): boolean {
  return FLOAT_KINDS.has(t.kind);
}
export function isNumeric(t: DType): t is NumericDType {
  return INTEGER_KINDS.has(t.kind) || FLOAT_KINDS.has(t.kind);
}
export function isBigIntKind(t: DType): boolean {
  return t.kind === 'int64' || t.kind === 'uint64' || t.kind === 'timestamp';
}
export function isTensor(t: DType): t is FixedShapeTensor | VariableShapeTensor {
  return t.kind === 'tensor' || t.kind === 'varTensor';
}

/** Constructor of the typed array that stores a numeric (or timestamp/bool-as-byte) dtype. */
export function typedArrayCtor(t: DType): { new (n: number): TypedArray; new (b: ArrayBufferLike, o?: number, l?: number): TypedArray; BYTES_PER_ELEMENT: number } {
  switch (t.kind) {
    case 'int8': return Int8Array;
    case 'int16': return Int16Array;
    case 'int32': return Int32Array;
    case 'int64': return BigInt64Array;
    case 'uint8': return Uint8Array;
    case 'uint16': return Uint16Array;
    case 'uint32': return Uint32Array;
    case 'uint64': return BigUint64Array;
    case 'float32': return Float32Array;
    case 'float64': return Float64Array;
    case 'timestamp': return BigInt64Array;
    default: throw new TypeError(`dtype ${dtypeToString(t)} has no typed-array storage`);
  }
}

/** Product of a shape's dimensions. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Human-readable dtype, used in plans and error messages: `tensor<float32>[3,224,224]`. */
export function dtypeToString(t: DType): string {
  switch (t.kind) {
    case 'timestamp': return `timestamp[${t.unit}${t.tz ? `, ${t.tz}` : ''}]`;
    case 'list': return `list<${dtypeToString(t.item)}>`;
    case 'fixedSizeList': return `fixed_size_list<${dtypeToString(t.item)}>[${t.size}]`;
    case 'struct': return `struct<${Object.entries(t.fields).map(([k, v]) => `${k}: ${dtypeToString(v)}`).join(', ')}>`;
    case 'tensor': return `tensor<${t.item.kind}>[${t.shape.join(',')}]`;
    case 'varTensor': return `var_tensor<${t.item.kind}>[ndim=${t.ndim}]`;
    default: return t.kind;
  }
}

/** Structural equality of dtypes (dimension names included). */
export function dtypeEquals(a: DType, b: DType): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'timestamp': { const o = b as Timestamp; return a.unit === o.unit && a.tz === o.tz; }
    case 'list': return dtypeEquals(a.item, (b as List).item);
    case 'fixedSizeList': { const o = b as FixedSizeList; return a.size === o.size && dtypeEquals(a.item, o.item); }
    case 'struct': {
      const o = b as Struct; const ka = Object.keys(a.fields); const kb = Object.keys(o.fields);
      return ka.length === kb.length && ka.every((k, i) => k === kb[i] && dtypeEquals(a.fields[k]!, o.fields[k]!));
    }
    case 'tensor': { const o = b as FixedShapeTensor; return a.item.kind === o.item.kind && a.shape.length === o.shape.length && a.shape.every((d, i) => d === o.shape[i]); }
    case 'varTensor': { const o = b as VariableShapeTensor; return a.item.kind === o.item.kind && a.ndim === o.ndim; }
    default: return true;
  }
}

/**
 * Whether a column of dtype `actual` may feed an op input declared as `expected`. Equal dtypes
 * match; a fixed-shape tensor satisfies a variable-shape tensor of the same item and rank.
 */
export function dtypeAccepts(expected: DType, actual: DType): boolean {
  if (dtypeEquals(expected, actual)) return true;
  if (expected.kind === 'varTensor' && actual.kind === 'tensor') {
    return expected.item.kind === actual.item.kind && expected.ndim === actual.shape.length;
  }
  return false;
}
