import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dt, fromRows } from '@modaflow/core';
import { qualityReport } from '../src/index.ts';
import { column } from './helpers.ts';

test('qualityReport measures completeness, duplicate ids and content, rule violations and file validity', async () => {
  const root = mkdtempSync(join(tmpdir(), 'mf-quality-'));
  writeFileSync(join(root, 'a.bin'), 'same bytes');
  writeFileSync(join(root, 'b.bin'), 'same bytes');
  writeFileSync(join(root, 'c.bin'), 'other');
  writeFileSync(join(root, 'empty.bin'), '');
  const rows = [
    { id: 's1', label: 'cat', score: 0.5, path: 'a.bin' },
    { id: 's2', label: 'dog', score: 1.5, path: 'b.bin' },      // score out of range
    { id: 's2', label: 'cow', score: null, path: 'c.bin' },     // duplicate id; label not allowed
    { id: 's4', label: 'cat', score: 0.5, path: 'a.bin' },      // same content as s1
    { id: 's5', label: 'Cat', score: NaN, path: 'missing.bin' },
    { id: 's6', label: null, score: 0.1, path: join(root, 'empty.bin') },
  ];
  const ds = fromRows(rows, { id: dt.utf8(), label: dt.utf8(), score: dt.float64(), path: dt.utf8() });
  const q = await qualityReport(ds, {
    idColumn: 'id', fileColumns: ['path'], hashFiles: true, root,
    rules: [{ column: 'score', range: [0, 1] }, { column: 'label', allowed: ['cat', 'dog'] }, { column: 'label', regex: '[a-z]+' }],
    compute: { batchSize: 4 },
  });
  const get = (check: string, col: string, metric: string) => q.findings.find((f) => f.check === check && f.column === col && f.metric === metric)!;
  assert.equal(q.rows, 6);
  assert.equal(get('completeness', 'score', 'null_ratio').value, 1 / 6);
  assert.deepEqual(get('completeness', 'score', 'nan_ratio').rows, [4]);
  assert.deepEqual(get('completeness', 'label', 'null_ratio').rows, [5]);
  assert.equal(get('uniqueness', 'id', 'duplicate_ids').value, 1);
  assert.deepEqual(get('uniqueness', 'id', 'duplicate_ids').rows, [1, 2]);
  assert.deepEqual(get('uniqueness', 'label,score,path', 'duplicate_content').rows, [0, 3]);
  const rules = q.findings.filter((f) => f.check === 'consistency');
  assert.deepEqual(rules.map((f) => f.rows), [[1, 4], [2, 4], [4]]); // NaN is outside any range
  assert.deepEqual(get('validity', 'path', 'missing_files').rows, [4]);
  assert.deepEqual(get('validity', 'path', 'empty_files').rows, [5]);
  assert.deepEqual(get('uniqueness', 'path', 'duplicate_file_content').rows, [0, 1, 3]);
  assert.equal(q.ok, false);
  assert.equal(q.table.numRows, q.findings.length);
  assert.deepEqual(column(q.table, 'metric').slice(0, 2), ['null_ratio', 'null_ratio']);
  assert.match(q.markdown, /## Consistency[\s\S]*\| label \| violations \| 2 \| in \{cat, dog\} \| 2, 4 \|/);
  assert.match(q.markdown, /\| score \| null_ratio \| 16\.67% \|/);

  const clean = await qualityReport(fromRows([{ id: 'a', x: 1 }, { id: 'b', x: 2 }], { id: dt.utf8(), x: dt.int32() }), { idColumn: 'id', rules: [{ column: 'x', range: [0, null] }] });
  assert.equal(clean.ok, true);
  await assert.rejects(qualityReport(ds, { idColumn: 'nope' }), /id column 'nope' is not in the dataset/);
  await assert.rejects(qualityReport(ds, { rules: [{ column: 'label', regex: '(' }] }), /does not compile/);
});

test('qualityReport opens and reads every referenced file: missing, broken paths, directories and unreadable files are reported by reason, in row order', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'mf-quality-files-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, 'ok.bin'), 'bytes');
  mkdirSync(join(root, 'dir'));
  symlinkSync(join(root, 'gone.bin'), join(root, 'dangling.bin'));
  // 40 present and absent files around the odd cases: the checks run 16 at a time, the report is in row order.
  const paths = ['ok.bin', 'nope.bin', 'dir', 'ok.bin/inside', 'dangling.bin', ...Array.from({ length: 40 }, (_, i) => (i % 3 ? 'ok.bin' : `absent-${i}.bin`))];
  const unreadable: string[] = [];
  if (process.getuid?.() !== 0) {
    writeFileSync(join(root, 'locked.bin'), 'secret');
    chmodSync(join(root, 'locked.bin'), 0o000);
    unreadable.push(join(root, 'locked.bin'));
  } else {
    t.diagnostic('running as root: mode bits do not stop root from reading, so the chmod 000 case is skipped');
  }
  // Write-only for everyone, root included (the kernel checks the owner bits): stat says a 0-byte regular file.
  if (existsSync('/proc/sys/vm/compact_memory')) unreadable.push('/proc/sys/vm/compact_memory');
  if (unreadable.length === 0) t.diagnostic('no file this process cannot read here (root, no /proc/sys/vm/compact_memory): the unreadable case is not exercised');
  const all = [...paths, ...unreadable];
  const ds = fromRows(all.map((path, id) => ({ id, path })), { id: dt.int32(), path: dt.utf8() });
  for (const hashFiles of [false, true]) {
    const q = await qualityReport(ds, { fileColumns: ['path'], root, hashFiles, examples: 100 });
    const missing = q.findings.find((f) => f.metric === 'missing_files')!;
    const want = all.flatMap((p, i) => (p === 'ok.bin' ? [] : [i]));
    assert.deepEqual(missing.rows, want, `hashFiles ${hashFiles}`);
    assert.equal(missing.value, want.length);
    const absent = 3 + paths.filter((p) => p.startsWith('absent-')).length; // nope.bin, ok.bin/inside, dangling.bin
    assert.equal(missing.detail, `path does not name a readable regular file: ${absent} missing, 1 not a regular file${unreadable.length ? `, ${unreadable.length} unreadable` : ''}`);
    assert.deepEqual(q.findings.find((f) => f.metric === 'empty_files')!.rows, []);
    if (hashFiles) assert.equal(q.findings.find((f) => f.metric === 'duplicate_file_content')!.value, paths.filter((p) => p === 'ok.bin').length - 1);
  }
});
