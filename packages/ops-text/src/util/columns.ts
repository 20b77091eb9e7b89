// Arrow columns of token ids built straight from flat typed arrays: a batch of token lists becomes
// one Int32Array of values plus offsets, with no per-row JS arrays on the way.
import * as arrow from 'apache-arrow';
import { dt, toArrowType } from '@modaflow/core';

function validity(valid: Uint8Array | null, n: number): { nullBitmap: Uint8Array | null; nullCount: number } {
  if (!valid) return { nullBitmap: null, nullCount: 0 };
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (valid[i]) bitmap[i >> 3]! |= 1 << (i & 7);
    else nulls++;
  }
  return nulls ? { nullBitmap: bitmap, nullCount: nulls } : { nullBitmap: null, nullCount: 0 };
}

/** list<int32> from per-row offsets (n + 1) and flat values; `valid` marks non-null rows. */
export function int32ListData(offsets: Int32Array, values: Int32Array, valid: Uint8Array | null): arrow.Data {
  const n = offsets.length - 1;
  const child = arrow.makeData({ type: new arrow.Int32(), length: values.length, nullCount: 0, data: values });
  const type = toArrowType(dt.list(dt.int32())) as arrow.List;
  return arrow.makeData({ type, length: n, ...validity(valid, n), valueOffsets: offsets, child });
}

/** fixed_size_list<int32>[size] from flat values (n * size). */
export function int32FixedListData(size: number, values: Int32Array, valid: Uint8Array | null): arrow.Data {
  const n = values.length / size;
  const child = arrow.makeData({ type: new arrow.Int32(), length: values.length, nullCount: 0, data: values });
  const type = toArrowType(dt.fixedSizeList(dt.int32(), size)) as arrow.FixedSizeList;
  return arrow.makeData({ type, length: n, ...validity(valid, n), child });
}

/** list<fixed_size_list<int32>[2]> (offset pairs) from per-row offsets and flat pairs. */
export function pairListData(offsets: Int32Array, pairs: Int32Array, valid: Uint8Array | null): arrow.Data {
  const n = offsets.length - 1;
  const inner = int32FixedListData(2, pairs, null);
  const type = toArrowType(dt.list(dt.fixedSizeList(dt.int32(), 2))) as arrow.List;
  return arrow.makeData({ type, length: n, ...validity(valid, n), valueOffsets: offsets, child: inner });
}

/** fixed_size_list<fixed_size_list<int32>[2]>[size] from flat pairs (n * size * 2). */
export function pairFixedListData(size: number, pairs: Int32Array, valid: Uint8Array | null): arrow.Data {
  const n = pairs.length / (2 * size);
  const inner = int32FixedListData(2, pairs, null);
  const type = toArrowType(dt.fixedSizeList(dt.fixedSizeList(dt.int32(), 2), size)) as arrow.FixedSizeList;
  return arrow.makeData({ type, length: n, ...validity(valid, n), child: inner });
}

