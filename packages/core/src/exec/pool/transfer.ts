// Moving chunks between threads without structured-cloning column data. A chunk is flattened to
// its Arrow buffers (typed arrays) plus a little plain metadata; types are rebuilt on the other
// side from the schema, so no arrow-js class instance crosses a thread.
//
// A buffer is handed over (transferred: the sender's copy is detached) only when the sender owns
// it outright: the typed array must span its whole ArrayBuffer, and the caller must vouch that no
// other chunk shares it. Everything else is copied explicitly (only the bytes in view), and the
// copy is transferred — postMessage would otherwise clone the whole underlying ArrayBuffer, which
// for an IPC-file-backed column is the whole file.
import * as arrow from 'apache-arrow';
import type { Schema } from '../../types/schema.ts';
import { toArrowType } from '../../types/arrow-types.ts';
import type { Chunk, RowIds } from '../chunk.ts';
import { makeChunk, rowIdsOf } from '../chunk.ts';
import { InvalidArgumentError } from '../../errors.ts';

type View = ArrayBufferView & { readonly length?: number };

/** One arrow.Data as plain data: its buffers and layout; the type comes from the schema. */
export interface WireData {
  readonly offset: number;
  readonly length: number;
  readonly nullCount: number;
  readonly valueOffsets?: View;
  readonly values?: View;
  readonly nullBitmap?: View;
  readonly typeIds?: View;
  readonly children: readonly WireData[];
}

export interface WireChunk {
  readonly schema: Schema;
  readonly length: number;
  /** Written out (a buffer like any other), or described (a range: a few numbers). */
  readonly rowIds: RowIds;
  readonly columns: { readonly [name: string]: WireData };
}

/** Bytes moved by one hop. */
export interface HopBytes {
  /** Bytes handed over by transfer (no copy). */
  transferred: number;
  /** Bytes copied before the hand-over (buffers the sender must keep, or partial views). */
  copied: number;
}

export interface Encoded {
  readonly wire: WireChunk;
  readonly transferList: ArrayBuffer[];
  readonly bytes: HopBytes;
}

function copyView(v: View): View {
  const Ctor = v.constructor as new (b: ArrayBuffer) => View;
  const b = (v.buffer as ArrayBuffer).slice(v.byteOffset, v.byteOffset + v.byteLength);
  return new Ctor(b);
}

/**
 * Flatten a chunk for postMessage. With `transfer`, buffers that span their whole ArrayBuffer are
 * moved (the sender loses them); others are copied. Without it, every buffer is copied (by the
 * message's clone, or here for partial views), so the sender's chunk stays usable (needed for
 * retries and for chunks others still read).
 */
export function encodeChunk(chunk: Chunk, transfer: boolean): Encoded {
  const list = new Set<ArrayBuffer>();
  const bytes: HopBytes = { transferred: 0, copied: 0 };
  const buf = (v: View | undefined): View | undefined => {
    if (!v || v.byteLength === 0) return v;
    const ab = v.buffer;
    if (ab instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === ab.byteLength) {
      if (transfer) {
        if (!list.has(ab)) { list.add(ab); bytes.transferred += ab.byteLength; }
        return v;
      }
      // A view of a whole buffer the sender keeps: postMessage's clone copies it (into the
      // message, with no sender-side copy object to collect); a partial view is copied below,
      // as a clone would copy its whole buffer.
      bytes.copied += v.byteLength;
      return v;
    }
    const c = copyView(v);
    list.add(c.buffer as ArrayBuffer);
    bytes.copied += c.byteLength;
    return c;
  };
  const data = (d: arrow.Data, column: string): WireData => {
    if (d.dictionary) {
      throw new InvalidArgumentError('MF_NOT_SERIALIZABLE', `column '${column}' is dictionary-encoded, which cannot cross threads yet`, {
        column, fix: "decode it (cast to utf8) before the ops, or run with workers: 0",
      });
    }
    const out: { -readonly [K in keyof WireData]: WireData[K] } = {
      offset: d.offset, length: d.length, nullCount: d.nullCount, children: d.children.map((c) => data(c, column)),
    };
    const vo = buf(d.valueOffsets as View | undefined); if (vo) out.valueOffsets = vo;
    const va = buf(d.values as View | undefined); if (va) out.values = va;
    const nb = buf(d.nullBitmap as View | undefined); if (nb) out.nullBitmap = nb;
    const ti = buf(d.typeIds as View | undefined); if (ti) out.typeIds = ti;
    return out;
  };
  const columns: Record<string, WireData> = {};
  for (const k of Object.keys(chunk.schema)) columns[k] = data(chunk.columns[k]!, k);
  const ids = rowIdsOf(chunk);
  const rowIds = ids instanceof Float64Array ? buf(ids) as Float64Array : ids;
  return { wire: { schema: chunk.schema, length: chunk.length, rowIds, columns }, transferList: [...list], bytes };
}

function decodeData(type: arrow.DataType, w: WireData): arrow.Data {
  const children = w.children.map((c, i) => decodeData(type.children[i]!.type, c));
  const buffers = [w.valueOffsets, w.values, w.nullBitmap, w.typeIds] as unknown as ConstructorParameters<typeof arrow.Data>[4];
  return new arrow.Data(type, w.offset, w.length, w.nullCount, buffers, children);
}

/** Rebuild a chunk from its wire form (no copy: the arrays are used as they arrived). */
export function decodeChunk(w: WireChunk): Chunk {
  const columns: Record<string, arrow.Data> = {};
  for (const [k, t] of Object.entries(w.schema)) columns[k] = decodeData(toArrowType(t), w.columns[k]!);
  return makeChunk(w.schema, columns, w.rowIds);
}
