// The epoch order of rows: source order, tf.data's buffer shuffle, or a full shuffle. Rows are
// referenced, never copied: a RowRef points at a row of an upstream chunk, and the chunk stays alive
// only while some ref to it does.
import type { Chunk } from '../exec/chunk.ts';
import { hashString, rowRng, rowUint32 } from '../ops/random.ts';
import type { LoaderConfig } from './batch-options.ts';

/** Row i of chunk c. */
export interface RowRef {
  readonly c: Chunk;
  readonly i: number;
}

const BUFFER_KEY = hashString('modaflow.loader.buffer-shuffle');
const FULL_KEY = hashString('modaflow.loader.full-shuffle');
const BLOCK = 4096;

/**
 * The rows of one epoch in their shuffled order, in blocks.
 *
 * - 'full' keys every row on (seed, epoch, row id) and sorts by key: the permutation depends only on
 *   which rows exist, not on the order or chunking in which the upstream run delivers them. It
 *   holds the epoch's chunks in memory.
 * - 'buffer' streams: a buffer of `bufferSize` rows; each arriving row takes the place of a
 *   uniformly drawn buffered row, which is emitted (tf.data semantics). The draws come from one
 *   counter-based stream keyed on (seed, epoch), so the order depends only on the row sequence,
 *   which the executor keeps in source order whatever its batch size or worker count.
 */
export async function* orderRows(chunks: AsyncIterable<Chunk>, config: LoaderConfig, epoch: number): AsyncGenerator<RowRef[]> {
  if (config.shuffle === 'full') {
    yield* fullShuffle(chunks, config.seed, epoch);
    return;
  }
  if (config.shuffle === 'buffer') {
    yield* bufferShuffle(chunks, config.seed, epoch, config.bufferSize);
    return;
  }
  for await (const c of chunks) {
    const out: RowRef[] = new Array(c.length);
    for (let i = 0; i < c.length; i++) out[i] = { c, i };
    if (out.length) yield out;
  }
}

async function* bufferShuffle(chunks: AsyncIterable<Chunk>, seed: number, epoch: number, size: number): AsyncGenerator<RowRef[]> {
  const rng = rowRng(seed, BUFFER_KEY, epoch);
  const buf: RowRef[] = [];
  for await (const c of chunks) {
    const out: RowRef[] = [];
    for (let i = 0; i < c.length; i++) {
      const r = { c, i };
      if (buf.length < size) { buf.push(r); continue; }
      const j = rng.int(0, size - 1);
      out.push(buf[j]!);
      buf[j] = r;
    }
    if (out.length) yield out;
  }
  // Drain: draw without replacement from what is left.
  const out: RowRef[] = [];
  while (buf.length) {
    const j = rng.int(0, buf.length - 1);
    out.push(buf[j]!);
    buf[j] = buf[buf.length - 1]!;
    buf.pop();
    if (out.length === BLOCK) yield out.splice(0);
  }
  if (out.length) yield out;
}

async function* fullShuffle(chunks: AsyncIterable<Chunk>, seed: number, epoch: number): AsyncGenerator<RowRef[]> {
  const all: Chunk[] = [];
  let n = 0;
  for await (const c of chunks) { if (c.length) { all.push(c); n += c.length; } }
  const chunkOf = new Int32Array(n);
  const rowOf = new Int32Array(n);
  const ids = new Float64Array(n);
  let at = 0;
  all.forEach((c, ci) => {
    for (let i = 0; i < c.length; i++, at++) { chunkOf[at] = ci; rowOf[at] = i; ids[at] = c.rowIds[i]!; }
  });
  const key = new Uint32Array(n);
  const epochKey = FULL_KEY ^ hashString(`epoch ${epoch}`);
  for (let k = 0; k < n; k++) key[k] = rowUint32(seed, epochKey, ids[k]!);
  // A plain array: V8 sorts it with a comparator several times faster than a typed array.
  const order: number[] = new Array(n);
  for (let k = 0; k < n; k++) order[k] = k;
  // Ties of the 32-bit key fall back to the row id; rows that share a row id (a join's matches)
  // keep their arrival order among themselves and are then spread by a per-occurrence key.
  const cmp = (a: number, b: number): number => key[a]! - key[b]! || ids[a]! - ids[b]! || a - b;
  order.sort(cmp);
  let dup = false;
  for (let k = 1; k < n && !dup; k++) dup = ids[order[k]!] === ids[order[k - 1]!];
  if (dup) {
    let run = 0;
    for (let k = 0; k < n; k++) {
      run = k > 0 && ids[order[k]!] === ids[order[k - 1]!] ? run + 1 : 0;
      if (run > 0) key[order[k]!] = rowUint32(seed, epochKey ^ hashString(`occurrence ${run}`), ids[order[k]!]!);
    }
    order.sort(cmp);
  }
  for (let s = 0; s < n; s += BLOCK) {
    const e = Math.min(n, s + BLOCK);
    const out: RowRef[] = new Array(e - s);
    for (let k = s; k < e; k++) { const o = order[k]!; out[k - s] = { c: all[chunkOf[o]!]!, i: rowOf[o]! }; }
    yield out;
  }
}
