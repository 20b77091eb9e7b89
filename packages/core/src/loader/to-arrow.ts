// Collated batches as Arrow record batches. Every batch of a loader has the same schema (so they
// form one IPC stream): padded columns keep their list / var_tensor type with every row padded to
// the batch's length, next to `<name>_mask` (1 real, 0 padding) and `<name>_lengths`.
import * as arrow from 'apache-arrow';
import type { DType, TypedArray } from '../types/dtype.ts';
import { dt } from '../types/dtype.ts';
import { toArrowField, toArrowType } from '../types/arrow-types.ts';
import { buildData, varTensorData } from '../exec/column.ts';
import type { CollatedColumn, ColumnPlan } from './batch-options.ts';

function companions(p: ColumnPlan): [mask: DType, lengths: DType] | null {
  if (p.kind === 'list') return [dt.list(dt.uint8()), dt.int32()];
  if (p.kind === 'varTensor') return [dt.varTensor(dt.uint8(), p.ndim), dt.tensor(dt.int32(), [p.ndim])];
  return null;
}

/** The Arrow schema of a loader's batches. */
export function batchArrowSchema(plans: readonly ColumnPlan[], metadata?: Map<string, string>): arrow.Schema {
  const fields: arrow.Field[] = [];
  for (const p of plans) {
    fields.push(toArrowField(p.name, p.dtype));
    const c = companions(p);
    if (c) {
      fields.push(toArrowField(`${p.name}_mask`, c[0], false));
      fields.push(toArrowField(`${p.name}_lengths`, c[1]));
    }
  }
  return new arrow.Schema(fields, metadata);
}

function bitmap(valid: Uint8Array | undefined, n: number): { nullBitmap: Uint8Array | null; nullCount: number } {
  if (!valid) return { nullBitmap: null, nullCount: 0 };
  const bits = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) { if (valid[i]) bits[i >> 3]! |= 1 << (i & 7); else nulls++; }
  return { nullBitmap: nulls ? bits : null, nullCount: nulls };
}

function primitive(t: DType, values: TypedArray | Uint8Array, valid?: Uint8Array): arrow.Data {
  if (t.kind === 'bool') {
    const vals = Array.from(values as Uint8Array, (x, i) => (valid && !valid[i] ? null : x === 1));
    return buildData(t, vals);
  }
  return arrow.makeData({ type: toArrowType(t) as arrow.Int32, length: values.length, ...bitmap(valid, values.length), data: values as Int32Array });
}

function offsets(n: number, step: number): Int32Array {
  const o = new Int32Array(n + 1);
  for (let i = 0; i <= n; i++) o[i] = i * step;
  return o;
}

/** One collated batch as a record batch of `schema` (from batchArrowSchema). */
export function toRecordBatch(schema: arrow.Schema, plans: readonly ColumnPlan[], size: number, cols: Record<string, CollatedColumn>): arrow.RecordBatch {
  const children: arrow.Data[] = [];
  for (const p of plans) {
    const c = cols[p.name]!;
    switch (p.kind) {
      case 'scalar':
        children.push(primitive(p.dtype, c.data as TypedArray, c.valid));
        break;
      case 'stack': {
        const type = toArrowType(p.dtype) as arrow.FixedSizeList;
        const child = primitive(p.item, c.data as TypedArray);
        children.push(arrow.makeData({ type, length: size, ...bitmap(c.valid, size), child }));
        break;
      }
      case 'values':
        children.push(buildData(p.dtype, c.data as unknown[], p.name));
        break;
      case 'list': {
        const L = c.shape[1]!;
        const type = toArrowType(p.dtype) as arrow.List;
        children.push(arrow.makeData({ type, length: size, nullCount: 0, valueOffsets: offsets(size, L), child: primitive(p.item, c.data as TypedArray) }));
        children.push(arrow.makeData({ type: toArrowType(dt.list(dt.uint8())) as arrow.List, length: size, nullCount: 0, valueOffsets: offsets(size, L), child: primitive(dt.uint8(), c.mask!) }));
        children.push(primitive(dt.int32(), c.lengths!, c.valid));
        break;
      }
      case 'varTensor': {
        const P = c.shape.slice(1);
        let cell = 1;
        for (const x of P) cell *= x;
        const shapes = new Int32Array(size * p.ndim);
        for (let b = 0; b < size; b++) shapes.set(P, b * p.ndim);
        const o = offsets(size, cell);
        children.push(varTensorData(p.dtype as Extract<DType, { kind: 'varTensor' }>, size, c.data as TypedArray, o, shapes));
        children.push(varTensorData(dt.varTensor(dt.uint8(), p.ndim), size, c.mask!, o, shapes));
        const lt = toArrowType(dt.tensor(dt.int32(), [p.ndim])) as arrow.FixedSizeList;
        children.push(arrow.makeData({ type: lt, length: size, ...bitmap(c.valid, size), child: primitive(dt.int32(), c.lengths!) }));
        break;
      }
    }
  }
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length: size, nullCount: 0, children });
  return new arrow.RecordBatch(schema, data);
}
