// A Chunk is the unit of data moving through the executor: named Arrow column data of equal
// length plus the source row id of every row (the key for seeded randomness, sharding and error
// reports). Columns are plain arrow.Data so projections cost nothing and buffers can be
// transferred between threads.
import * as arrow from 'apache-arrow';
import type { DType, TypedArray } from '../types/dtype.ts';
import { shapeSize, typedArrayCtor } from '../types/dtype.ts';
import type { Schema } from '../types/schema.ts';
import { fromArrowSchema, toArrowField, toArrowSchema } from '../types/arrow-types.ts';
import { buildData, getValue } from './column.ts';

export interface Chunk {
  readonly schema: Schema;
  readonly columns: { readonly [name: string]: arrow.Data };
  readonly length: number;
  /** Source row id of each row. */
  readonly rowIds: Float64Array;
}

export function makeChunk(schema: Schema, columns: { [name: string]: arrow.Data }, rowIds: Float64Array): Chunk {
  return { schema, columns, length: rowIds.length, rowIds };
}

/** Rows [start, end) without copying. */
export function sliceChunk(c: Chunk, start: number, end: number): Chunk {
  const cols: Record<string, arrow.Data> = {};
  for (const k of Object.keys(c.schema)) cols[k] = c.columns[k]!.slice(start, end - start);
  return { schema: c.schema, columns: cols, length: end - start, rowIds: c.rowIds.subarray(start, end) };
}

/** Rows at the given indices, in that order. */
export function takeChunk(c: Chunk, idx: ArrayLike<number>): Chunk {
  // A filter keeps long runs of consecutive rows: then every fixed-width buffer is copied run by
  // run (memcpy) instead of row by row. The runs are found once for all columns.
  const runs = runsOf(idx);
  const cols: Record<string, arrow.Data> = {};
  for (const k of Object.keys(c.schema)) cols[k] = takeDataWith(c.schema[k]!, c.columns[k]!, idx, runs);
  const rowIds = runs ? copyRuns(c.rowIds, runs, idx.length, 1) as Float64Array : gather(c.rowIds, idx) as Float64Array;
  return { schema: c.schema, columns: cols, length: idx.length, rowIds };
}

/**
 * The rows whose mask byte is non-zero (`kept` of them), in order. When the kept rows form long
 * runs and every column is fixed-width without nulls — a filter keeping most of a numeric batch —
 * the runs are found in one pass over the mask and copied run by run, with no index array;
 * otherwise it is takeChunk over the kept indices.
 */
export function takeChunkMask(c: Chunk, mask: Uint8Array, kept: number): Chunk {
  const runs = fixedWidthNoNulls(c) ? runsOfMask(mask, kept) : null;
  if (!runs) {
    const idx = new Uint32Array(kept);
    for (let i = 0, j = 0; i < mask.length; i++) if (mask[i]) idx[j++] = i;
    return takeChunk(c, idx);
  }
  // Fixed-width columns without nulls read only the runs (never an index).
  const cols: Record<string, arrow.Data> = {};
  for (const k of Object.keys(c.schema)) cols[k] = takeDataWith(c.schema[k]!, c.columns[k]!, NO_INDEX, runs, kept);
  return { schema: c.schema, columns: cols, length: kept, rowIds: copyRuns(c.rowIds, runs, kept, 1) as Float64Array };
}

const NO_INDEX = new Uint32Array(0);

function fixedWidthNoNulls(c: Chunk): boolean {
  for (const k of Object.keys(c.schema)) {
    const t = c.schema[k]!, d = c.columns[k]!;
    if (d.nullCount !== 0) return false;
    switch (t.kind) {
      case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint16': case 'uint32':
      case 'float32': case 'float64': case 'int64': case 'uint64': case 'timestamp': continue;
      case 'tensor': if (d.children[0]!.nullCount === 0) continue; return false;
      default: return false;
    }
  }
  return true;
}

/** Runs of non-zero mask bytes as [dst, src, length] triples, or null when they average under 16 rows. */
function runsOfMask(mask: Uint8Array, kept: number): Int32Array | null {
  const n = mask.length, limit = kept >> 4;
  if (kept < 64) return null;
  let runs = 0;
  for (let i = 0; i < n; i++) if (mask[i] && (i === 0 || !mask[i - 1]) && ++runs > limit) return null;
  const out = new Int32Array(runs * 3);
  let r = 0, dst = 0;
  for (let i = 0; i < n;) {
    if (!mask[i]) { i++; continue; }
    const start = i;
    while (i < n && mask[i]) i++;
    out[r] = dst; out[r + 1] = start; out[r + 2] = i - start;
    dst += i - start;
    r += 3;
  }
  return out;
}

/**
 * Runs of consecutive indices as [dst, src, length] triples, or null when they are short (fewer
 * than 16 rows per run on average: a plain gather is as fast then).
 */
function runsOf(idx: ArrayLike<number>): Int32Array | null {
  const n = idx.length, limit = n >> 4;
  if (n < 64) return null;
  let runs = 1;
  for (let i = 1; i < n; i++) if (idx[i] !== idx[i - 1]! + 1 && ++runs > limit) return null;
  return fillRuns(idx, n, runs);
}

function fillRuns(idx: ArrayLike<number>, n: number, runs: number): Int32Array {
  const out = new Int32Array(runs * 3);
  let r = 0, start = 0;
  for (let i = 1; i <= n; i++) {
    if (i === n || idx[i] !== idx[i - 1]! + 1) {
      out[r] = start; out[r + 1] = idx[start]!; out[r + 2] = i - start;
      r += 3;
      start = i;
    }
  }
  return out;
}

/** Rows of `src` (`width` elements per row) copied run by run into a new array of the same type. */
function copyRuns(src: TypedArray, runs: Int32Array, n: number, width: number): TypedArray {
  const out = new (src.constructor as new (n: number) => TypedArray)(n * width);
  for (let r = 0; r < runs.length; r += 3) {
    const s = runs[r + 1]! * width;
    (out as Float64Array).set((src as Float64Array).subarray(s, s + runs[r + 2]! * width), runs[r]! * width);
  }
  return out;
}

// Gathers through integer views of the element width: each loop sees one array type only (a
// loop over every numeric type is megamorphic and several times slower), and bits are copied as
// they are (NaN payloads included).
function gather(src: TypedArray, idx: ArrayLike<number>): TypedArray {
  const n = idx.length;
  const Ctor = src.constructor as new (b: ArrayBuffer) => TypedArray;
  const buf = src.buffer as ArrayBuffer;
  switch (src.BYTES_PER_ELEMENT) {
    case 1: { const o = new Uint8Array(n); gather8(new Uint8Array(buf, src.byteOffset, src.length), idx, o); return new Ctor(o.buffer); }
    case 2: { const o = new Uint16Array(n); gather16(new Uint16Array(buf, src.byteOffset, src.length), idx, o); return new Ctor(o.buffer); }
    case 4: { const o = new Int32Array(n); gather32(new Int32Array(buf, src.byteOffset, src.length), idx, o); return new Ctor(o.buffer); }
    default: { const o = new Int32Array(2 * n); gather64(new Int32Array(buf, src.byteOffset, src.length * 2), idx, o); return new Ctor(o.buffer); }
  }
}
function gather8(s: Uint8Array, idx: ArrayLike<number>, o: Uint8Array): void {
  if (idx instanceof Uint32Array) for (let i = 0; i < o.length; i++) o[i] = s[idx[i]!]!;
  else for (let i = 0; i < o.length; i++) o[i] = s[idx[i]!]!;
}
function gather16(s: Uint16Array, idx: ArrayLike<number>, o: Uint16Array): void {
  if (idx instanceof Uint32Array) for (let i = 0; i < o.length; i++) o[i] = s[idx[i]!]!;
  else for (let i = 0; i < o.length; i++) o[i] = s[idx[i]!]!;
}
function gather32(s: Int32Array, idx: ArrayLike<number>, o: Int32Array): void {
  if (idx instanceof Uint32Array) for (let i = 0; i < o.length; i++) o[i] = s[idx[i]!]!;
  else for (let i = 0; i < o.length; i++) o[i] = s[idx[i]!]!;
}
function gather64(s: Int32Array, idx: ArrayLike<number>, o: Int32Array): void {
  const n = o.length >> 1;
  if (idx instanceof Uint32Array) for (let i = 0; i < n; i++) { const j = idx[i]! * 2; o[2 * i] = s[j]!; o[2 * i + 1] = s[j + 1]!; }
  else for (let i = 0; i < n; i++) { const j = idx[i]! * 2; o[2 * i] = s[j]!; o[2 * i + 1] = s[j + 1]!; }
}

function takeValidity(data: arrow.Data, idx: ArrayLike<number>): { bitmap: Uint8Array | null; nulls: number } {
  if (data.nullCount === 0) return { bitmap: null, nulls: 0 };
  const bitmap = new Uint8Array((idx.length + 7) >> 3);
  let nulls = 0;
  const src = data.nullBitmap!;
  for (let i = 0; i < idx.length; i++) {
    const j = data.offset + idx[i]!;
    if ((src[j >> 3]! >> (j & 7)) & 1) bitmap[i >> 3]! |= 1 << (i & 7);
    else nulls++;
  }
  return { bitmap: nulls ? bitmap : null, nulls };
}

/** Gather rows of one column. Fast paths for fixed-width and tensor data; generic otherwise. */
export function takeData(t: DType, data: arrow.Data, idx: ArrayLike<number>): arrow.Data {
  return takeDataWith(t, data, idx, runsOf(idx));
}

/** With `runs`, fixed-width values are copied run by run; `idx` is read for everything else (validity, other types). */
function takeDataWith(t: DType, data: arrow.Data, idx: ArrayLike<number>, runs: Int32Array | null, n = idx.length): arrow.Data {
  switch (t.kind) {
    case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint16': case 'uint32':
    case 'float32': case 'float64': case 'int64': case 'uint64': case 'timestamp': {
      const src = data.values as TypedArray;
      const out = runs ? copyRuns(src, runs, n, 1) : gather(src, idx);
      const { bitmap, nulls } = takeValidity(data, idx);
      return arrow.makeData({ type: data.type as arrow.Int32, length: n, nullCount: nulls, nullBitmap: bitmap, data: out as unknown as Int32Array });
    }
    case 'tensor': {
      const size = shapeSize(t.shape);
      const child = data.children[0]!;
      const src = child.values as TypedArray;
      let out: TypedArray;
      if (runs) out = copyRuns(src, runs, n, size); // the child of a sliced fixed-size list is sliced too
      else {
        out = new (typedArrayCtor(t.item))(n * size);
        for (let i = 0; i < n; i++) {
          const s = idx[i]! * size;
          (out as Float64Array).set((src as Float64Array).subarray(s, s + size), i * size);
        }
      }
      const { bitmap, nulls } = takeValidity(data, idx);
      const c = arrow.makeData({ type: child.type as arrow.Int32, length: n * size, nullCount: 0, data: out as unknown as Int32Array });
      return arrow.makeData({ type: data.type as arrow.FixedSizeList, length: n, nullCount: nulls, nullBitmap: bitmap, child: c });
    }
    default: {
      const vals = new Array(n);
      for (let i = 0; i < n; i++) vals[i] = getValue(t, data, idx[i]!);
      return buildData(t, vals);
    }
  }
}

/** The same column with offset 0 (a copy only when the data is a slice). */
export function compactData(t: DType, data: arrow.Data): arrow.Data {
  if (data.offset === 0) return data;
  const idx = new Uint32Array(data.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return takeData(t, data, idx);
}

/** Concatenate chunks of the same schema into one (copies). */
export function concatChunks(schema: Schema, chunks: readonly Chunk[]): Chunk {
  if (chunks.length === 1) return chunks[0]!;
  let n = 0;
  for (const c of chunks) n += c.length;
  let rowIds = adjacentViews(chunks.map((c) => c.rowIds), n) as Float64Array | null;
  if (!rowIds) {
    rowIds = new Float64Array(n);
    let at = 0;
    for (const c of chunks) { rowIds.set(c.rowIds, at); at += c.length; }
  }
  const cols: Record<string, arrow.Data> = {};
  for (const k of Object.keys(schema)) {
    const t = schema[k]!;
    const parts = chunks.map((c) => c.columns[k]!);
    if (parts.length === 0) { cols[k] = buildData(t, []); continue; }
    cols[k] = concatData(t, parts, n);
  }
  return { schema, columns: cols, length: n, rowIds };
}

function concatValidity(parts: readonly arrow.Data[], n: number): { bitmap: Uint8Array | null; nulls: number } {
  let nulls = 0;
  for (const p of parts) nulls += p.nullCount;
  if (nulls === 0) return { bitmap: null, nulls: 0 };
  const bitmap = new Uint8Array((n + 7) >> 3);
  let at = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++, at++) {
      const j = p.offset + i;
      if (p.nullCount === 0 || !p.nullBitmap || p.nullBitmap.length === 0 || ((p.nullBitmap[j >> 3]! >> (j & 7)) & 1)) bitmap[at >> 3]! |= 1 << (at & 7);
    }
  }
  return { bitmap, nulls };
}

// Typed fast paths for the columns that dominate volume (numbers, strings, tensors): buffers are
// copied with TypedArray.set, not value by value.
/**
 * When the parts are views that follow each other in one buffer (batches sliced from one Arrow
 * column or one typed array), the view over all of them: concatenating them needs no copy.
 */
function adjacentViews(parts: readonly TypedArray[], n: number): TypedArray | null {
  if (parts.length === 0) return null;
  const first = parts[0]!;
  let end = first.byteOffset + first.byteLength;
  let len = first.length;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.buffer !== first.buffer || p.byteOffset !== end || p.constructor !== first.constructor) return null;
    end += p.byteLength;
    len += p.length;
  }
  if (len !== n) return null;
  return new (first.constructor as new (b: ArrayBufferLike, o: number, n: number) => TypedArray)(first.buffer, first.byteOffset, n);
}

function concatData(t: DType, parts: arrow.Data[], n: number): arrow.Data {
  const type = parts[0]!.type;
  switch (t.kind) {
    case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint16': case 'uint32':
    case 'float32': case 'float64': case 'int64': case 'uint64': case 'timestamp': {
      const views = parts.map((p) => (p.values as Float64Array).subarray(0, p.length));
      const same = parts.every((p) => p.nullCount === 0) ? adjacentViews(views, n) : null;
      if (same) return arrow.makeData({ type: type as arrow.Int32, length: n, nullCount: 0, data: same as unknown as Int32Array });
      const out = new (typedArrayCtor(t))(n) as Float64Array;
      let at = 0;
      for (const v of views) { out.set(v, at); at += v.length; }
      const { bitmap, nulls } = concatValidity(parts, n);
      return arrow.makeData({ type: type as arrow.Int32, length: n, nullCount: nulls, nullBitmap: bitmap, data: out as unknown as Int32Array });
    }
    case 'utf8': case 'binary': {
      let bytes = 0;
      for (const p of parts) { const o = p.valueOffsets as Int32Array; bytes += o[p.length]! - o[0]!; }
      const data = new Uint8Array(bytes);
      const offsets = new Int32Array(n + 1);
      let at = 0, pos = 0;
      for (const p of parts) {
        const o = p.valueOffsets as Int32Array;
        const base = o[0]!;
        data.set((p.values as Uint8Array).subarray(base, o[p.length]!), pos);
        for (let i = 1; i <= p.length; i++) offsets[at + i] = pos + o[i]! - base;
        pos += o[p.length]! - base;
        at += p.length;
      }
      const { bitmap, nulls } = concatValidity(parts, n);
      return arrow.makeData({ type: type as arrow.Utf8, length: n, nullCount: nulls, nullBitmap: bitmap, valueOffsets: offsets, data });
    }
    case 'tensor': {
      const size = shapeSize(t.shape);
      const out = new (typedArrayCtor(t.item))(n * size) as Float64Array;
      let at = 0;
      for (const p of parts) { out.set((p.children[0]!.values as Float64Array).subarray(0, p.length * size), at * size); at += p.length; }
      const child = arrow.makeData({ type: parts[0]!.children[0]!.type as arrow.Int32, length: n * size, nullCount: 0, data: out as unknown as Int32Array });
      const { bitmap, nulls } = concatValidity(parts, n);
      return arrow.makeData({ type: type as arrow.FixedSizeList, length: n, nullCount: nulls, nullBitmap: bitmap, child });
    }
    default: {
      const vals = new Array(n);
      let at = 0;
      for (const p of parts) for (let i = 0; i < p.length; i++) vals[at++] = getValue(t, p, i);
      return buildData(t, vals);
    }
  }
}

/** An empty chunk of a schema. */
export function emptyChunk(schema: Schema): Chunk {
  const cols: Record<string, arrow.Data> = {};
  for (const k of Object.keys(schema)) cols[k] = buildData(schema[k]!, []);
  return { schema, columns: cols, length: 0, rowIds: new Float64Array(0) };
}

/** The chunk as an Arrow RecordBatch (zero-copy). */
export function chunkToRecordBatch(c: Chunk): arrow.RecordBatch {
  const fields = Object.keys(c.schema).map((k) => toArrowField(k, c.schema[k]!));
  const schema = new arrow.Schema(fields);
  const children = fields.map((f) => c.columns[f.name]!);
  const data = arrow.makeData({ type: new arrow.Struct(fields), length: c.length, nullCount: 0, children });
  return new arrow.RecordBatch(schema, data);
}

/**
 * A RecordBatch as zero-copy chunks of at most `batchSize` rows; row ids start at `firstRowId`.
 * Row ids are made per chunk as it is handed out, not for the whole record batch up front: a
 * 50M-row batch would otherwise write 400 MB of ids at once (fresh pages), while ids made per
 * chunk are freed as the run proceeds and their memory is reused.
 */
export function* recordBatchChunks(b: arrow.RecordBatch, firstRowId: number, batchSize: number, schema: Schema = fromArrowSchema(b.schema), collected = false): Generator<Chunk> {
  const cols: Record<string, arrow.Data> = {};
  b.schema.fields.forEach((f, i) => { cols[f.name] = b.data.children[i]!; });
  const n = b.numRows;
  // Gathered downstream (SourceReadOptions.collected): views of one array, which concatenate
  // without a copy.
  const all = collected ? rowIdRange(firstRowId, n) : null;
  for (let s = 0; s < n; s += batchSize) {
    const e = Math.min(n, s + batchSize);
    const part: Record<string, arrow.Data> = {};
    for (const k of Object.keys(cols)) part[k] = s === 0 && e === n ? cols[k]! : cols[k]!.slice(s, e - s);
    const rowIds = all ? all.subarray(s, e) : rowIdRange(firstRowId + s, e - s);
    yield { schema, columns: part, length: e - s, rowIds };
  }
}

/** Row ids first, first + 1, …, first + n − 1. */
export function rowIdRange(first: number, n: number): Float64Array {
  const ids = new Float64Array(n);
  for (let i = 0; i < n; i++) ids[i] = first + i;
  return ids;
}

/** A RecordBatch as a chunk; row ids start at `firstRowId`. */
export function recordBatchToChunk(b: arrow.RecordBatch, firstRowId: number, schema: Schema = fromArrowSchema(b.schema)): Chunk {
  const cols: Record<string, arrow.Data> = {};
  b.schema.fields.forEach((f, i) => { cols[f.name] = b.data.children[i]!; });
  return { schema, columns: cols, length: b.numRows, rowIds: rowIdRange(firstRowId, b.numRows) };
}

export function arrowSchemaOf(s: Schema): arrow.Schema {
  return toArrowSchema(s);
}
