// Rows in epoch order → batches: consecutive groups of batchSize, or length buckets. Bucketing
// sorts each window of `windowBatches × batchSize` rows by length, cuts it into batches and (unless
// shuffling is off) shuffles the batches of the window with a generator keyed on (seed, epoch,
// window), so the batch sequence is as reproducible as the row order it is cut from.
import type * as arrow from 'apache-arrow';
import type { DType } from '../types/dtype.ts';
import { hashString, rowRng } from '../ops/random.ts';
import { isValid } from '../exec/column.ts';
import type { LoaderConfig } from './batch-options.ts';
import type { RowRef } from './order-rows.ts';

const BUCKET_KEY = hashString('modaflow.loader.bucket');

/** The length of row i used for bucketing: list length, string/binary bytes, var-tensor elements; 0 for null. */
export function rowLength(t: DType, data: arrow.Data, i: number): number {
  if (!isValid(data, i)) return 0;
  switch (t.kind) {
    case 'list': case 'utf8': case 'binary': {
      const o = data.valueOffsets as Int32Array;
      return o[i + 1]! - o[i]!;
    }
    case 'varTensor': {
      const sc = data.children[1]!.children[0]!;
      const s = sc.values as Int32Array;
      let n = 1;
      for (let d = 0; d < t.ndim; d++) n *= s[i * t.ndim + d]!;
      return n;
    }
    default: return 1;
  }
}

/** Group rows into the epoch's batches. */
export async function* groupBatches(rows: AsyncIterable<RowRef[]>, config: LoaderConfig, epoch: number): AsyncGenerator<RowRef[]> {
  const b = config.batchSize;
  const bucket = config.bucketBy;
  if (!bucket) {
    let cur: RowRef[] = [];
    for await (const block of rows) {
      for (const r of block) {
        cur.push(r);
        if (cur.length === b) { yield cur; cur = []; }
      }
    }
    if (cur.length && !config.dropLast) yield cur;
    return;
  }
  const window = b * bucket.windowBatches;
  let win: RowRef[] = [];
  let w = 0;
  const flush = function* (this: void): Generator<RowRef[]> {
    const col = bucket.column;
    const lens = win.map((r) => rowLength(r.c.schema[col]!, r.c.columns[col]!, r.i));
    const idx = win.map((_, k) => k);
    idx.sort((x, y) => lens[x]! - lens[y]! || x - y); // stable: equal lengths keep the shuffled order
    const batches: RowRef[][] = [];
    for (let s = 0; s < idx.length; s += b) {
      const part = idx.slice(s, s + b).map((k) => win[k]!);
      if (part.length === b || !config.dropLast) batches.push(part);
    }
    if (config.shuffle !== false) {
      const rng = rowRng(config.seed, BUCKET_KEY ^ hashString(`epoch ${epoch}`), w);
      for (let k = batches.length - 1; k > 0; k--) {
        const j = rng.int(0, k);
        [batches[k], batches[j]] = [batches[j]!, batches[k]!];
      }
    }
    w++;
    win = [];
    yield* batches;
  };
  for await (const block of rows) {
    for (const r of block) {
      win.push(r);
      if (win.length === window) yield* flush();
    }
  }
  if (win.length) yield* flush();
}
