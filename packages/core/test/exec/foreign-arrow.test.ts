// A kernel whose module got the other build of apache-arrow (CommonJS beside ESM, as happens in a
// worker) returns Data with foreign type classes: the executor re-wraps the buffers with its own
// types (no copy) instead of rejecting or mangling them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as arrow from 'apache-arrow';
import { defineOp, dt, fromArrow, fromRows, ModaflowError } from '../../src/index.ts';
import type { Float64, Int32, Utf8 } from '../../src/index.ts';
import { rowsOf } from '../helpers.ts';

const cjsArrow = createRequire(import.meta.url)('apache-arrow') as typeof arrow;

const def = defineOp<{ bad?: boolean }>({
  name: 'test.foreign-arrow',
  module: import.meta.url,
  inputs: () => ({ s: dt.utf8() }),
  outputs: () => ({ n: dt.int32(), l: dt.list(dt.float64()) }),
  kernel(input, p) {
    const v = input.values('s') as (string | null)[];
    const n = cjsArrow.vectorFromArray(v.map((x) => (x === null ? null : x.length)), p.bad ? new cjsArrow.Float64() : new cjsArrow.Int32());
    const l = cjsArrow.vectorFromArray(v.map((x) => (x === null ? null : [x.length, 0.5])), new cjsArrow.List(new cjsArrow.Field('item', new cjsArrow.Float64(), true)));
    return { columns: { n: n.data[0]!, l: l.data[0]! } };
  },
});
const foreign = (p: { bad?: boolean } = {}) => def.call<{ s: Utf8 }, { n: Int32; l: import('../../src/index.ts').List<Float64> }>(p);

test('Data built by another copy of apache-arrow is adopted without copying, types checked', async () => {
  assert.notEqual(cjsArrow.DataType, arrow.DataType, 'the CommonJS build is a distinct copy');
  const ds = fromRows([{ s: 'ab' }, { s: null }, { s: 'xyz' }], { s: dt.utf8() });
  const t = await ds.map(foreign()).compute({ workers: 0 } as never);
  assert.deepEqual(rowsOf(t), [{ s: 'ab', n: 2, l: [2, 0.5] }, { s: null, n: null, l: null }, { s: 'xyz', n: 3, l: [3, 0.5] }]);
  await assert.rejects(ds.map(foreign({ bad: true })).compute({ workers: 0 } as never), (e: ModaflowError) => e.code === 'MF_OP_OUTPUT' && e.column === 'n');
});

test('on worker threads an op module shares the worker\'s apache-arrow (one copy per worker)', async () => {
  const { arrowIdentity } = await import('../fixtures/arrow-identity-op.ts');
  const rows = Array.from({ length: 40 }, (_, i) => ({ s: `r${i}` }));
  const t = await fromRows(rows, { s: dt.utf8() }).map(arrowIdentity({ column: 's' })).compute({ workers: 2, batchSize: 10 } as never);
  assert.deepEqual(new Set(rowsOf(t).map((r) => r.same_arrow)), new Set([true]));
});

test('fromArrow over a table built by another copy of apache-arrow: its buffers are adopted (no copy), batches sliced and sent to workers as any other', async () => {
  const n = 5000;
  const x = Float64Array.from({ length: n }, (_, i) => i * 0.5);
  const table = new cjsArrow.Table({ x: cjsArrow.makeVector(x), s: cjsArrow.vectorFromArray(Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : `v${i}`)), new cjsArrow.Utf8()) });
  assert.ok(!(table.getChild('x')!.type instanceof arrow.DataType), 'a foreign table');
  const { affine } = await import('./test-ops.ts');
  const ds = fromArrow<{ x: Float64; s: Utf8 }>(table as unknown as arrow.Table).map(affine({ column: 'x', output: 'y', a: 2, b: 1 }));
  for (const workers of [0, 2]) {
    const t = await ds.compute({ workers, batchSize: 700 });
    assert.equal(t.numRows, n);
    assert.deepEqual(Array.from(t.getChild('y')!.toArray() as Float64Array), Array.from(x, (v) => 2 * v + 1));
    assert.deepEqual(Array.from({ length: 20 }, (_, i) => t.getChild('s')!.get(i)), Array.from({ length: 20 }, (_, i) => (i % 7 === 0 ? null : `v${i}`)));
  }
  // Adopted, not copied: the source's batches are views of the caller's buffers.
  const src = (fromArrow(table as unknown as arrow.Table).plan as unknown as { source: { table: arrow.Table } }).source;
  assert.equal(src.table.getChild('x')!.data[0]!.values.buffer, table.getChild('x')!.data[0]!.values.buffer);
});
