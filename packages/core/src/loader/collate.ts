// The default collation: rows of one batch → typed arrays with shapes. Fixed-shape columns are
// stacked; lists and variable-shape tensors of numbers are padded to the longest row of the batch
// (or to padTo, rounded up to padMultiple) with a mask and per-row lengths. Values are read straight
// from the Arrow buffers by arrow-js slicing rules (see exec/column.ts getValue).
import type * as arrow from 'apache-arrow';
import type { DType, TypedArray } from '../types/dtype.ts';
import { typedArrayCtor } from '../types/dtype.ts';
import type { Schema } from '../types/schema.ts';
import { getValue, isValid } from '../exec/column.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { CollatedColumn, ColumnPlan } from './batch-options.ts';
import type { RowRef } from './order-rows.ts';

/** Padding counts of one batch: real and total elements per padded column. */
export type BatchPadding = Record<string, { real: number; padded: number }>;

function ctorOf(t: DType): { new (n: number): TypedArray } {
  return t.kind === 'bool' ? Uint8Array : typedArrayCtor(t);
}

function isBig(a: TypedArray): a is BigInt64Array | BigUint64Array {
  return a instanceof BigInt64Array || a instanceof BigUint64Array;
}

function readBool(data: arrow.Data, i: number): number {
  const j = data.offset + i;
  return ((data.values as Uint8Array)[j >> 3]! >> (j & 7)) & 1;
}

function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

function tooLong(column: string, rowId: number, what: string, len: number, padTo: number): never {
  throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `${what} is ${len}, longer than padTo ${padTo} (padding never truncates)`, {
    op: 'batches', column, row: rowId,
    fix: `raise padTo for '${column}', or truncate the column upstream (e.g. a text pad/truncate op) before batching`,
  });
}

/** Collate the rows of one batch. */
export function collateRows(schema: Schema, plans: readonly ColumnPlan[], rows: readonly RowRef[]): { columns: Record<string, CollatedColumn>; padding: BatchPadding } {
  const B = rows.length;
  const columns: Record<string, CollatedColumn> = {};
  const padding: BatchPadding = {};
  void schema;
  for (const p of plans) {
    const name = p.name;
    let valid: Uint8Array | undefined;
    const markNull = (b: number): void => {
      if (!valid) valid = new Uint8Array(B).fill(1);
      valid[b] = 0;
    };
    switch (p.kind) {
      case 'scalar': {
        const out = new (ctorOf(p.dtype))(B);
        const bool = p.dtype.kind === 'bool';
        for (let b = 0; b < B; b++) {
          const { c, i } = rows[b]!;
          const d = c.columns[name]!;
          if (!isValid(d, i)) { markNull(b); continue; }
          (out as Float64Array)[b] = bool ? readBool(d, i) : (d.values as Float64Array)[i]!;
        }
        columns[name] = { dtype: p.dtype, data: out, shape: [B], ...(valid ? { valid } : {}) };
        break;
      }
      case 'stack': {
        let size = 1;
        for (const s of p.cell) size *= s;
        const out = new (ctorOf(p.item))(B * size);
        for (let b = 0; b < B; b++) {
          const { c, i } = rows[b]!;
          const d = c.columns[name]!;
          if (!isValid(d, i)) { markNull(b); continue; }
          const src = d.children[0]!.values as Float64Array;
          (out as Float64Array).set(src.subarray(i * size, (i + 1) * size), b * size);
        }
        columns[name] = { dtype: p.dtype, data: out, shape: [B, ...p.cell], ...(valid ? { valid } : {}) };
        break;
      }
      case 'list': {
        const lengths = new Int32Array(B);
        let max = 0, real = 0;
        for (let b = 0; b < B; b++) {
          const { c, i } = rows[b]!;
          const d = c.columns[name]!;
          if (!isValid(d, i)) { markNull(b); continue; }
          const o = d.valueOffsets as Int32Array;
          const len = o[i + 1]! - o[i]!;
          lengths[b] = len;
          real += len;
          if (len > max) max = len;
          if (p.padTo !== null && len > p.padTo) tooLong(name, c.rowIds[i]!, 'list length', len, p.padTo);
        }
        const L = roundUp(p.padTo ?? max, p.multiple);
        const out = new (ctorOf(p.item))(B * L);
        if (p.value !== 0) isBig(out) ? out.fill(BigInt(p.value) as never) : (out as Float64Array).fill(p.value);
        const mask = new Uint8Array(B * L);
        const bool = p.item.kind === 'bool';
        for (let b = 0; b < B; b++) {
          const len = lengths[b]!;
          if (len === 0) continue;
          const { c, i } = rows[b]!;
          const d = c.columns[name]!;
          const start = (d.valueOffsets as Int32Array)[i]!;
          const child = d.children[0]!;
          if (bool) for (let k = 0; k < len; k++) out[b * L + k] = readBool(child, start + k);
          else (out as Float64Array).set((child.values as Float64Array).subarray(start, start + len), b * L);
          mask.fill(1, b * L, b * L + len);
        }
        padding[name] = { real, padded: B * L };
        columns[name] = { dtype: p.dtype, data: out, shape: [B, L], mask, lengths, ...(valid ? { valid } : {}) };
        break;
      }
      case 'varTensor': {
        const nd = p.ndim;
        const lengths = new Int32Array(B * nd);
        const max = new Array<number>(nd).fill(0);
        let real = 0;
        for (let b = 0; b < B; b++) {
          const { c, i } = rows[b]!;
          const d = c.columns[name]!;
          if (!isValid(d, i)) { markNull(b); continue; }
          const s = d.children[1]!.children[0]!.values as Int32Array;
          let n = 1;
          for (let k = 0; k < nd; k++) {
            const len = s[i * nd + k]!;
            lengths[b * nd + k] = len;
            n *= len;
            if (len > max[k]!) max[k] = len;
            const pt = p.padTo[k] ?? null;
            if (pt !== null && len > pt) tooLong(name, c.rowIds[i]!, `dimension ${k}`, len, pt);
          }
          real += n;
        }
        const P = max.map((m, k) => roundUp(p.padTo[k] ?? m, p.multiple[k]!));
        let cell = 1;
        for (const x of P) cell *= x;
        const out = new (ctorOf(p.item))(B * cell);
        if (p.value !== 0) isBig(out) ? out.fill(BigInt(p.value) as never) : (out as Float64Array).fill(p.value);
        const mask = new Uint8Array(B * cell);
        for (let b = 0; b < B; b++) {
          const shape = Array.from(lengths.subarray(b * nd, (b + 1) * nd));
          if ((valid && valid[b] === 0) || shape.some((x) => x === 0)) continue;
          const { c, i } = rows[b]!;
          const dl = c.columns[name]!.children[0]!;
          const start = (dl.valueOffsets as Int32Array)[i]!;
          copyPadded(dl.children[0]!.values as TypedArray, start, shape, out, mask, b * cell, P);
        }
        padding[name] = { real, padded: B * cell };
        columns[name] = { dtype: p.dtype, data: out, shape: [B, ...P], mask, lengths, ...(valid ? { valid } : {}) };
        break;
      }
      case 'values': {
        const out: unknown[] = new Array(B);
        for (let b = 0; b < B; b++) {
          const { c, i } = rows[b]!;
          const v = getValue(p.dtype, c.columns[name]!, i);
          if (v === null) markNull(b);
          out[b] = v;
        }
        columns[name] = { dtype: p.dtype, data: out, shape: [B], ...(valid ? { valid } : {}) };
        break;
      }
    }
  }
  return { columns, padding };
}

/** Copy a row-major tensor of `shape` into the top-left corner of a `padded`-shaped cell. */
function copyPadded(src: TypedArray, start: number, shape: readonly number[], dst: TypedArray, mask: Uint8Array, at: number, padded: readonly number[]): void {
  const nd = shape.length;
  if (nd === 0) { (dst as Float64Array)[at] = (src as Float64Array)[start]!; mask[at] = 1; return; }
  const run = shape[nd - 1]!;
  // Strides of the padded cell.
  const stride = new Array<number>(nd).fill(1);
  for (let k = nd - 2; k >= 0; k--) stride[k] = stride[k + 1]! * padded[k + 1]!;
  const idx = new Array<number>(nd - 1).fill(0);
  let s = start;
  for (;;) {
    let d = at;
    for (let k = 0; k < nd - 1; k++) d += idx[k]! * stride[k]!;
    (dst as Float64Array).set((src as Float64Array).subarray(s, s + run), d);
    mask.fill(1, d, d + run);
    s += run;
    let k = nd - 2;
    while (k >= 0) {
      idx[k]!++;
      if (idx[k]! < shape[k]!) break;
      idx[k] = 0;
      k--;
    }
    if (k < 0) break;
  }
}
