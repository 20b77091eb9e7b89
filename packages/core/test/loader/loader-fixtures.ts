// Generated multimodal datasets for the loader tests: every modality of row `id` is derived from
// `id`, so a test can check that the image, text and audio in one batch slot belong together.
import { dt, fromRows } from '../../src/index.ts';

export const MM_SCHEMA = {
  id: dt.int32(),
  image: dt.tensor(dt.uint8(), [2, 2, 3]),
  tokens: dt.list(dt.int32()),
  audio: dt.varTensor(dt.float32(), 1),
  caption: dt.utf8(),
} as const;

/** Token ids of row id: length from `lens`, values id*1000 + k + 1 (never 0, the pad value). */
export function tokensOf(id: number, len: number): number[] {
  return Array.from({ length: len }, (_, k) => id * 1000 + k + 1);
}

export function audioOf(id: number): Float32Array {
  return Float32Array.from({ length: 1 + (id * 7) % 5 }, (_, k) => id + k / 10);
}

export function imageOf(id: number): Uint8Array {
  return Uint8Array.from({ length: 12 }, (_, k) => (id * 13 + k) % 256);
}

/** A multimodal dataset of n rows; token lengths from `lens` (default id % 7). */
export function multimodal(n: number, lens: readonly number[] = Array.from({ length: n }, (_, i) => i % 7)) {
  const rows = Array.from({ length: n }, (_, id) => ({
    id,
    image: { data: imageOf(id), shape: [2, 2, 3] },
    tokens: tokensOf(id, lens[id]!),
    audio: { data: audioOf(id), shape: [audioOf(id).length] },
    caption: `row ${id}`,
  }));
  return fromRows(rows, MM_SCHEMA);
}

/** A one-column dataset of ids 0..n-1 with token lists of the given lengths. */
export function tokenRows(lens: readonly number[]) {
  return fromRows(lens.map((len, id) => ({ id, tokens: tokensOf(id, len) })), { id: dt.int32(), tokens: dt.list(dt.int32()) });
}

/** Collect the row ids of every batch of an async iterable of batches. */
export async function batchIds(it: AsyncIterable<{ rowIds: Float64Array }>): Promise<number[][]> {
  const out: number[][] = [];
  for await (const b of it) out.push(Array.from(b.rowIds));
  return out;
}
