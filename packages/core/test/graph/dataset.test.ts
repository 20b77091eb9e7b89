// The builder: laziness, DAGs (join, union, zip, shared nodes computed once), ops and error
// policies, explain, streams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, toArray } from 'rxjs';
import { fromRows, readCsv, readManifest, readParquet, readArrow, col, lit, dt, defineOp, ModaflowError } from '../../src/index.ts';
import { rowsOf, tempDir } from '../helpers.ts';
import { calls, length, sqrt, explodeBatch, noise, center } from '../fixtures/test-ops.ts';

const SAMPLE = fileURLToPath(new URL('../../../../examples/data/dataset', import.meta.url));

test('building a plan and explaining it opens no file; compute does', async () => {
  const require = createRequire(import.meta.url);
  const fsp = require('node:fs/promises') as Record<string, (...a: unknown[]) => unknown>;
  const fs = require('node:fs') as Record<string, (...a: unknown[]) => unknown>;
  const names = ['open', 'readFile', 'stat', 'realpath', 'opendir', 'readdir'];
  const seen: string[] = [];
  const saved = new Map<string, (...a: unknown[]) => unknown>();
  for (const n of names) {
    for (const [mod, obj] of [['fs/promises', fsp], ['fs', fs]] as const) {
      const orig = obj[n];
      if (typeof orig !== 'function') continue;
      saved.set(`${mod}.${n}`, orig);
      obj[n] = function (this: unknown, ...a: unknown[]) { seen.push(`${mod}.${n}(${String(a[0])})`); return orig.apply(this, a); };
    }
  }
  for (const n of ['openSync', 'readFileSync', 'statSync', 'existsSync', 'realpathSync']) {
    const orig = fs[n]!;
    saved.set(`fs.${n}`, orig);
    fs[n] = function (this: unknown, ...a: unknown[]) { seen.push(`fs.${n}(${String(a[0])})`); return orig.apply(this, a); };
  }
  syncBuiltinESMExports();
  let ds;
  try {
    ds = readManifest(SAMPLE)
      .filter(col('label').ne('unknown'))
      .withColumn('has_audio', col('audio_path').isNotNull())
      .map(length({ column: 'label', output: 'label_len' }))
      .select('id', 'label', 'has_audio', 'label_len');
    const other = readCsv('/definitely/not/here.csv', { schema: { id: dt.utf8() } });
    const p = readParquet('/nope.parquet', { schema: { id: dt.utf8() } }).union(readArrow('/nope.arrow', { schema: { id: dt.utf8() } }));
    const joined = ds.join(other, { on: 'id' }).zip(p.rename({ id: 'id2' }));
    assert.match(ds.explain(), /readManifest/);
    assert.match(joined.explain(), /Zip/);
    assert.deepEqual(seen, [], `no file may be touched while building: ${seen.join(', ')}`);
  } finally {
    for (const [k, f] of saved) {
      const [mod, n] = k.split('.') as [string, string];
      (mod === 'fs' ? fs : fsp)[n] = f;
    }
    syncBuiltinESMExports();
  }
  const t = await ds.compute();
  assert.equal(t.numRows, 12);
  assert.deepEqual(rowsOf(t)[0], { id: 'sample_001', label: 'person', has_audio: true, label_len: 6 });
});

test('explain prints a readable plan with the output schema', () => {
  const ds = fromRows([{ a: 1, s: 'x' }], { a: dt.float64(), s: dt.utf8() })
    .filter(col('a').gt(0).and(col('s').isNotNull()))
    .withColumn('b', col('a').mul(2))
    .map(sqrt({ column: 'b', output: 'r' }))
    .rename({ s: 'label' })
    .limit(10);
  // The optimized and physical plans that follow are tested in test/plan and test/exec.
  assert.equal(ds.explain().split('\n== Optimized plan ==')[0], [
    '== Logical plan ==',
    'Limit 10',
    '  Project [*, RENAME s AS label]',
    "    Map test.sqrt(column='b', output='r')",
    '      Project [*, b := (a * 2)]',
    '        Filter a > 0 AND s IS NOT NULL',
    '          fromRows 1 rows',
    'Output schema: {a: float64, label: utf8, b: float64, r: float64}',
  ].join('\n'));
});

test('build-time validation names the op, the column and a fix', () => {
  const ds = fromRows([{ a: 1 }], { a: dt.float64() });
  assert.throws(() => ds.filter(col('nope' as 'a').gt(1)), (e: ModaflowError) => e.code === 'MF_COLUMN_NOT_FOUND' && /column 'nope' does not exist; available: a/.test(e.message));
  assert.throws(() => (ds as never as { map: (c: unknown) => unknown }).map(length({ column: 'a', output: 'n' })), (e: ModaflowError) =>
    e.code === 'MF_DTYPE_MISMATCH' && e.op === 'test.length' && e.column === 'a' && /needs column 'a' as utf8, but it is float64/.test(e.message) && !!e.fix);
  assert.throws(() => ds.filter(col('a').add(1) as never), (e: ModaflowError) => e.code === 'MF_EXPR' && /not bool/.test(e.message));
  assert.throws(() => ds.withColumn('x', col('a').eq('text')), (e: ModaflowError) => e.code === 'MF_DTYPE_MISMATCH');
  assert.throws(() => ds.map((() => 1) as unknown as ReturnType<typeof sqrt<'a', 'b'>>), (e: ModaflowError) => e.code === 'MF_INVALID_ARGUMENT' && /defineOp/.test(e.message));
});

test('join (inner, left), union, zip; a dataset used by several consumers is computed once', async () => {
  const people = fromRows([{ id: 'a', age: 30 }, { id: 'b', age: 40 }, { id: 'c', age: null }], { id: dt.utf8(), age: dt.float64() });
  const names = fromRows([{ id: 'a', name: 'Ann' }, { id: 'c', name: 'Cy' }, { id: 'c', name: 'Cee' }, { id: null, name: 'Nobody' }], { id: dt.utf8(), name: dt.utf8() });
  assert.deepEqual(rowsOf(await people.join(names, { on: 'id' }).compute({ batchSize: 1 })), [
    { id: 'a', age: 30, name: 'Ann' }, { id: 'c', age: null, name: 'Cy' }, { id: 'c', age: null, name: 'Cee' },
  ]);
  assert.deepEqual(rowsOf(await people.join(names, { on: 'id', how: 'left' }).compute()).map((r) => r.name), ['Ann', null, 'Cy', 'Cee']);

  const before = calls['test.length'] ?? 0;
  const shared = names.map(length({ column: 'name', output: 'len' }));
  const both = shared.filter(col('len').gt(2)).union(shared.filter(col('len').le(2)));
  const t = await both.compute({ batchSize: 2 });
  assert.deepEqual(rowsOf(t).map((r) => r.name).sort(), ['Ann', 'Cee', 'Cy', 'Nobody']);
  assert.equal((calls['test.length'] ?? 0) - before, 2, 'the shared map ran once per input batch (2 batches), not once per consumer');
  assert.match(both.explain(), /@\d+ \(shared, computed once\)/);

  const z = people.zip(names.limit(3).rename({ id: 'id2' }));
  assert.deepEqual(rowsOf(await z.compute({ batchSize: 2 })).map((r) => `${r.id}${r.id2}`), ['aa', 'bc', 'cc']);
  await assert.rejects(people.zip(names.rename({ id: 'id2' })).compute(), /zip inputs have different lengths/);
  assert.throws(() => people.join(people, { on: 'id' }), /column 'age' is on both sides of the join/);
  assert.throws(() => people.union(names as never), /union input 1 has schema/);
});

test('error policies over op row errors: fail names op/column/row; skip counts; quarantine keeps the rows', async () => {
  const ds = fromRows([{ x: 4 }, { x: -1 }, { x: 9 }, { x: null }, { x: -2 }], { x: dt.float64() }).map(sqrt({ column: 'x', output: 'r' }));
  await assert.rejects(ds.compute(), (e: ModaflowError) => e.code === 'MF_ROW_ERROR' && e.op === 'test.sqrt' && e.column === 'x' && e.row === 1 && /skip/.test(e.fix ?? ''));
  const s = await ds.compute({ onError: 'skip', batchSize: 2 });
  assert.deepEqual(rowsOf(s).map((r) => r.r), [2, 3, null]);
  assert.equal(s.report.skipped, 2);
  assert.equal(s.report.rowsIn, 5);
  assert.equal(s.report.rowsOut, 3);
  const q = await ds.compute({ onError: 'quarantine' });
  assert.deepEqual(rowsOf(q.report.quarantine!).map((r) => [r.source_row, r.op, r.column, JSON.parse(String(r.row)).x]), [[1n, 'test.sqrt', 'x', -1], [4n, 'test.sqrt', 'x', -2]]);
  assert.equal(q.report.quarantined, 2);
  assert.equal(q.report.rowsIn, q.report.rowsOut + q.report.filtered + q.report.failed, 'every row is accounted for');
});

test('an op that throws fails its whole batch; under skip the other batches survive', async () => {
  const ds = fromRows([1, 2, 3, 4, 5, 6].map((x) => ({ x })), { x: dt.float64() }).map(explodeBatch({ column: 'x', when: 3 }));
  await assert.rejects(ds.compute({ batchSize: 2 }), /batch failed: batch contains 3/);
  const t = await ds.compute({ batchSize: 2, onError: 'skip' });
  assert.deepEqual(rowsOf(t).map((r) => r.x), [1, 2, 5, 6]);
  assert.equal(t.report.skipped, 2);
});

test('seeded random ops depend on (seed, op, row) only: batch size does not matter, the seed does', async () => {
  const ds = fromRows(Array.from({ length: 50 }, (_, i) => ({ x: i })), { x: dt.float64() }).map(noise({ column: 'x', output: 'y' }));
  const a = rowsOf(await ds.compute({ batchSize: 7, seed: 1 })).map((r) => r.y);
  const b = rowsOf(await ds.compute({ batchSize: 50, seed: 1 })).map((r) => r.y);
  const c = rowsOf(await ds.compute({ batchSize: 7, seed: 2 })).map((r) => r.y);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const filtered = rowsOf(await ds.filter(col('x').ge(25)).compute({ batchSize: 3, seed: 1 })).map((r) => r.y);
  assert.deepEqual(filtered, a.slice(25), 'a row draws the same numbers whatever was filtered around it');
});

test('a global op sees dataset-wide statistics whatever the batch size', async () => {
  const ds = fromRows([1, 2, 3, 4, 10].map((x) => ({ x })), { x: dt.float64() }).map(center({ column: 'x', output: 'c' }));
  for (const batchSize of [1, 2, 5]) assert.deepEqual(rowsOf(await ds.compute({ batchSize })).map((r) => r.c), [-3, -2, -1, 0, 6]);
});

test('stream(): an rxjs Observable of record batches, also for-await-able, with a report at the end', async () => {
  const ds = fromRows(Array.from({ length: 10 }, (_, i) => ({ i })), { i: dt.int32() }).filter(col('i').mod(2).eq(lit(0, dt.int32())));
  let report;
  const batches = await firstValueFrom(ds.stream({ batchSize: 3, onReport: (r) => { report = r; } }).pipe(toArray()));
  assert.deepEqual(batches.flatMap((b) => b.toArray().map((r) => r.i)), [0, 2, 4, 6, 8]);
  assert.equal((report as unknown as { filtered: number }).filtered, 5);
  const seen: number[] = [];
  for await (const b of ds.stream({ batchSize: 4 })) seen.push(b.numRows);
  assert.deepEqual(seen, [2, 2, 1]);
});

test('cancelling with an AbortSignal stops the run with MF_ABORTED', async () => {
  const ctrl = new AbortController();
  ctrl.abort();
  await assert.rejects(fromRows([{ a: 1 }], { a: dt.int32() }).compute({ signal: ctrl.signal }), (e: ModaflowError) => e.code === 'MF_ABORTED');
});

test('defineOp: names must be namespaced, duplicates from another module are refused, params must be plain data', () => {
  assert.throws(() => defineOp({ name: 'nonamespace', module: import.meta.url, inputs: () => ({}), outputs: () => ({}), kernel: () => ({ columns: {} }) }), /namespaced/);
  assert.throws(() => defineOp({ name: 'test.length', module: 'file:///elsewhere.ts', inputs: () => ({}), outputs: () => ({}), kernel: () => ({ columns: {} }) }),
    (e: ModaflowError) => e.code === 'MF_OP_DUPLICATE' && /defined twice/.test(e.message));
  assert.throws(() => length({ column: 'a', output: (() => 'x') as never }), (e: ModaflowError) => e.code === 'MF_NOT_SERIALIZABLE' && /params\.output is a function/.test(e.message));
  assert.throws(() => length({ column: new Date() as never, output: 'x' }), /instance of Date/);
});

test('limit stops reading the source early', async () => {
  const dir = tempDir();
  const p = join(dir, 'big.csv');
  writeFileSync(p, 'i\n' + Array.from({ length: 5000 }, (_, i) => `${i}`).join('\n') + '\n');
  const t = await readCsv(p, { schema: { i: dt.int32() } }).limit(5).compute({ batchSize: 100 });
  assert.deepEqual(rowsOf(t).map((r) => r.i), [0, 1, 2, 3, 4]);
  assert.ok(t.report.rowsIn <= 100, `read ${t.report.rowsIn} rows, at most one batch`);
});
