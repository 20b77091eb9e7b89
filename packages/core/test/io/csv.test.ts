// readCsv: parsing, inference, and bad files named by line and column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { readCsv, dt, ModaflowError } from '../../src/index.ts';
import { tokenizeCsv } from '../../src/io/csv-parse.ts';
import { rowsOf, tempDir } from '../helpers.ts';

const dir = tempDir();
const file = (name: string, text: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

test('quoted fields, doubled quotes, embedded newlines, CRLF and a BOM parse as RFC 4180 says', async () => {
  const p = file('q.csv', '\ufeffid,text\r\n1,"a ""quoted"", word"\r\n2,"two\nlines"\r\n3,\r\n4,""\r\n');
  const t = await readCsv(p, { schema: { id: dt.int32(), text: dt.utf8() } }).compute();
  assert.deepEqual(rowsOf(t), [
    { id: 1, text: 'a "quoted", word' },
    { id: 2, text: 'two\nlines' },
    { id: 3, text: null },
    { id: 4, text: '' }, // a quoted empty string is a value, an unquoted one is null
  ]);
});

test('law: tokenizer inverts a CSV writer for any table of strings', () => {
  const cell = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r\n', ' ', 'é') , maxLength: 6 });
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 4 }).chain((w) => fc.array(fc.array(cell, { minLength: w, maxLength: w }), { minLength: 1, maxLength: 6 })), (rows) => {
      const text = rows.map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(',')).join('\r\n');
      const back = [...tokenizeCsv(text)].map((r) => r.fields);
      assert.deepEqual(back, rows);
    }),
    { numRuns: 200 },
  );
});

test('inference: int32, int64 beyond 2^31, float64, bool, utf8; EuRoC-style headers kept verbatim', async () => {
  const p = file('inf.csv', '#timestamp [ns],x,ok,name,n\n1403715273262142976,0.5,true,a,1\n1403715273267142912,-1e3,false,b,2\n');
  const ds = readCsv(p);
  assert.equal(ds.schema, null, 'an inferred schema is not known before reading');
  const s = await ds.resolveSchema();
  assert.deepEqual(s, { '#timestamp [ns]': dt.int64(), x: dt.float64(), ok: dt.bool(), name: dt.utf8(), n: dt.int32() });
  const rows = rowsOf(await ds.compute());
  assert.equal(rows[1]!['#timestamp [ns]'], 1403715273267142912n, 'nanosecond timestamps stay exact');
});

async function errorOf(p: Promise<unknown>): Promise<ModaflowError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ModaflowError, `expected a ModaflowError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

test('ragged row: the error names the file line; under skip the other rows survive and are counted', async () => {
  const p = file('ragged.csv', 'a,b\n1,2\n3\n4,5\n');
  const ds = readCsv(p, { schema: { a: dt.int32(), b: dt.int32() } });
  const e = await errorOf(ds.compute());
  assert.equal(e.code, 'MF_CSV_PARSE');
  assert.match(e.message, /line 3: 1 fields, header has 2/);
  assert.match(e.message, /fix:/);
  const t = await ds.compute({ onError: 'skip' });
  assert.deepEqual(rowsOf(t), [{ a: 1, b: 2 }, { a: 4, b: 5 }]);
  assert.equal(t.report.skipped, 1);
  assert.equal(t.report.rowsIn, 3);
});

test('bad number: the error names line and column and the expected dtype', async () => {
  const p = file('badnum.csv', 'id,score\na,1.5\nb,abc\n');
  const e = await errorOf(readCsv(p, { schema: { id: dt.utf8(), score: dt.float64() } }).compute());
  assert.equal(e.code, 'MF_CSV_PARSE');
  assert.equal(e.column, 'score');
  assert.match(e.message, /line 3, column 'score': 'abc' is not a number \(expected float64\)/);
});

test('quarantine keeps the bad row with its line and reason', async () => {
  const p = file('q2.csv', 'id,n\na,1\nb,x\nc,3\n');
  const t = await readCsv(p, { schema: { id: dt.utf8(), n: dt.int32() } }).compute({ onError: 'quarantine' });
  assert.deepEqual(rowsOf(t).map((r) => r.id), ['a', 'c']);
  const q = rowsOf(t.report.quarantine!);
  assert.equal(q.length, 1);
  assert.equal(q[0]!.source_row, 1n);
  assert.equal(q[0]!.column, 'n');
  assert.match(String(q[0]!.message), /line 3/);
});

test('wrong encoding: a Latin-1 file is refused with the line of the first bad byte and a fix', async () => {
  const p = file('latin1.csv', Buffer.concat([Buffer.from('id,name\n1,ok\n2,caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
  const e = await errorOf(readCsv(p).compute());
  assert.equal(e.code, 'MF_CSV_PARSE');
  assert.match(e.message, /not valid UTF-8.*line 3/);
  assert.match(e.message, /iconv/);
});

test('unterminated quote and duplicate header names are file-level errors with a line', async () => {
  const e1 = await errorOf(readCsv(file('unterminated.csv', 'a,b\n1,"oops\n2,3\n')).compute());
  assert.match(e1.message, /unterminated quoted field starting on line 2/);
  const e2 = await errorOf(readCsv(file('dup.csv', 'a,a\n1,2\n')).compute());
  assert.match(e2.message, /names column 'a' twice/);
});

test('a missing file is an MF_IO error at compute time, not at build time', async () => {
  const ds = readCsv(join(dir, 'nope.csv'), { schema: { a: dt.int32() } }).limit(3);
  const e = await errorOf(ds.compute());
  assert.equal(e.code, 'MF_IO');
});
