// Declared op costs (costPerRow, measured by benchmarks/src/op-costs.bench.ts): what the executor
// decides from them, and that every params shape gives a usable figure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { availableParallelism } from 'node:os';
import { dt, fromRows } from '@modaflow/core';
import type { DType } from '@modaflow/core';
import { earlyFuseOp, imputeOp, lateFuseOp, maskMissingOp, modalityDropoutOp, convertTimeUnitOp, zscoreFilter, zscoreFilterOp } from '../src/index.ts';

/** Declared work per batch below which workers: 'auto' keeps a stage in-process (core's pool-executor.ts). */
const HOP_WORTH_US = 1000;
const cost = (def: { properties(p: never): { costPerRow: number } }, p: unknown) => def.properties(p as never).costPerRow;

test('workers: auto plans a float32 z-score filter over 64k-row batches in-process, without a probe', async () => {
  const saved = process.env['MODAFLOW_WORKERS'];
  delete process.env['MODAFLOW_WORKERS']; // the test runner sets it to 0 for every test
  try {
    const n = 3 * 65_536;
    const rows = Array.from({ length: n }, (_, i) => ({ x: (i % 1000) / 100 + (i % 4096 === 0 ? 60 : 0) }));
    const ds = fromRows(rows, { x: dt.float32() }).map(zscoreFilter({ column: 'x', dtype: dt.float32() }));
    // With no pool running, core keeps any job this small in-process (it would not pay for starting
    // the workers); an explicit run starts the pool first, so that the per-batch rule decides.
    await fromRows([{ x: 1 }, { x: 2 }], { x: dt.float32() }).map(zscoreFilter({ column: 'x', dtype: dt.float32() })).compute({ workers: availableParallelism() });
    const t = await ds.compute({ batchSize: 65_536 });
    assert.equal(t.numRows, n - 48, 'the 48 outliers are dropped');
    const e = ds.explain({ analyze: true });
    assert.match(e, /last run, 0 workers/, e);
    assert.match(e, /Stage 1 \[in-process, after a statistics barrier\]/, e);
    assert.doesNotMatch(e, /moved in-process|tried in-process/, e);
  } finally {
    if (saved === undefined) delete process.env['MODAFLOW_WORKERS']; else process.env['MODAFLOW_WORKERS'] = saved;
  }
});

test('declared costs follow the path the kernel takes', () => {
  const fast = cost(zscoreFilterOp, { column: 'x', dtype: dt.float32() });
  assert.ok(fast * 65_536 < HOP_WORTH_US, `the float32 fast path (${fast} µs/row) is below a hop even at 64k rows per batch`);
  for (const p of [{ dtype: dt.float64() }, { dtype: dt.float32(), by: 'g' }, { dtype: dt.float32(), robust: true }, { dtype: dt.float32(), output: 'z' }, { dtype: dt.tensor(dt.float32(), [8]), reduce: 'rms' }]) {
    assert.ok(cost(zscoreFilterOp, { column: 'x', ...p }) > fast, JSON.stringify(p));
  }
  assert.ok(cost(zscoreFilterOp, { column: 'x', by: 'g' }) < 4 * cost(zscoreFilterOp, { column: 'x' }), 'grouping by a key costs about as much as the filter itself (keys grouped by their bytes, no string per row)');
  const emb = (w: number) => dt.tensor(dt.float32(), [w]);
  assert.ok(cost(earlyFuseOp, { parts: [{ column: 'a', dtype: emb(512) }, { column: 'b', dtype: emb(128) }], output: 'x' }) * 1024 >= HOP_WORTH_US, 'fusing embeddings is worth a hop');
  assert.ok(cost(imputeOp, { column: 'e', dtype: emb(512), strategy: 'zeros' }) > cost(imputeOp, { column: 'e', dtype: dt.float64(), strategy: 'zeros' }));
  assert.ok(cost(lateFuseOp, { columns: ['a', 'b'], dtype: emb(10), method: 'mean', output: 'p' }) > cost(lateFuseOp, { columns: ['a', 'b'], method: 'mean', output: 'p' }));
});

const dtypes: fc.Arbitrary<DType> = fc.oneof(
  fc.constantFrom<DType>(dt.float64(), dt.float32(), dt.int32(), dt.int64(), dt.utf8(), dt.bool(), dt.varTensor(dt.float32(), 2)),
  fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 3 }).map((s) => dt.tensor(dt.float32(), s) as DType),
);
const numeric: fc.Arbitrary<DType> = fc.oneof(
  fc.constantFrom<DType>(dt.float64(), dt.float32(), dt.int32()),
  fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 3 }).map((s) => dt.tensor(dt.float32(), s) as DType),
);
const finitePositive = (x: number) => Number.isFinite(x) && x > 0;

test('law: every params shape gives a finite positive cost, growing with the data per row', () => {
  fc.assert(fc.property(fc.array(dtypes, { minLength: 1, maxLength: 4 }), (ts) => {
    const columns = Object.fromEntries(ts.map((t, i) => [`c${i}`, t]));
    const drop = cost(modalityDropoutOp, { columns, p: 0.2 });
    const mask = cost(maskMissingOp, { columns });
    assert.ok(finitePositive(drop) && finitePositive(mask));
    // One more column never makes a row cheaper.
    const more = { ...columns, extra: dt.float64() };
    assert.ok(cost(modalityDropoutOp, { columns: more, p: 0.2 }) >= drop && cost(maskMissingOp, { columns: more }) >= mask);
  }));
  fc.assert(fc.property(fc.array(numeric, { minLength: 1, maxLength: 4 }), (ts) => {
    const parts = ts.map((t, i) => ({ column: `c${i}`, dtype: t }));
    const c = cost(earlyFuseOp, { parts, output: 'x' });
    assert.ok(finitePositive(c));
    assert.ok(cost(earlyFuseOp, { parts: [...parts, { column: 'extra', dtype: dt.float64() }], output: 'x' }) >= c);
    for (const t of ts) {
      assert.ok(finitePositive(cost(imputeOp, { column: 'x', dtype: t, strategy: 'mean' })));
      assert.ok(finitePositive(cost(lateFuseOp, { columns: ['a', 'b'], dtype: t, method: 'mean', output: 'p' })));
      assert.ok(finitePositive(cost(zscoreFilterOp, { column: 'x', dtype: t, reduce: 'rms' })));
    }
  }));
  assert.ok(finitePositive(cost(convertTimeUnitOp, { column: 't', from: 'ns', to: 'ms' })));
});
