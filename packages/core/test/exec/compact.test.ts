// compactData: what a kernel sees of a sliced column (offset 0, values from index 0). A slice of a
// null-free fixed-width column is a view of the caller's buffer; anything else is copied; the
// values are those of the slice either way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildData, dt, getValue, type DType } from '../../src/index.ts';
import { compactData } from '../../src/exec/chunk.ts';

const TYPES: readonly [string, DType, (i: number) => unknown][] = [
  ['float64', dt.float64(), (i) => i * 0.25],
  ['float32', dt.float32(), (i) => i],
  ['int32', dt.int32(), (i) => i - 7],
  ['int64', dt.int64(), (i) => BigInt(i) * 5n],
  ['uint8', dt.uint8(), (i) => i % 256],
  ['bool', dt.bool(), (i) => i % 3 === 0],
  ['utf8', dt.utf8(), (i) => `s${i}`],
  ['tensor', dt.tensor(dt.float32(), [2]), (i) => Float32Array.from([i, -i])],
];

const plain = (v: unknown): unknown => (ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<unknown>) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v);

test('law: compactData of any slice has offset 0 and the slice\'s values; a null-free fixed-width slice is a view (no copy)', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: TYPES.length - 1 }), fc.integer({ min: 1, max: 300 }), fc.nat(), fc.nat(), fc.boolean(), (ti, n, a, b, nulls) => {
    const [name, t, make] = TYPES[ti]!;
    const values = Array.from({ length: n }, (_, i) => (nulls && i % 5 === 2 ? null : make(i)));
    const data = buildData(t, values);
    const start = a % n, len = 1 + (b % (n - start));
    const slice = data.slice(start, len);
    const c = compactData(t, slice);
    assert.equal(c.offset, 0);
    assert.equal(c.length, len);
    for (let i = 0; i < len; i++) assert.deepEqual(plain(getValue(t, c, i)), plain(getValue(t, data, start + i)), `${name} row ${i}`);
    const fixed = name !== 'bool' && name !== 'utf8' && name !== 'tensor';
    if (start > 0 && fixed && !values.slice(start, start + len).includes(null)) {
      assert.equal(c.values.buffer, data.values.buffer, `${name}: a view of the same buffer`);
    }
  }), { numRuns: 300 });
});
