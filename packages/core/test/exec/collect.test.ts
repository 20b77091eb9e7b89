// compute() collects a run's output into one Arrow table: small output batches are merged into
// record batches of about 16k rows (where every column concatenates by buffer copies), larger or
// other batches pass as they are, and the table is the same rows in the same order either way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dt, fromRows, tableRows } from '../../src/index.ts';
import { RecordBatchCollector, makeChunk, rowIdRange } from '../../src/exec/chunk.ts';
import { buildData } from '../../src/exec/column.ts';

test('law: the collected table has the rows of every batch in order, whatever the batch size; small batches are merged', async () => {
  await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 700 }), async (n, batchSize) => {
    const rows = Array.from({ length: n }, (_, i) => ({ x: i * 0.5, s: i % 3 === 0 ? null : `r${i}`, k: BigInt(i) }));
    const ds = fromRows(rows, { x: dt.float64(), s: dt.utf8(), k: dt.int64() });
    const t = await ds.compute({ workers: 0, batchSize });
    assert.deepEqual(tableRows(t), rows);
    assert.ok(t.batches.length <= Math.max(1, Math.ceil(n / 16_384) + 1), `${t.batches.length} record batches for ${n} rows`);
    assert.ok(t.batches.every((b) => b.schema === t.batches[0]!.schema), 'one shared Arrow schema');
  }), { numRuns: 25 });
});

test('RecordBatchCollector: batches of types without a buffer concatenation (varTensor) pass one by one, unchanged', () => {
  const schema = { v: dt.varTensor(dt.float32(), 1), x: dt.float64() };
  const col = new RecordBatchCollector();
  for (let b = 0; b < 5; b++) {
    const v = buildData(schema.v, [{ data: Float32Array.of(b, b + 0.5), shape: [2] }, { data: Float32Array.of(-b), shape: [1] }]);
    col.push(makeChunk(schema, { v, x: buildData(schema.x, [b, b + 0.25]) }, rowIdRange(2 * b, 2)));
  }
  const batches = col.finish();
  assert.equal(batches.length, 5);
  assert.deepEqual(batches.map((b) => b.getChild('x')!.toArray()[1]), [0.25, 1.25, 2.25, 3.25, 4.25]);
});

test('RecordBatchCollector: a large batch flushes the merged small ones before it, keeping order', () => {
  const schema = { x: dt.float64() };
  const chunk = (from: number, n: number) => makeChunk(schema, { x: buildData(schema.x, Float64Array.from({ length: n }, (_, i) => from + i)) }, rowIdRange(from, n));
  const col = new RecordBatchCollector();
  col.push(chunk(0, 10)); col.push(chunk(10, 10)); col.push(chunk(20, 20_000)); col.push(chunk(20_020, 5));
  const batches = col.finish();
  assert.deepEqual(batches.map((b) => b.numRows), [20, 20_000, 5]);
  const all = batches.flatMap((b) => Array.from(b.getChild('x')!.toArray() as Float64Array));
  assert.deepEqual(all, Array.from({ length: 20_025 }, (_, i) => i));
});
