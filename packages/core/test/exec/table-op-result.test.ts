// A table op may return the rows it removed on purpose (counted under `filtered`) and its bad rows
// (handled by the run's error policy), so that no row leaves a run uncounted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineTableOp, dt, fromRows, takeChunk, ModaflowError } from '../../src/index.ts';
import type { RowFailure } from '../../src/index.ts';
import { rowsOf } from '../helpers.ts';

const XS = { x: dt.float64() } as const;

// Keeps even x, removes odd x on purpose, and reports negative x as bad rows.
const evensDef = defineTableOp<Record<string, never>>({
  name: 'tabletest.evens', module: import.meta.url, arity: 1,
  outputs: (_p, [s]) => s!,
  run([c]) {
    const x = c!.columns['x']!.values as Float64Array;
    const keep: number[] = [], failures: RowFailure[] = [];
    let filtered = 0;
    for (let i = 0; i < c!.length; i++) {
      if (x[i]! < 0) failures.push({ rowId: c!.rowIds[i]!, op: 'tabletest.evens', column: 'x', code: 'MF_ROW_ERROR', message: `negative x ${x[i]}` });
      else if (x[i]! % 2 === 0) keep.push(i);
      else filtered++;
    }
    return { chunk: takeChunk(c!, keep), filtered, failures };
  },
});

test('a table op reports removed rows under filtered and bad rows under the error policy', async () => {
  const ds = fromRows([0, 1, 2, -3, 4, 5, -6].map((x) => ({ x })), XS).apply(evensDef.call({}));
  const skip = await ds.run({ onError: 'skip' });
  assert.deepEqual(rowsOf(skip.table).map((r) => r['x']), [0, 2, 4]);
  assert.equal(skip.report.filtered, 2);
  assert.equal(skip.report.skipped, 2);
  assert.equal(skip.report.rowsIn, skip.report.rowsOut + skip.report.filtered + skip.report.failed);
  const q = await ds.run({ onError: 'quarantine' });
  assert.deepEqual(rowsOf(q.report.quarantine!).map((r) => [r['source_row'], r['op'], r['column']]), [[3n, 'tabletest.evens', 'x'], [6n, 'tabletest.evens', 'x']]);
  await assert.rejects(ds.compute({ onError: 'fail' }), (e: unknown) => e instanceof ModaflowError && e.op === 'tabletest.evens' && e.column === 'x' && e.row === 3);
});
