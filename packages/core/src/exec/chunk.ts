// A Chunk is the unit of data moving through the executor: named Arrow column data of equal
// length plus the source row id of every row (the key for seeded randomness, sharding and error
// reports). Columns are plain arrow.Data so projections cost nothing and buffers can be
// transferred between threads.
import * as arrow from 'apache-arrow';
import type { DType, TypedArray } from '../types/dtype.ts';
import { shapeSize, typedArrayCtor } from '../types/dtype.ts';
import type { Schema } from '../types/schema.ts';
import { fromArrowSchema, toArrowField, toArrowSchema } from '../types/arrow-types.ts';
import { buildData, getValue, NO_BITMAP } from './column.ts';

export interface Chunk {
  readonly schema: Schema;
  readonly columns: { readonly [name: string]: arrow.Data };
  readonly length: number;
  /**
   * Source row id of each row. A chunk may hold its ids as a description (a range, or the runs of
   * a range a filter kept: see RowIds) and write them out only when this is first read.
   */
  readonly rowIds: Float64Array;
}

/**
 * Row ids described rather than written out: `first`, `first + 1`, … for `n` rows, or — with
 * `runs`, [dst, src, length] triples — the rows of that range a filter kept. Sources hand out
 * ranges, and filters, slices and concatenation keep them compact, so a numeric pipeline does
 * not pay 8 bytes per row for ids no one reads; they are written out on first use (errors,
 * seeded randomness, shuffles, joins).
 */
export interface RowIdRuns {
  readonly first: number;
  readonly n: number;
  readonly runs: Int32Array | null;
}

/** A chunk's row ids: written out, or described. */
export type RowIds = Float64Array | RowIdRuns;

const IDS = Symbol('modaflow.rowIds');

/** Row ids `first` … `first + n − 1`, described (written out on first use). */
export function rowIdRange(first: number, n: number): RowIdRuns {
  return { first, n, runs: null };
}

/** The row ids as an array (a described form is written out). */
export function writeRowIds(ids: RowIds): Float64Array {
  if (ids instanceof Float64Array) return ids;
  const out = new Float64Array(ids.n);
  const { first, runs } = ids;
  if (!runs) { for (let i = 0; i < out.length; i++) out[i] = first + i; return out; }
  for (let r = 0; r < runs.length; r += 3) {
    const dst = runs[r]!, src = first + runs[r + 1]!, len = runs[r + 2]!;
    for (let k = 0; k < len; k++) out[dst + k] = src + k;
  }
  return out;
}

/** A chunk's row ids in their compact form when it has one (never writes them out). */
export function rowIdsOf(c: Chunk): RowIds {
  return (c as { [IDS]?: RowIdRuns })[IDS] ?? c.rowIds;
}

/** The id of row `i` (without writing out described ids). */
export function rowIdAt(c: Chunk, i: number): number {
  const d = (c as { [IDS]?: RowIdRuns })[IDS];
  if (!d) return c.rowIds[i]!;
  if (!d.runs) return d.first + i;
  return c.rowIds[i]!;
}

export function makeChunk(schema: Schema, columns: { [name: string]: arrow.Data }, rowIds: RowIds): Chunk {
  if (rowIds instanceof Float64Array) return { schema, columns, length: rowIds.length, rowIds };
  let made: Float64Array | null = null;
  // An own enumerable getter: a spread ({ ...chunk }) still carries the ids (written out); the
  // description is a hidden property, so a spread that replaces rowIds cannot leave it stale.
  const c = { schema, columns, length: rowIds.n, get rowIds(): Float64Array { return (made ??= writeRowIds(rowIds)); } };
  Object.defineProperty(c, IDS, { value: rowIds });
  return c;
}

/** The same rows (and row ids) with other columns. */
export function withColumns(c: Chunk, schema: Schema, columns: { [name: string]: arrow.Data }): Chunk {
  const d = (c as { [IDS]?: RowIdRuns })[IDS];
  return d ? makeChunk(schema, columns, d) : { schema, columns, length: c.length, rowIds: c.rowIds };
}

function sliceIds(ids: RowIds, start: number, end: number): RowIds {
  if (ids instanceof Float64Array) return ids.subarray(start, end);
  if (!ids.runs) return { first: ids.first + start, n: end - start, runs: null };
  return writeRowIds(ids).subarray(start, end);
}

/** The ids of the rows copied by `runs` ([dst, src, length] triples), `n` of them. */
function takeIdsRuns(ids: RowIds, runs: Int32Array, n: number): RowIds {
  if (!(ids instanceof Float64Array) && !ids.runs) return { first: ids.first, n, runs };
  return copyRuns(writeRowIds(ids), runs, n, 1) as Float64Array;
}

/** Adjacent described ranges concatenate to one range; anything else is written out. */
function concatIds(parts: readonly RowIds[], n: number): RowIds {
  const first = parts[0];
  if (first && !(first instanceof Float64Array) && !first.runs) {
    let next = first.first + first.n;
    let ok = true;
    for (let i = 1; i < parts.length && ok; i++) {
      const p = parts[i]!;
      if (p instanceof Float64Array || p.runs || p.first !== next) ok = false;
      else next += p.n;
    }
    if (ok) return { first: first.first, n, runs: null };
  }
  const arrays = parts.map(writeRowIds);
  const same = adjacentViews(arrays, n) as Float64Array | null;
  if (same) return same;
  const out = new Float64Array(n);
  let at = 0;
  for (const a of arrays) { out.set(a, at); at += a.length; }
  return out;
}

/** Rows [start, end) without copying. */
export function sliceChunk(c: Chunk, start: number, end: number): Chunk {
  const cols: Record<string, arrow.Data> = {};
  for (const k of Object.keys(c.schema)) cols[k] = c.columns[k]!.slice(start, end - start);
  return makeChunk(c.schema, cols, sliceIds(rowIdsOf(c), start, end));
}

/** Rows at the given indices, in that order. */
export function takeChunk(c: Chunk, idx: ArrayLike<number>): Chunk {
  // A filter keeps long runs of consecutive rows: then every fixed-width buffer is copied run by
  // run (memcpy) instead of row by row. The runs are found once for all columns.
  const runs = runsOf(idx);
  const cols: Record<string, arrow.Data> = {};
  for (const k of Object.keys(c.schema)) cols[k] = takeDataWith(c.schema[k]!, c.columns[k]!, idx, runs);
  const ids = rowIdsOf(c);
  return makeChunk(c.schema, cols, runs ? takeIdsRuns(ids, runs, idx.length) : gather(writeRowIds(ids), idx) as Float64Array);
}

/** The 0/1 mask of `n` rows that keeps the rows of `runs` ([dst, src, length] triples). */
export function maskOfRuns(runs: Int32Array, n: number): Uint8Array {
  const m = new Uint8Array(n);
  for (let r = 0; r < runs.length; r += 3) m.fill(1, runs[r + 1]!, runs[r + 1]! + runs[r + 2]!);
  return m;
}

/**
 * The rows whose mask byte is non-zero, in order. When the kept rows form long runs and every
 * column is fixed-width without nulls — a filter keeping most of a numeric batch — the columns are
 * copied run by run, with no index array; otherwise it is takeChunk over the kept indices. `scan`
 * is scanMask(mask), passed when the caller has it already; with scan.runs the mask may be null.
 */
export function takeChunkMask(c: Chunk, mask: Uint8Array | null, scan: MaskScan = scanMask(mask!)): Chunk {
  const kept = scan.kept;
  const runs = fixedWidthNoNulls(c) ? scan.runs : null;
  if (!runs) {
    // Without a mask, the scan's runs describe it (a kernel may send only them).
    const m = mask ?? maskOfRuns(scan.runs!, c.length);
    const idx = new Uint32Array(kept);
    for (let i = 0, j = 0; i < m.length; i++) if (m[i]) idx[j++] = i;
    return takeChunk(c, idx);
  }
  // Fixed-width columns without nulls read only the runs (never an index); a column whose kept
  // values the scan carries already (taken by the kernel that made the mask) is not copied again.
  const cols: Record<string, arrow.Data> = {};
  for (const k of Object.keys(c.schema)) {
    const t = c.schema[k]!, d = c.columns[k]!, v = scan.taken?.[k];
    cols[k] = v && takenFits(t, d, v, kept)
      ? arrow.makeData({ type: d.type as arrow.Int32, length: kept, nullCount: 0, data: v as unknown as Int32Array })
      : takeDataWith(t, d, NO_INDEX, runs, kept);
  }
  return makeChunk(c.schema, cols, takeIdsRuns(rowIdsOf(c), runs, kept));
}

/** A column's kept values taken elsewhere fit it: a scalar column's array type, one value per kept row, owning its buffer. */
function takenFits(t: DType, d: arrow.Data, v: TypedArray, kept: number): boolean {
  if (t.kind === 'tensor') return false;
  const src = d.values as TypedArray;
  return v.constructor === src.constructor && v.length === kept && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength;
}

/**
 * A mask's kept-row count, and its runs of kept rows as [dst, src, length] triples (null when they
 * average under 16 rows). `taken`, from a kernel that made the mask: the kept values of some
 * scalar columns, already gathered (used instead of copying those columns when `runs` are used).
 */
export interface MaskScan {
  readonly kept: number;
  readonly runs: Int32Array | null;
  readonly taken?: { readonly [column: string]: TypedArray };
}

/** scanMask's run bounds, reused from call to call (the runs it returns are copied out). */
let boundsScratch = new Int32Array(0);

/** Eight 1 bytes read as a float64. */
const ONES = new Float64Array(new Uint8Array(8).fill(1).buffer)[0]!;

/**
 * One pass over a mask (non-zero byte = kept): the count and the runs together. Whole 8-byte
 * words of 0/1 bytes that are all kept or all dropped are stepped over at once, so a filter that
 * keeps (or drops) most rows costs a fraction of a byte loop.
 */
export function scanMask(mask: Uint8Array): MaskScan {
  // Plain locals, no closure (variables a closure captures live in a heap context: every access
  // in the loop would go through it), and the run bounds array sized for the most runs kept.
  const n = mask.length;
  const cap = (n >> 4) + 1; // more runs than this: too short to be worth copying run by run
  if (boundsScratch.length < 2 * cap) boundsScratch = new Int32Array(2 * cap);
  const bounds = boundsScratch;
  let b = 0, count = 0, kept = 0, start = -1, i = 0;
  const align = (8 - (mask.byteOffset & 7)) & 7;
  const head = Math.min(n, align);
  for (; i < head; i++) {
    if (mask[i]) { if (start < 0) start = i; } else if (start >= 0) { if (count++ < cap) { bounds[b++] = start; bounds[b++] = i; } kept += i - start; start = -1; }
  }
  if (head === align) {
    // Eight mask bytes at a time, read as one float64: eight 1 bytes are the number ONES, eight
    // 0 bytes are +0 (Object.is: a 0x80 byte makes −0, which is a kept row, not a zero word).
    const words = new Float64Array(mask.buffer, mask.byteOffset + head, (n - head) >> 3);
    for (let k = 0; k < words.length; k++) {
      const v = words[k]!;
      if (v === ONES) { if (start < 0) start = i; i += 8; continue; }
      if (Object.is(v, 0)) { if (start >= 0) { if (count++ < cap) { bounds[b++] = start; bounds[b++] = i; } kept += i - start; start = -1; } i += 8; continue; }
      for (const e = i + 8; i < e; i++) {
        if (mask[i]) { if (start < 0) start = i; } else if (start >= 0) { if (count++ < cap) { bounds[b++] = start; bounds[b++] = i; } kept += i - start; start = -1; }
      }
    }
  }
  for (; i < n; i++) {
    if (mask[i]) { if (start < 0) start = i; } else if (start >= 0) { if (count++ < cap) { bounds[b++] = start; bounds[b++] = i; } kept += i - start; start = -1; }
  }
  if (start >= 0) { if (count++ < cap) { bounds[b++] = start; bounds[b++] = n; } kept += n - start; }
  if (count > cap || kept < 64 || count > kept >> 4) return { kept, runs: null };
  const runs = new Int32Array((b >> 1) * 3);
  for (let k = 0, r = 0, dst = 0; k < b; k += 2, r += 3) {
    const len = bounds[k + 1]! - bounds[k]!;
    runs[r] = dst; runs[r + 1] = bounds[k]!; runs[r + 2] = len;
    dst += len;
  }
  return { kept, runs };
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

/** Arrays of at least this many bytes are allocated without zeroing (see allocUnzeroed). */
const UNZEROED_FROM = 4096;

/**
 * A new typed array of `n` elements, left uninitialized when large: for callers that write every
 * element (copyRuns, gather, merges; ops' kernels). A zeroed ArrayBuffer costs a memset of its
 * bytes before they are overwritten (a tenth of a filter's time at 50M float32 rows); Node's
 * unzeroed buffers (`Buffer.allocUnsafeSlow`, never from the shared pool) skip it. The array spans
 * its whole ArrayBuffer, like a `new` one, so it can still be handed over to another thread.
 */
export function allocUnzeroed<T extends TypedArray>(Ctor: { new (n: number): T; new (b: ArrayBuffer, o: number, n: number): T; readonly BYTES_PER_ELEMENT: number }, n: number): T {
  const bytes = n * Ctor.BYTES_PER_ELEMENT;
  if (bytes < UNZEROED_FROM) return new Ctor(n);
  return new Ctor(Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer, 0, n);
}

function copyRuns(src: TypedArray, runs: Int32Array, n: number, width: number): TypedArray {
  // Every element is written: the runs cover [0, n) (checked where they come from a kernel).
  const out = allocUnzeroed(src.constructor as Parameters<typeof allocUnzeroed<TypedArray>>[0], n * width);
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
    // Every element of o is written.
    case 1: { const o = allocUnzeroed(Uint8Array, n); gather8(new Uint8Array(buf, src.byteOffset, src.length), idx, o); return new Ctor(o.buffer as ArrayBuffer); }
    case 2: { const o = allocUnzeroed(Uint16Array, n); gather16(new Uint16Array(buf, src.byteOffset, src.length), idx, o); return new Ctor(o.buffer as ArrayBuffer); }
    case 4: { const o = allocUnzeroed(Int32Array, n); gather32(new Int32Array(buf, src.byteOffset, src.length), idx, o); return new Ctor(o.buffer as ArrayBuffer); }
    default: { const o = allocUnzeroed(Int32Array, 2 * n); gather64(new Int32Array(buf, src.byteOffset, src.length * 2), idx, o); return new Ctor(o.buffer as ArrayBuffer); }
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
    case 'bool': {
      // Bits gathered as bits (a slice keeps its offset into the packed values, like validity).
      const src = data.values as Uint8Array, out = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) {
        const j = data.offset + idx[i]!;
        if ((src[j >> 3]! >> (j & 7)) & 1) out[i >> 3]! |= 1 << (i & 7);
      }
      const { bitmap, nulls } = takeValidity(data, idx);
      return arrow.makeData({ type: data.type as arrow.Bool, length: n, nullCount: nulls, nullBitmap: bitmap, data: out });
    }
    case 'utf8': case 'binary': {
      // The kept rows' bytes, copied as bytes: no JS string per row (decoding and encoding every
      // value cost ~1–2 µs per row, most of a grouped z-score filter's time).
      const o = data.valueOffsets as Int32Array, src = data.values as Uint8Array;
      let bytes = 0;
      for (let i = 0; i < n; i++) { const r = idx[i]!; bytes += o[r + 1]! - o[r]!; }
      const offsets = new Int32Array(n + 1);
      const out = new Uint8Array(bytes);
      let pos = 0;
      for (let i = 0; i < n; i++) {
        const r = idx[i]!, a = o[r]!, b = o[r + 1]!;
        if (b - a <= 32) for (let j = a; j < b; j++) out[pos++] = src[j]!;
        else { out.set(src.subarray(a, b), pos); pos += b - a; }
        offsets[i + 1] = pos;
      }
      const { bitmap, nulls } = takeValidity(data, idx);
      return arrow.makeData({ type: data.type as arrow.Utf8, length: n, nullCount: nulls, nullBitmap: bitmap, valueOffsets: offsets, data: out });
    }
    default: {
      const vals = new Array(n);
      for (let i = 0; i < n; i++) vals[i] = getValue(t, data, idx[i]!);
      return buildData(t, vals);
    }
  }
}

/**
 * A slice of a null-free fixed-width column as a column of its own, offset 0, without copying —
 * or null for any other data. arrow-js slices a fixed-width column's data buffer and keeps the
 * offset only to place validity bits (a batch cut from a caller's table, fromArrow or readParquet,
 * is such a slice).
 */
export function unslicedView(data: arrow.Data): arrow.Data | null {
  const v = data.values as ArrayLike<unknown> | undefined;
  if (data.offset === 0 || data.nullCount !== 0 || data.children.length !== 0 || data.valueOffsets || data.typeIds || !v || data.typeId === arrow.Type.Bool || v.length !== data.length * data.stride) return null;
  return new arrow.Data(data.type, 0, data.length, 0, [undefined, data.values, NO_BITMAP] as unknown as ConstructorParameters<typeof arrow.Data>[4]);
}

/** The same column with offset 0: a view for a null-free fixed-width slice (unslicedView), else a copy of a slice. */
export function compactData(t: DType, data: arrow.Data): arrow.Data {
  if (data.offset === 0) return data;
  const view = unslicedView(data);
  if (view) return view;
  const idx = new Uint32Array(data.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return takeData(t, data, idx);
}

/** Concatenate chunks of the same schema into one (copies). */
export function concatChunks(schema: Schema, chunks: readonly Chunk[]): Chunk {
  if (chunks.length === 1) return chunks[0]!;
  let n = 0;
  for (const c of chunks) n += c.length;
  const rowIds = concatIds(chunks.map(rowIdsOf), n);
  const cols: Record<string, arrow.Data> = {};
  for (const k of Object.keys(schema)) {
    const t = schema[k]!;
    const parts = chunks.map((c) => c.columns[k]!);
    if (parts.length === 0) { cols[k] = buildData(t, []); continue; }
    cols[k] = concatData(t, parts, n);
  }
  return makeChunk(schema, cols, rowIds);
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

/** Every part reads its validity from the same bitmap, each starting where the one before ended. */
function sharedBitmap(parts: readonly arrow.Data[]): boolean {
  const b0 = parts[0]!.nullBitmap;
  if (!b0 || b0.length === 0) return false;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i]!, q = parts[i - 1]!;
    if (p.nullBitmap !== b0 && (!p.nullBitmap || p.nullBitmap.buffer !== b0.buffer || p.nullBitmap.byteOffset !== b0.byteOffset)) return false;
    if (p.offset !== q.offset + q.length) return false;
  }
  return true;
}

function concatData(t: DType, parts: arrow.Data[], n: number): arrow.Data {
  const type = parts[0]!.type;
  switch (t.kind) {
    case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint16': case 'uint32':
    case 'float32': case 'float64': case 'int64': case 'uint64': case 'timestamp': {
      const views = parts.map((p) => (p.values as Float64Array).subarray(0, p.length));
      const same = adjacentViews(views, n);
      if (same && parts.every((p) => p.nullCount === 0)) return arrow.makeData({ type: type as arrow.Int32, length: n, nullCount: 0, data: same as unknown as Int32Array });
      // Consecutive slices of one column with nulls (a gathered table op's output, cut into
      // batches and gathered again): their validity is one bitmap at consecutive offsets.
      if (same && sharedBitmap(parts)) {
        let nulls = 0;
        for (const p of parts) nulls += p.nullCount;
        const buffers = [undefined, same, parts[0]!.nullBitmap, undefined] as unknown as ConstructorParameters<typeof arrow.Data>[4];
        return new arrow.Data(type, parts[0]!.offset, n, nulls, buffers);
      }
      const out = allocUnzeroed(typedArrayCtor(t) as Float64ArrayConstructor, n); // every element is written below
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
      const out = allocUnzeroed(typedArrayCtor(t.item) as Float64ArrayConstructor, n * size); // every element is written below
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
export function chunkToRecordBatch(c: Chunk, arrowSchema?: arrow.Schema): arrow.RecordBatch {
  const schema = arrowSchema ?? new arrow.Schema(Object.keys(c.schema).map((k) => toArrowField(k, c.schema[k]!)));
  const children = schema.fields.map((f) => c.columns[f.name]!);
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length: c.length, nullCount: 0, children });
  return new arrow.RecordBatch(schema, data);
}

/** Output batches under this many rows are merged when collected… */
const SMALL_ROWS = 1024;
/** …into record batches of about this many rows. */
const COALESCE_ROWS = 16_384;
/** Bytes at which merging stops. */
const COALESCE_BYTES = 4 << 20;

/**
 * Collects a run's output chunks into record batches for one Arrow table. Small chunks (under
 * SMALL_ROWS rows: each record batch costs a dozen JS objects that live as long as the table, and
 * consumers iterate batches) are merged into record batches of about COALESCE_ROWS rows, when every column has a buffer-copy concatenation (numbers, strings, binaries,
 * fixed-shape tensors); other chunks become one record batch each, without a copy. All batches
 * share one Arrow schema.
 */
export class RecordBatchCollector {
  readonly batches: arrow.RecordBatch[] = [];
  private schema: Schema | null = null;
  private arrowSchema: arrow.Schema | null = null;
  private key = '';
  private pending: Chunk[] = [];
  private pendingRows = 0;
  private pendingBytes = 0;
  private mergeable = false;

  push(c: Chunk): void {
    if (c.schema !== this.schema) this.adopt(c.schema);
    const bytes = chunkBytes(c);
    if (!this.mergeable || c.length >= SMALL_ROWS || bytes >= COALESCE_BYTES) {
      this.flush();
      this.batches.push(chunkToRecordBatch(c, this.arrowSchema!));
      return;
    }
    this.pending.push(c);
    this.pendingRows += c.length;
    this.pendingBytes += bytes;
    if (this.pendingRows >= COALESCE_ROWS || this.pendingBytes >= COALESCE_BYTES) this.flush();
  }

  finish(): arrow.RecordBatch[] {
    this.flush();
    return this.batches;
  }

  private adopt(schema: Schema): void {
    const key = Object.keys(schema).map((k) => `${k}:${JSON.stringify(schema[k])}`).join('\u0000');
    if (this.schema && key === this.key) { this.schema = schema; return; }
    this.flush();
    this.schema = schema;
    this.key = key;
    this.arrowSchema = new arrow.Schema(Object.keys(schema).map((k) => toArrowField(k, schema[k]!)));
    this.mergeable = Object.values(schema).every((t) => MERGEABLE.has(t.kind));
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const c = this.pending.length === 1 ? this.pending[0]! : concatChunks(this.schema!, this.pending);
    this.batches.push(chunkToRecordBatch(c, this.arrowSchema!));
    this.pending = [];
    this.pendingRows = 0;
    this.pendingBytes = 0;
  }
}

const MERGEABLE = new Set<DType['kind']>(['int8', 'int16', 'int32', 'uint8', 'uint16', 'uint32', 'float32', 'float64', 'int64', 'uint64', 'timestamp', 'utf8', 'binary', 'tensor']);

/** Bytes a chunk's buffers occupy (views only, shared buffers counted once per view); described row ids count 0. */
export function chunkBytes(c: Chunk): number {
  const ids = rowIdsOf(c);
  let n = ids instanceof Float64Array ? ids.byteLength : 0;
  const visit = (d: arrow.Data) => {
    for (const v of [d.valueOffsets, d.values, d.nullBitmap, d.typeIds] as (ArrayBufferView | undefined)[]) if (v) n += v.byteLength;
    for (const ch of d.children) visit(ch);
  };
  for (const k of Object.keys(c.schema)) visit(c.columns[k]!);
  return n;
}

/** A RecordBatch as zero-copy chunks of at most `batchSize` rows; row ids (described) start at `firstRowId`. */
export function* recordBatchChunks(b: arrow.RecordBatch, firstRowId: number, batchSize: number, schema: Schema = fromArrowSchema(b.schema)): Generator<Chunk> {
  const cols: Record<string, arrow.Data> = {};
  b.schema.fields.forEach((f, i) => { cols[f.name] = b.data.children[i]!; });
  const n = b.numRows;
  for (let s = 0; s < n; s += batchSize) {
    const e = Math.min(n, s + batchSize);
    const part: Record<string, arrow.Data> = {};
    for (const k of Object.keys(cols)) part[k] = s === 0 && e === n ? cols[k]! : cols[k]!.slice(s, e - s);
    yield makeChunk(schema, part, rowIdRange(firstRowId + s, e - s));
  }
}

/** A RecordBatch as a chunk; row ids (described) start at `firstRowId`. */
export function recordBatchToChunk(b: arrow.RecordBatch, firstRowId: number, schema: Schema = fromArrowSchema(b.schema)): Chunk {
  const cols: Record<string, arrow.Data> = {};
  b.schema.fields.forEach((f, i) => { cols[f.name] = b.data.children[i]!; });
  return makeChunk(schema, cols, rowIdRange(firstRowId, b.numRows));
}

export function arrowSchemaOf(s: Schema): arrow.Schema {
  return toArrowSchema(s);
}
