// Moving batches between threads without structured-cloning column data. The batches of one
// message are flattened to numbers (a Float64Array header: lengths, offsets, null counts, where
// each buffer is) plus their buffers; types are rebuilt on the other side from the schema, so no
// arrow-js class instance crosses a thread, and no per-batch object is cloned.
//
// Where a buffer travels depends on its size:
// - Small buffers (under PACK_BELOW bytes) are copied into one pack per message. A hop costs a
//   fixed amount per object and per ArrayBuffer it carries (~7–10 µs of CPU per 64-row batch on
//   this machine when each batch carried its own buffers and metadata objects), far more than
//   copying a few KB; this is what Ray does with small objects (inlined in the task).
// - Large buffers travel on their own. One is handed over (transferred: the sender's copy is
//   detached) only when the sender owns it outright: the typed array spans its whole ArrayBuffer,
//   and the caller vouches that no other chunk shares it. Otherwise a whole buffer is cloned by
//   the message, and a partial view is copied explicitly (only the bytes in view) and the copy
//   transferred — postMessage would clone the whole underlying ArrayBuffer, which for an
//   IPC-file-backed column is the whole file.
// The header (and a trailer of numbers the caller adds, e.g. a reply's figures) is the start of the
// pack: a message carries one ArrayBuffer for all of it, not one per part (each ArrayBuffer costs
// ~2–4 µs to allocate here, again to clone or receive, and a backing store to sweep later).
// Decoded batches of one message share its pack (views into it); a view never spans a pack that
// holds anything else, so a later hop never transfers (detaches) a shared pack.
import * as arrow from 'apache-arrow';
import type { Schema } from '../../types/schema.ts';
import { toArrowType } from '../../types/arrow-types.ts';
import type { Chunk, RowIds } from '../chunk.ts';
import { makeChunk, rowIdsOf, unslicedView } from '../chunk.ts';
import { InvalidArgumentError } from '../../errors.ts';

type View = ArrayBufferView & { readonly length: number };
type ViewCtor = { new (n: number): View; new (b: ArrayBufferLike, byteOffset: number, length: number): View; readonly BYTES_PER_ELEMENT: number };

/** Buffers under this many bytes travel copied into the message's pack. */
export const PACK_BELOW = 32 * 1024;

const CTORS: readonly ViewCtor[] = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
] as unknown as ViewCtor[];
const CTOR_CODE = new Map<unknown, number>(CTORS.map((c, i) => [c, i + 1]));

/** Where a buffer is: absent, in the pack, on its own, or empty. */
const At = { None: 0, Pack: 1, Own: 2, Empty: 3 } as const;
/** How a batch's row ids travel. */
const Ids = { Range: 0, Runs: 1, Written: 2 } as const;

/**
 * Batches as plain data. The header holds, per batch: schema index, length, row ids; then per
 * column (in schema order, children depth-first): offset, length, null count, child count and
 * four buffer slots (valueOffsets, values, nullBitmap, typeIds), each [type code, where, at, length].
 * The pack holds the header, then the trailer (if any), then the small buffers from `packAt` on
 * (a buffer's `at` counts from there).
 */
export interface WireBatches {
  readonly count: number;
  readonly schemas: readonly Schema[];
  /** A view of the start of `pack`. */
  readonly header: Float64Array;
  readonly pack: ArrayBuffer;
  /** Where the small buffers start in the pack (bytes). */
  readonly packAt: number;
  readonly own: readonly ArrayBufferView[];
}

/** Bytes moved by one hop. */
export interface HopBytes {
  /** Bytes handed over by transfer (no copy). */
  transferred: number;
  /** Bytes copied before or by the hand-over (buffers the sender keeps, partial views, small buffers). */
  copied: number;
}

export interface EncodedBatches {
  readonly wire: WireBatches;
  readonly transferList: ArrayBuffer[];
  /** Per batch. */
  readonly bytes: HopBytes[];
}

/** One batch (the single-batch form of encodeBatches). */
export interface Encoded {
  readonly wire: WireBatches;
  readonly transferList: ArrayBuffer[];
  readonly bytes: HopBytes;
}

/** The bytes in view, in a fresh ArrayBuffer (also for a view of a SharedArrayBuffer, which cannot be transferred). */
function copyView(v: View): View {
  const c = new (v.constructor as ViewCtor)(v.length);
  new Uint8Array(c.buffer, 0, c.byteLength).set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  return c;
}

/** Builds one message's wire form, batch by batch (a batch that cannot be encoded leaves no trace). */
export class BatchEncoder {
  private readonly header: number[] = [];
  private readonly schemas: Schema[] = [];
  private readonly own: View[] = [];
  private readonly list = new Set<ArrayBuffer>();
  /** Small views and their offsets in the pack. */
  private readonly small: View[] = [];
  private readonly smallAt: number[] = [];
  private packBytes = 0;
  private bytes: HopBytes = { transferred: 0, copied: 0 };
  /** Batches added. */
  count = 0;
  constructor(private readonly transfer: boolean) {}

  /** A buffer's slot; `mayTransfer` false keeps it with the sender even when transferring. */
  private buffer(v: View | undefined, mayTransfer = this.transfer): void {
    const h = this.header;
    if (!v) { h.push(At.None, 0, 0, 0); return; }
    const code = CTOR_CODE.get(v.constructor);
    if (code === undefined) throw new InvalidArgumentError('MF_NOT_SERIALIZABLE', `a column buffer of type ${v.constructor.name} cannot cross threads`, { fix: 'build columns from typed arrays (buildData), or run with workers: 0' });
    if (v.byteLength === 0) { h.push(code, At.Empty, 0, 0); return; }
    if (v.byteLength < PACK_BELOW) {
      const at = this.packBytes;
      this.small.push(v);
      this.smallAt.push(at);
      this.packBytes = at + ((v.byteLength + 7) & ~7);
      this.bytes.copied += v.byteLength;
      h.push(code, At.Pack, at, v.length);
      return;
    }
    h.push(code, At.Own, this.own.length, v.length);
    const ab = v.buffer;
    if (ab instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === ab.byteLength) {
      if (mayTransfer) {
        if (!this.list.has(ab)) { this.list.add(ab); this.bytes.transferred += ab.byteLength; }
      } else {
        // A whole buffer the sender keeps: the message's clone copies it.
        this.bytes.copied += v.byteLength;
      }
      this.own.push(v);
      return;
    }
    const c = copyView(v);
    this.list.add(c.buffer as ArrayBuffer);
    this.bytes.copied += c.byteLength;
    this.own.push(c);
  }

  private data(d: arrow.Data, column: string): void {
    if (d.dictionary) {
      throw new InvalidArgumentError('MF_NOT_SERIALIZABLE', `column '${column}' is dictionary-encoded, which cannot cross threads yet`, {
        column, fix: 'decode it (cast to utf8) before the ops, or run with workers: 0',
      });
    }
    // A slice of a null-free fixed-width column travels as a column of its own (offset 0): the
    // receiver's kernels need not compact it (a copy).
    d = unslicedView(d) ?? d;
    this.header.push(d.offset, d.length, d.nullCount, d.children.length);
    this.buffer(d.valueOffsets as View | undefined);
    this.buffer(d.values as View | undefined);
    this.buffer(d.nullBitmap as View | undefined);
    this.buffer(d.typeIds as View | undefined);
    for (const c of d.children) this.data(c, column);
  }

  /** Add one batch; returns the bytes it moves. Throws (adding nothing) if it cannot cross threads. */
  add(c: Chunk): HopBytes {
    const mark = [this.header.length, this.schemas.length, this.own.length, this.small.length, this.packBytes] as const;
    this.bytes = { transferred: 0, copied: 0 };
    try {
      let si = this.schemas.indexOf(c.schema);
      if (si < 0) { si = this.schemas.length; this.schemas.push(c.schema); }
      const ids = rowIdsOf(c);
      const h = this.header;
      h.push(si, c.length);
      // Row ids are never given away: the sender keeps them to name the rows if the batch is lost.
      if (ids instanceof Float64Array) { h.push(Ids.Written); this.buffer(ids, false); }
      else if (ids.runs) { h.push(Ids.Runs, ids.first, ids.n); this.buffer(ids.runs, false); }
      else h.push(Ids.Range, ids.first, ids.n);
      for (const k of Object.keys(c.schema)) {
        const d = c.columns[k];
        if (!d) throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `batch has no column '${k}' of its schema`, { column: k, fix: 'a kernel must return every column of its declared output' });
        this.data(d, k);
      }
    } catch (e) {
      // (Buffers already listed for transfer stay listed: they move, unused, with the message.)
      this.header.length = mark[0]; this.schemas.length = mark[1]; this.own.length = mark[2];
      this.small.length = mark[3]; this.smallAt.length = mark[3]; this.packBytes = mark[4];
      throw e;
    }
    this.count++;
    return this.bytes;
  }

  /**
   * The message: wire form and the buffers to transfer with it. `trailer` numbers travel in the
   * pack after the header; `trailer` in the result is their view there.
   */
  finish(trailer?: ArrayLike<number>): { wire: WireBatches; transferList: ArrayBuffer[]; trailer: Float64Array } {
    const h = this.header, nh = h.length, nt = trailer?.length ?? 0;
    const packAt = (nh + nt) * 8;
    const pack = new ArrayBuffer(packAt + this.packBytes);
    const header = new Float64Array(pack, 0, nh);
    header.set(h);
    const tail = new Float64Array(pack, nh * 8, nt);
    if (nt > 0) tail.set(trailer!);
    if (this.packBytes > 0) {
      const dst = new Uint8Array(pack, packAt);
      for (let i = 0; i < this.small.length; i++) {
        const v = this.small[i]!;
        dst.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), this.smallAt[i]!);
      }
    }
    this.list.add(pack);
    return { wire: { count: this.count, schemas: this.schemas, header, pack, packAt, own: this.own }, transferList: [...this.list], trailer: tail };
  }
}

/**
 * Flatten batches for one postMessage. With `transfer`, large buffers that span their whole
 * ArrayBuffer are moved (the sender loses them); everything else is copied (small buffers into
 * the pack, partial views explicitly, whole buffers by the message's clone), so without it the
 * sender's batches stay usable (needed for retries and for batches others still read).
 */
export function encodeBatches(chunks: readonly Chunk[], transfer: boolean): EncodedBatches {
  const e = new BatchEncoder(transfer);
  const bytes = chunks.map((c) => e.add(c));
  const { wire, transferList } = e.finish();
  return { wire, transferList, bytes };
}

/** One batch as plain data (see encodeBatches). */
export function encodeChunk(chunk: Chunk, transfer: boolean): Encoded {
  const e = encodeBatches([chunk], transfer);
  return { wire: e.wire, transferList: e.transferList, bytes: e.bytes[0]! };
}

class Decoder {
  at = 0;
  constructor(readonly w: WireBatches) {}

  buffer(): View | undefined {
    const h = this.w.header;
    const code = h[this.at]!, where = h[this.at + 1]!, at = h[this.at + 2]!, length = h[this.at + 3]!;
    this.at += 4;
    if (where === At.None) return undefined;
    const Ctor = CTORS[code - 1]!;
    if (where === At.Empty) return new Ctor(0);
    if (where === At.Pack) return new Ctor(this.w.pack, this.w.packAt + at, length);
    return this.w.own[at] as View;
  }

  data(type: arrow.DataType): arrow.Data {
    const h = this.w.header;
    const offset = h[this.at]!, length = h[this.at + 1]!, nullCount = h[this.at + 2]!, nChildren = h[this.at + 3]!;
    this.at += 4;
    const buffers = [this.buffer(), this.buffer(), this.buffer(), this.buffer()] as unknown as ConstructorParameters<typeof arrow.Data>[4];
    const children: arrow.Data[] = [];
    for (let i = 0; i < nChildren; i++) children.push(this.data(type.children[i]!.type));
    return new arrow.Data(type, offset, length, nullCount, buffers, children);
  }

  chunk(): Chunk {
    const h = this.w.header;
    const schema = this.w.schemas[h[this.at]!]!;
    const kind = h[this.at + 2]!;
    this.at += 3;
    let ids: RowIds;
    if (kind === Ids.Written) ids = this.buffer() as Float64Array;
    else {
      const first = h[this.at]!, n = h[this.at + 1]!;
      this.at += 2;
      ids = { first, n, runs: kind === Ids.Runs ? this.buffer() as Int32Array : null };
    }
    const columns: Record<string, arrow.Data> = {};
    for (const k of Object.keys(schema)) columns[k] = this.data(toArrowType(schema[k]!));
    return makeChunk(schema, columns, ids);
  }
}

/** Rebuild batches from their wire form (no copy: views of the buffers as they arrived). */
export function decodeBatches(w: WireBatches): Chunk[] {
  const d = new Decoder(w);
  const out: Chunk[] = [];
  for (let i = 0; i < w.count; i++) out.push(d.chunk());
  return out;
}

/** The one batch of a message made by encodeChunk. */
export function decodeChunk(w: WireBatches): Chunk {
  return decodeBatches(w)[0]!;
}
