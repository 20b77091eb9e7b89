// dtype ↔ Arrow type mapping. Tensors become Arrow's canonical extension types (field metadata
// `ARROW:extension:name`), which pyarrow, pandas, Ray and DuckDB understand.
import * as arrow from 'apache-arrow';
import type { DType, FixedShapeTensor, TensorItem, TimeUnit, VariableShapeTensor } from './dtype.ts';
import { dt, dtypeToString } from './dtype.ts';
import type { Schema } from './schema.ts';
import { SchemaError } from '../errors.ts';

export const EXT_NAME = 'ARROW:extension:name';
export const EXT_META = 'ARROW:extension:metadata';
export const FIXED_SHAPE_TENSOR = 'arrow.fixed_shape_tensor';
export const VARIABLE_SHAPE_TENSOR = 'arrow.variable_shape_tensor';

const UNIT: Record<TimeUnit, arrow.TimeUnit> = {
  s: arrow.TimeUnit.SECOND,
  ms: arrow.TimeUnit.MILLISECOND,
  us: arrow.TimeUnit.MICROSECOND,
  ns: arrow.TimeUnit.NANOSECOND,
};

/** Shared instances of the parameterless Arrow types (not mutated once made). */
const SCALAR: Partial<Record<DType['kind'], arrow.DataType>> = {};

/**
 * The Arrow storage type of a dtype (extension metadata lives on the field, see toArrowField).
 * The executor asks for it per batch and column, often for dtype objects that just arrived from
 * another thread: scalar kinds share one instance (no per-object cache, which would grow with every
 * message), the others are built.
 */
export function toArrowType(t: DType): arrow.DataType {
  switch (t.kind) {
    case 'bool': case 'int8': case 'int16': case 'int32': case 'int64': case 'uint8': case 'uint16': case 'uint32': case 'uint64':
    case 'float32': case 'float64': case 'utf8': case 'binary':
      return (SCALAR[t.kind] ??= makeArrowType(t));
    default:
      return makeArrowType(t);
  }
}

function makeArrowType(t: DType): arrow.DataType {
  switch (t.kind) {
    case 'bool': return new arrow.Bool();
    case 'int8': return new arrow.Int8();
    case 'int16': return new arrow.Int16();
    case 'int32': return new arrow.Int32();
    case 'int64': return new arrow.Int64();
    case 'uint8': return new arrow.Uint8();
    case 'uint16': return new arrow.Uint16();
    case 'uint32': return new arrow.Uint32();
    case 'uint64': return new arrow.Uint64();
    case 'float32': return new arrow.Float32();
    case 'float64': return new arrow.Float64();
    case 'utf8': return new arrow.Utf8();
    case 'binary': return new arrow.Binary();
    case 'timestamp': return new arrow.Timestamp(UNIT[t.unit], t.tz);
    case 'list': return new arrow.List(toArrowField('item', t.item));
    case 'fixedSizeList': return new arrow.FixedSizeList(t.size, toArrowField('item', t.item));
    case 'struct': return new arrow.Struct(Object.entries(t.fields).map(([k, v]) => toArrowField(k, v)));
    case 'tensor': {
      let n = 1;
      for (const d of t.shape) n *= d;
      return new arrow.FixedSizeList(n, new arrow.Field('item', toArrowType(t.item), false));
    }
    case 'varTensor':
      return new arrow.Struct([
        new arrow.Field('data', new arrow.List(new arrow.Field('item', toArrowType(t.item), false)), false),
        new arrow.Field('shape', new arrow.FixedSizeList(t.ndim, new arrow.Field('item', new arrow.Int32(), false)), false),
      ]);
  }
}

/** An Arrow field for a column, with extension metadata for tensor dtypes. */
export function toArrowField(name: string, t: DType, nullable = true): arrow.Field {
  const meta = new Map<string, string>();
  if (t.kind === 'tensor') {
    meta.set(EXT_NAME, FIXED_SHAPE_TENSOR);
    const m: Record<string, unknown> = { shape: [...t.shape] };
    if (t.dimNames) m.dim_names = [...t.dimNames];
    meta.set(EXT_META, JSON.stringify(m));
  } else if (t.kind === 'varTensor') {
    meta.set(EXT_NAME, VARIABLE_SHAPE_TENSOR);
    const m: Record<string, unknown> = {};
    if (t.uniformShape) m.uniform_shape = [...t.uniformShape];
    if (t.dimNames) m.dim_names = [...t.dimNames];
    meta.set(EXT_META, JSON.stringify(m));
  }
  return new arrow.Field(name, toArrowType(t), nullable, meta);
}

export function toArrowSchema(s: Schema): arrow.Schema {
  return new arrow.Schema(Object.entries(s).map(([k, v]) => toArrowField(k, v)));
}

function fromArrowNumeric(type: arrow.DataType, where: string): TensorItem {
  const d = fromArrowType(type, new Map(), where);
  switch (d.kind) {
    case 'int8': case 'int16': case 'int32': case 'int64':
    case 'uint8': case 'uint16': case 'uint32': case 'uint64':
    case 'float32': case 'float64':
      return d;
    default:
      throw new SchemaError('MF_SCHEMA', `tensor of ${dtypeToString(d)} is not supported`, { column: where, fix: 'use a numeric item type' });
  }
}

/** The dtype of an Arrow field, reading tensor extension metadata. */
export function fromArrowField(f: arrow.Field): DType {
  return fromArrowType(f.type, f.metadata, f.name);
}

function fromArrowType(type: arrow.DataType, meta: Map<string, string>, where: string): DType {
  const ext = meta.get(EXT_NAME);
  if (ext === FIXED_SHAPE_TENSOR && arrow.DataType.isFixedSizeList(type)) {
    const m = JSON.parse(meta.get(EXT_META) ?? '{}') as { shape?: number[]; dim_names?: string[] };
    const item = fromArrowNumeric(type.children[0]!.type, where);
    const shape = m.shape ?? [type.listSize];
    const out: FixedShapeTensor = m.dim_names ? dt.tensor(item, shape, { dimNames: m.dim_names }) : dt.tensor(item, shape);
    return out;
  }
  if (ext === VARIABLE_SHAPE_TENSOR && arrow.DataType.isStruct(type)) {
    const m = JSON.parse(meta.get(EXT_META) ?? '{}') as { uniform_shape?: (number | null)[]; dim_names?: string[] };
    const dataF = type.children.find((c) => c.name === 'data');
    const shapeF = type.children.find((c) => c.name === 'shape');
    if (!dataF || !shapeF || !arrow.DataType.isList(dataF.type) || !arrow.DataType.isFixedSizeList(shapeF.type)) {
      throw new SchemaError('MF_SCHEMA', 'arrow.variable_shape_tensor field must be struct<data: list, shape: fixed_size_list<int32>>', { column: where });
    }
    const item = fromArrowNumeric(dataF.type.children[0]!.type, where);
    const opts: { uniformShape?: (number | null)[]; dimNames?: string[] } = {};
    if (m.uniform_shape) opts.uniformShape = m.uniform_shape;
    if (m.dim_names) opts.dimNames = m.dim_names;
    const out: VariableShapeTensor = dt.varTensor(item, shapeF.type.listSize, opts);
    return out;
  }
  switch (type.typeId) {
    case arrow.Type.Bool: return dt.bool();
    case arrow.Type.Int: {
      const t = type as arrow.Int;
      const name = `${t.isSigned ? 'int' : 'uint'}${t.bitWidth}` as 'int8';
      return { kind: name };
    }
    case arrow.Type.Float: {
      const t = type as arrow.Float;
      if (t.precision === arrow.Precision.SINGLE) return dt.float32();
      if (t.precision === arrow.Precision.DOUBLE) return dt.float64();
      break;
    }
    case arrow.Type.Utf8:
    case arrow.Type.LargeUtf8:
      return dt.utf8();
    case arrow.Type.Binary:
    case arrow.Type.LargeBinary:
      return dt.binary();
    case arrow.Type.Timestamp: {
      const t = type as arrow.Timestamp;
      const unit = (['s', 'ms', 'us', 'ns'] as const)[t.unit]!;
      return dt.timestamp(unit, t.timezone ?? null);
    }
    case arrow.Type.List: return dt.list(fromArrowField((type as arrow.List).children[0]!));
    case arrow.Type.FixedSizeList: {
      const t = type as arrow.FixedSizeList;
      return dt.fixedSizeList(fromArrowField(t.children[0]!), t.listSize);
    }
    case arrow.Type.Struct: {
      const fields: Record<string, DType> = {};
      for (const c of (type as arrow.Struct).children) fields[c.name] = fromArrowField(c);
      return dt.struct(fields);
    }
    default:
      break;
  }
  throw new SchemaError('MF_SCHEMA', `Arrow type ${String(type)} is not supported`, {
    column: where,
    fix: 'cast the column to a supported type (bool, ints, floats, utf8, binary, timestamp, list, fixed_size_list, struct, tensor) before reading',
  });
}

export function fromArrowSchema(s: arrow.Schema): Schema {
  const out: Record<string, DType> = {};
  for (const f of s.fields) {
    if (f.name in out) throw new SchemaError('MF_SCHEMA', `duplicate column name '${f.name}'`, { column: f.name, fix: 'rename one of the columns' });
    out[f.name] = fromArrowField(f);
  }
  return out;
}
