// Row ids of in-memory and file sources: made per batch as batches stream (their memory is freed
// and reused as the run proceeds), or sliced from one array when the input is gathered into one
// chunk downstream (a table op), so that gathering it needs no copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as arrow from 'apache-arrow';
import { defineTableOp, dt, fromSource, type Schema, type Source, type SourceReadOptions } from '../../src/index.ts';
import { recordBatchChunks } from '../../src/exec/chunk.ts';
import { arrowTableSource } from '../../src/io/memory.ts';
import { affine } from '../exec/test-ops.ts';

const table = () => arrow.tableFromArrays({ x: Float64Array.from({ length: 1000 }, (_, i) => i) });

test('recordBatchChunks: the same row ids streaming (one array per batch) and collected (views of one array)', () => {
  const b = table().batches[0]!;
  const streaming = [...recordBatchChunks(b, 5000, 300)];
  const collected = [...recordBatchChunks(b, 5000, 300, undefined, true)];
  for (const cs of [streaming, collected]) {
    assert.deepEqual(cs.map((c) => c.length), [300, 300, 300, 100]);
    assert.deepEqual(cs.flatMap((c) => Array.from(c.rowIds)), Array.from({ length: 1000 }, (_, i) => 5000 + i));
    assert.deepEqual(cs.flatMap((c) => Array.from(c.columns['x']!.values as Float64Array).slice(0, c.length)), Array.from({ length: 1000 }, (_, i) => i));
  }
  assert.equal(new Set(streaming.map((c) => c.rowIds.buffer)).size, 4, 'streaming: one array per batch');
  assert.equal(new Set(collected.map((c) => c.rowIds.buffer)).size, 1, 'collected: views of one array');
});

const passDef = defineTableOp<Record<string, never>>({
  name: 'test.row-ids-pass',
  module: import.meta.url,
  arity: 1,
  outputs: (_p, [s]) => s!,
  run: ([c]) => { gatheredBuffers.push(c!.rowIds.buffer); return c!; },
});
const gatheredBuffers: ArrayBufferLike[] = [];

test('the executor asks a source for collected row ids only where a table op gathers its output', async () => {
  const asked: (boolean | undefined)[] = [];
  const handedOut: ArrayBufferLike[] = [];
  const spy = (): Source => {
    const inner = arrowTableSource(table());
    return {
      name: 'spy', knownSchema: inner.knownSchema, describe: () => 'spy', resolveSchema: () => inner.resolveSchema(), rowCount: 1000,
      async *read(o: SourceReadOptions) {
        asked.push(o.collected);
        for await (const b of inner.read(o)) { handedOut.push(b.chunk.rowIds.buffer); yield b; }
      },
    };
  };
  const streamed = await fromSource<{ x: ReturnType<typeof dt.float64> }>(spy()).map(affine({ column: 'x', output: 'y', a: 1, b: 0 })).compute({ workers: 0, batchSize: 128 });
  assert.equal(streamed.numRows, 1000);
  const gathered = await fromSource<Schema>(spy()).apply(passDef.call({})).compute({ workers: 0, batchSize: 128 });
  assert.equal(gathered.numRows, 1000);
  assert.deepEqual(asked, [undefined, true]);
  assert.equal(new Set(handedOut.slice(0, 8)).size, 8, 'streamed: one row-id array per batch');
  assert.equal(new Set(handedOut.slice(8)).size, 1, 'gathered: the batches are views of one array');
  assert.deepEqual(gatheredBuffers, [handedOut[8]], 'the table op sees that array itself: gathering copied no row ids');
});
