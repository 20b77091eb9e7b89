// The shared batched runner of every encode op: rows of a record batch are stacked into the model's
// batch axis (views, no copy, when the rows already lie back to back in the column), rows of
// different shapes are either padded (with masks derived from the real lengths) or run in groups of
// equal shape, and groups are split to a maximum batch size. Bad rows (wrong shape, NaN, a model
// error that a row alone reproduces) become per-row errors under the run's policy.
import type * as arrow from 'apache-arrow';
import type { DType, Tensor, TensorItem, TypedArray } from '../types/dtype.ts';
import { shapeSize, typedArrayCtor } from '../types/dtype.ts';
import { getValue, isValid } from '../exec/column.ts';
import type { KernelContext } from '../ops/define-op.ts';
import { ModaflowError } from '../errors.ts';
import type { TensorSignature } from './model-signature.ts';
import { signatureToString } from './model-signature.ts';
import type { SessionHandle } from './session-cache.ts';
import { recordRun } from './session-cache.ts';

/** Per-row views of a column that feeds a model (null where the value is null). No copies. */
export function columnCells(t: DType, data: arrow.Data): (Tensor | null)[] {
  const n = data.length;
  const out: (Tensor | null)[] = new Array(n);
  switch (t.kind) {
    case 'tensor': case 'varTensor':
      for (let i = 0; i < n; i++) out[i] = getValue(t, data, i) as Tensor | null;
      return out;
    case 'list': {
      const o = data.valueOffsets as Int32Array;
      const vals = data.children[0]!.values as TypedArray;
      for (let i = 0; i < n; i++) out[i] = isValid(data, i) ? { data: vals.subarray(o[i]!, o[i + 1]!), shape: [o[i + 1]! - o[i]!] } : null;
      return out;
    }
    case 'fixedSizeList': {
      const vals = data.children[0]!.values as TypedArray;
      for (let i = 0; i < n; i++) out[i] = isValid(data, i) ? { data: vals.subarray(i * t.size, (i + 1) * t.size), shape: [t.size] } : null;
      return out;
    }
    default: {
      const vals = data.values as TypedArray;
      for (let i = 0; i < n; i++) out[i] = isValid(data, i) ? { data: vals.subarray(i, i + 1), shape: [] } : null;
      return out;
    }
  }
}

/** A model input fed from a column, one row per batch element. */
export interface ColumnFeed {
  /** Model input. */
  readonly input: TensorSignature;
  /** Column name, for error messages. */
  readonly column: string;
  /** Row views (columnCells). */
  readonly cells: readonly (Tensor | null)[];
  /** When set, rows of different shapes are padded to the largest with this value; else grouped by shape. */
  readonly pad?: number;
  /** Reject rows holding NaN or ±Infinity (float inputs only; default true). */
  readonly checkFinite?: boolean;
}

/** A model input made from another feed's padding: 1 on real positions, 0 on padding; or all zeros. */
export interface DerivedFeed {
  readonly input: TensorSignature;
  readonly kind: 'mask' | 'zeros';
  /** Model input name of the feed whose shape it takes. */
  readonly like: string;
}

export interface RunSpec {
  readonly handle: SessionHandle;
  readonly feeds: readonly ColumnFeed[];
  readonly derived?: readonly DerivedFeed[];
  /** Model outputs to fetch. */
  readonly outputs: readonly string[];
  /** Largest number of rows per session.run. */
  readonly maxBatch: number;
  /** Reject rows whose outputs hold NaN or ±Infinity (default true). */
  readonly checkOutputs?: boolean;
}

/** Per row: one tensor per requested output (batch axis removed), or null for null and bad rows. */
export type RowOutputs = (readonly Tensor[] | null)[];

function ctorOf(item: TensorItem) {
  return typedArrayCtor(item);
}

const ORT_TYPE: Partial<Record<TensorItem['kind'], string>> = {
  float32: 'float32', float64: 'float64', int8: 'int8', uint8: 'uint8', int16: 'int16', uint16: 'uint16',
  int32: 'int32', uint32: 'uint32', int64: 'int64', uint64: 'uint64',
};

function hasNonFinite(a: TypedArray): boolean {
  if (!(a instanceof Float32Array || a instanceof Float64Array)) return false;
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return true;
  return false;
}

function shapeKey(s: readonly number[]): string {
  return s.join('x');
}

/** Copy `src` into `dst` at `at`, converting element types (int64 needs bigint). */
function copyConvert(dst: TypedArray, src: TypedArray, at: number): void {
  const dBig = dst instanceof BigInt64Array || dst instanceof BigUint64Array;
  const sBig = src instanceof BigInt64Array || src instanceof BigUint64Array;
  if (dBig === sBig) { (dst as Float32Array).set(src as Float32Array, at); return; }
  if (dBig) for (let k = 0; k < src.length; k++) (dst as BigInt64Array)[at + k] = BigInt(src[k] as number);
  else for (let k = 0; k < src.length; k++) (dst as Float32Array)[at + k] = Number(src[k]);
}

/** Copy a row tensor of shape `shape` into a padded block of shape `dims` (same rank), row-major. */
function copyPadded(dst: TypedArray, base: number, dims: readonly number[], src: TypedArray, shape: readonly number[]): void {
  const r = shape.length;
  if (r === 0 || shape.every((d, i) => d === dims[i])) { copyConvert(dst, src, base); return; }
  // Copy innermost runs; iterate the outer indices with a counter.
  const inner = shape[r - 1]!;
  const outerCount = shapeSize(shape.slice(0, r - 1));
  const idx = new Array(Math.max(0, r - 1)).fill(0);
  const strides = new Array(r).fill(1);
  for (let d = r - 2; d >= 0; d--) strides[d] = strides[d + 1] * dims[d + 1]!;
  for (let o = 0; o < outerCount; o++) {
    let off = base;
    for (let d = 0; d < r - 1; d++) off += idx[d] * strides[d];
    copyConvert(dst, src.subarray(o * inner, (o + 1) * inner), off);
    for (let d = r - 2; d >= 0; d--) { if (++idx[d] < shape[d]!) break; idx[d] = 0; }
  }
}

/** Rows laid out back to back in one buffer (a fixed-shape column without nulls): feed a view. */
function contiguousView(cells: readonly Tensor[], item: TensorItem): TypedArray | null {
  const first = cells[0]!.data;
  const Ctor = ctorOf(item);
  if (!(first instanceof Ctor)) return null;
  let end = first.byteOffset + first.byteLength;
  for (let k = 1; k < cells.length; k++) {
    const d = cells[k]!.data;
    if (d.buffer !== first.buffer || d.byteOffset !== end) return null;
    end += d.byteLength;
  }
  return new Ctor(first.buffer, first.byteOffset, (end - first.byteOffset) / Ctor.BYTES_PER_ELEMENT);
}

/**
 * Run the model over the rows of a batch. Returns per-row outputs (null for null rows and for rows
 * reported through ctx.rowError). Throws only for errors that are not about a row.
 */
export async function runBatched(spec: RunSpec, n: number, ctx: KernelContext<unknown, unknown>): Promise<RowOutputs> {
  const result: RowOutputs = new Array(n).fill(null);
  const rows: number[] = [];
  // Per-row checks first, so one bad row never fails its neighbours' batch.
  rowLoop: for (let i = 0; i < n; i++) {
    for (const f of spec.feeds) {
      const c = f.cells[i];
      if (!c) continue rowLoop;
      const want = f.input.shape;
      const bad = (why: string) => ctx.rowError(i, new ModaflowError('MF_DTYPE_MISMATCH', why, {
        op: ctx.op, column: f.column, fix: 'make every row the shape the model takes (resize, crop, pad), or filter such rows out first',
      }), { column: f.column, code: 'MF_DTYPE_MISMATCH' });
      if (want.length > 0 && c.shape.length !== want.length - 1) {
        bad(`row has shape [${c.shape.join(',')}] but model input '${f.input.name}' is ${signatureToString(f.input)}`);
        continue rowLoop;
      }
      for (let d = 0; d < c.shape.length; d++) {
        const m = want[d + 1];
        if (typeof m === 'number' && m !== c.shape[d]) {
          bad(`row has shape [${c.shape.join(',')}] but model input '${f.input.name}' is ${signatureToString(f.input)}`);
          continue rowLoop;
        }
      }
      if (c.shape.some((d) => d === 0) && f.pad === undefined) {
        bad(`row is empty (shape [${c.shape.join(',')}])`);
        continue rowLoop;
      }
      if (f.checkFinite !== false && hasNonFinite(c.data)) {
        ctx.rowError(i, new ModaflowError('MF_ROW_ERROR', `row holds NaN or Infinity, which model input '${f.input.name}' would propagate into the output`, {
          op: ctx.op, column: f.column, fix: 'fix or filter the source values (e.g. a quality filter), or set checkFinite: false to pass them through',
        }), { column: f.column, code: 'MF_ROW_ERROR' });
        continue rowLoop;
      }
    }
    rows.push(i);
  }
  // Group rows that can share a session.run: equal shapes on every unpadded feed.
  const groups = new Map<string, number[]>();
  for (const i of rows) {
    const key = spec.feeds.map((f) => (f.pad === undefined ? shapeKey(f.cells[i]!.shape) : '*')).join('|');
    let gr = groups.get(key);
    if (!gr) groups.set(key, (gr = []));
    gr.push(i);
  }
  for (const gr of groups.values()) {
    for (let s = 0; s < gr.length; s += spec.maxBatch) {
      if (ctx.signal.aborted) return result;
      await runGroup(spec, gr.slice(s, s + spec.maxBatch), result, ctx);
    }
  }
  return result;
}

async function runGroup(spec: RunSpec, rows: readonly number[], result: RowOutputs, ctx: KernelContext<unknown, unknown>): Promise<void> {
  const { ort, session } = spec.handle;
  const B = rows.length;
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
  const padDims = new Map<string, number[]>();
  for (const f of spec.feeds) {
    const cells = rows.map((i) => f.cells[i]!);
    const rank = cells[0]!.shape.length;
    const dims = new Array(rank).fill(0);
    for (const c of cells) for (let d = 0; d < rank; d++) dims[d] = Math.max(dims[d], c.shape[d]!);
    padDims.set(f.input.name, dims);
    const item = f.input.item!;
    const size = shapeSize(dims);
    let data = contiguousView(cells, item);
    if (!data || data.length !== B * size) {
      const Ctor = ctorOf(item);
      data = new Ctor(B * size);
      if (f.pad !== undefined && f.pad !== 0) {
        if (data instanceof BigInt64Array || data instanceof BigUint64Array) (data as BigInt64Array).fill(BigInt(f.pad));
        else (data as Float32Array).fill(f.pad);
      }
      for (let b = 0; b < B; b++) copyPadded(data, b * size, dims, cells[b]!.data, cells[b]!.shape);
    }
    feeds[f.input.name] = new ort.Tensor(ORT_TYPE[item.kind] as 'float32', data as Float32Array, [B, ...dims]);
  }
  for (const dv of spec.derived ?? []) {
    const like = spec.feeds.find((f) => f.input.name === dv.like)!;
    const dims = padDims.get(dv.like)!;
    const size = shapeSize(dims);
    const item = dv.input.item!;
    const Ctor = ctorOf(item);
    const data = new Ctor(B * size);
    if (dv.kind === 'mask') {
      const big = data instanceof BigInt64Array || data instanceof BigUint64Array;
      for (let b = 0; b < B; b++) {
        const shape = like.cells[rows[b]!]!.shape;
        const ones = new Ctor(shapeSize(shape));
        (ones as Float32Array).fill((big ? 1n : 1) as number);
        copyPadded(data, b * size, dims, ones, shape);
      }
    }
    feeds[dv.input.name] = new ort.Tensor(ORT_TYPE[item.kind] as 'float32', data as Float32Array, [B, ...dims]);
  }
  let out: Record<string, { data: unknown; dims: readonly number[] }>;
  try {
    const t0 = performance.now();
    out = await session.run(feeds, spec.outputs as string[]);
    recordRun(performance.now() - t0);
    for (const name of spec.outputs) {
      const o = out[name];
      if (!o || o.dims[0] !== B) throw new Error(`output '${name}' has shape [${o?.dims.join(',')}], expected a leading batch axis of ${B}`);
    }
  } catch (e) {
    if (B > 1) {
      // Find the row(s) at fault: each row alone either succeeds or becomes that row's error.
      for (const i of rows) await runGroup(spec, [i], result, ctx);
      return;
    }
    ctx.rowError(rows[0]!, new ModaflowError('MF_MODEL', `model ${spec.handle.model} failed on this row: ${(e as Error).message}`, {
      op: ctx.op, column: spec.feeds[0]?.column, fix: 'check the row against the model input shapes and value ranges (e.g. token ids < vocabulary size)',
    }), { code: 'MF_MODEL', ...(spec.feeds[0] ? { column: spec.feeds[0].column } : {}) });
    return;
  }
  for (let b = 0; b < B; b++) {
    const row: Tensor[] = [];
    let bad = false;
    for (const name of spec.outputs) {
      const o = out[name]!;
      const rest = o.dims.slice(1);
      const size = shapeSize(rest);
      const data = (o.data as TypedArray).subarray(b * size, (b + 1) * size);
      if (spec.checkOutputs !== false && hasNonFinite(data)) bad = true;
      row.push({ data, shape: rest });
    }
    if (bad) {
      ctx.rowError(rows[b]!, new ModaflowError('MF_ROW_ERROR', 'model output holds NaN or Infinity for this row', {
        op: ctx.op, fix: 'check the row (e.g. an all-zero attention mask, extreme values); set checkOutputs: false to keep such rows',
      }), { code: 'MF_ROW_ERROR' });
      continue;
    }
    result[rows[b]!] = row;
  }
}

/**
 * Per-row values of an output column of dtype `t` (Tensor objects, or numbers for scalar outputs;
 * null rows stay null), built into Arrow data by the executor. JS values rather than Arrow data:
 * a worker may hold two copies of apache-arrow (its CommonJS entry graph and ESM op modules), and
 * Arrow data made by one fails the type checks of the other.
 */
export function outputValues(t: DType, rows: readonly (Tensor | null)[], column: string, op: string): unknown[] {
  const mismatch = (i: number, got: readonly number[]) => new ModaflowError('MF_OP_OUTPUT', `model output for row ${i} has shape [${got.join(',')}], which does not fit column dtype ${t.kind === 'tensor' ? `[${t.shape.join(',')}]` : t.kind}`, {
    op, column, fix: 'map the output to a column whose dtype matches the model output',
  });
  return rows.map((r, i) => {
    if (!r) return null;
    if (t.kind === 'tensor') {
      if (r.data.length !== shapeSize(t.shape)) throw mismatch(i, r.shape);
      return { data: r.data, shape: t.shape };
    }
    if (t.kind === 'varTensor') {
      if (r.shape.length !== t.ndim) throw mismatch(i, r.shape);
      return r;
    }
    if (r.data.length !== 1) throw mismatch(i, r.shape);
    return r.data[0];
  });
}
