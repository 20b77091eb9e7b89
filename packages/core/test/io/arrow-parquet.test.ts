// Arrow IPC and Parquet output must be readable by independent readers, tensor columns included:
// DuckDB reads the Parquet files; arrow-rs (through parquet-wasm) reads the IPC stream. modaflow
// reads both back exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';
import { fromRows, readArrow, readParquet, dt, fromArrow, FIXED_SHAPE_TENSOR, VARIABLE_SHAPE_TENSOR } from '../../src/index.ts';
import { readParquetTable } from '../../src/io/parquet.ts';
import { rowsOf, tempDir } from '../helpers.ts';

const dir = tempDir();
const schema = {
  id: dt.utf8(),
  n: dt.int64(),
  score: dt.float32(),
  ts: dt.timestamp('ns'),
  tags: dt.list(dt.utf8()),
  emb: dt.tensor(dt.float32(), [2, 2]),
  img: dt.varTensor(dt.uint8(), 3),
} as const;
const rows = [
  { id: 'a', n: 1n, score: 0.5, ts: 1403715273262142976n, tags: ['x', 'y'], emb: { data: Float32Array.of(1, 2, 3, 4), shape: [2, 2] }, img: { data: Uint8Array.of(1, 2, 3, 4, 5, 6), shape: [1, 2, 3] } },
  { id: 'b', n: null, score: null, ts: 5n, tags: [], emb: null, img: { data: Uint8Array.of(9, 8, 7), shape: [1, 1, 3] } },
  { id: 'c', n: -3n, score: 1.25, ts: null, tags: null, emb: { data: Float32Array.of(-1, 0, 1, 2), shape: [2, 2] }, img: null },
];
const ds = fromRows(rows, schema);

async function duck(sql: string) {
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  const r = await c.runAndReadAll(sql);
  const out = { rows: r.getRowObjectsJson(), types: r.columnTypes().map(String), names: r.columnNames() };
  c.closeSync();
  return out;
}

test('Parquet: DuckDB reads the file back, tensor columns as lists; modaflow reads it back exactly', async () => {
  const p = join(dir, 'out.parquet');
  const report = await ds.write(p);
  assert.equal(report.rowsOut, 3);
  const d = await duck(`select id, n, score, tags, emb, img.data as img_data, img.shape as img_shape from read_parquet('${p}') order by id`);
  assert.deepEqual(d.names, ['id', 'n', 'score', 'tags', 'emb', 'img_data', 'img_shape']);
  assert.deepEqual(d.rows.map((r) => r.id), ['a', 'b', 'c']);
  assert.deepEqual(d.rows.map((r) => r.n), ['1', null, '-3']);
  assert.deepEqual(d.rows[0]!.emb, [1, 2, 3, 4]);
  assert.equal(d.rows[1]!.emb, null);
  assert.deepEqual(d.rows[0]!.img_shape, [1, 2, 3]);
  assert.deepEqual(d.rows[1]!.img_data, [9, 8, 7]);
  assert.deepEqual(d.rows[0]!.tags, ['x', 'y']);
  const ts = await duck(`select ts from read_parquet('${p}') where id = 'a'`);
  assert.match(String(ts.rows[0]!.ts), /^2014-06-25/, 'DuckDB sees a timestamp');

  const back = readParquet(p);
  assert.deepEqual(await back.resolveSchema(), schema, 'dtypes, tensor extensions included, survive Parquet');
  assert.deepStrictEqual(rowsOf(await back.compute()), rowsOf(await ds.compute()));
  // A projection decodes only its columns (pushed down into the reader), tensors and nulls included.
  for (const cols of [['emb', 'score'], ['img', 'id'], ['tags']] as const) {
    const pushed = back.select(...cols);
    assert.deepStrictEqual(rowsOf(await pushed.compute()), rowsOf(await ds.select(...cols).compute()));
    const order = Object.keys(schema).filter((k) => (cols as readonly string[]).includes(k));
    assert.deepEqual((await readParquetTable(p, order)).schema.fields.map((f) => f.name), order, 'the reader decodes only these columns');
    assert.match(pushed.explain({ analyze: true }), new RegExp(`readParquet \\S+ columns=\\[${Object.keys(schema).filter((k) => (cols as readonly string[]).includes(k)).join(', ')}\\]`));
  }
});

test('Arrow IPC file and stream: modaflow reads both back; arrow-rs reads the stream; tensor extension metadata is present', async () => {
  const f = join(dir, 'out.arrow');
  const s = join(dir, 'out.arrows');
  await ds.write(f, { format: 'arrow', batchSize: 2 });
  await ds.write(s, { format: 'arrow-stream', batchSize: 2 });
  const want = rowsOf(await ds.compute());
  for (const p of [f, s]) {
    const r = readArrow(p);
    assert.deepEqual(await r.resolveSchema(), schema);
    assert.deepStrictEqual(rowsOf(await r.compute({ batchSize: 1 })), want);
  }
  const t = arrow.tableFromIPC(readFileSync(f));
  assert.equal(t.schema.fields.find((x) => x.name === 'emb')!.metadata.get('ARROW:extension:name'), FIXED_SHAPE_TENSOR);
  assert.equal(t.schema.fields.find((x) => x.name === 'img')!.metadata.get('ARROW:extension:name'), VARIABLE_SHAPE_TENSOR);
  assert.equal(t.schema.fields.find((x) => x.name === 'emb')!.metadata.get('ARROW:extension:metadata'), '{"shape":[2,2]}');

  // arrow-rs (Rust, compiled to wasm) as the independent reader of the IPC stream.
  const pw = createRequire(import.meta.url)('parquet-wasm/node') as typeof import('parquet-wasm/node');
  const rs = pw.Table.fromIPCStream(new Uint8Array(readFileSync(s)));
  const viaRust = arrow.tableFromIPC(rs.intoIPCStream());
  assert.equal(viaRust.numRows, 3);
  assert.equal(viaRust.schema.fields.find((x) => x.name === 'emb')!.metadata.get('ARROW:extension:name'), FIXED_SHAPE_TENSOR);
  assert.deepStrictEqual(rowsOf(await fromArrow(viaRust).compute()), want);
});

test('an empty result still writes a valid file with the schema', async () => {
  const p = join(dir, 'empty.parquet');
  await ds.limit(0).write(p);
  const d = await duck(`select count(*)::INTEGER as n from read_parquet('${p}')`);
  assert.equal(d.rows[0]!.n, 0);
});

test('tableRows / tableColumn read a table back exactly (bigint ns timestamps, tensors), unlike arrow-js accessors', async () => {
  const { tableRows, tableColumn } = await import('../../src/index.ts');
  const t = await ds.compute();
  assert.deepStrictEqual(tableColumn(t, 'ts'), [1403715273262142976n, 5n, null]);
  assert.notEqual(t.getChild('ts')!.get(0), 1403715273262142976n, 'arrow-js gives lossy milliseconds here');
  assert.deepStrictEqual(tableRows(t)[0]!.emb, { data: Float32Array.of(1, 2, 3, 4), shape: [2, 2] });
  assert.throws(() => tableColumn(t, 'nope'), /table has no column 'nope'/);
});
