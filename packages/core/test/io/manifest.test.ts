// readManifest: the standard layout, and manifest paths as untrusted input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readManifest, col } from '../../src/index.ts';
import { rowsOf, tempDir } from '../helpers.ts';

const SAMPLE = fileURLToPath(new URL('../../../../examples/data/dataset', import.meta.url));

test('the shipped sample dataset loads: 12 rows, absolute paths inside the root, the missing audio is null', async () => {
  const t = await readManifest(SAMPLE).compute();
  const rows = rowsOf(t);
  assert.equal(rows.length, 12);
  for (const r of rows) {
    assert.ok(String(r.image_path).startsWith(SAMPLE), `${r.image_path} is under the root`);
    assert.ok(String(r.text_path).endsWith(`${r.id}.json`));
  }
  assert.equal(rows.find((r) => r.id === 'sample_012')!.audio_path, null);
  assert.equal(t.report.failed, 0);
});

function makeRoot(lines: string[]): string {
  const root = tempDir('modaflow-manifest-');
  mkdirSync(join(root, 'images'));
  writeFileSync(join(root, 'images', 'ok.jpg'), 'x');
  writeFileSync(join(root, 'metadata.csv'), ['id,image_path,text_path,audio_path,label', ...lines].join('\n') + '\n');
  return root;
}

test('path traversal, absolute paths and symlinks out of the root are refused per row; missing files counted', async () => {
  const outside = tempDir('modaflow-outside-');
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  const root = makeRoot([
    'good,images/ok.jpg,,,a',
    'dotdot,../../etc/passwd,,,a',
    'abs,/etc/passwd,,,a',
    'sneaky,images/../../x.jpg,,,a',
    'link,images/link.jpg,,,a',
    'missing,images/nope.jpg,,,a',
    'inner,images/./ok.jpg,,,b',
  ]);
  symlinkSync(join(outside, 'secret.txt'), join(root, 'images', 'link.jpg'));
  const ds = readManifest(root).filter(col('label').isNotNull());

  await assert.rejects(ds.compute(), (e: Error & { code?: string; row?: number }) => e.code === 'MF_PATH_ESCAPE' && e.row === 1);

  const t = await ds.compute({ onError: 'quarantine' });
  assert.deepEqual(rowsOf(t).map((r) => r.id), ['good', 'inner']);
  assert.equal(t.report.rowsIn, 7);
  assert.equal(t.report.quarantined, 5);
  assert.deepEqual(t.report.errorsByCode, { MF_PATH_ESCAPE: 4, MF_FILE_MISSING: 1 });
  const q = rowsOf(t.report.quarantine!);
  assert.deepEqual(q.map((r) => [JSON.parse(String(r.row)).id, r.code, r.column]), [
    ['dotdot', 'MF_PATH_ESCAPE', 'image_path'],
    ['abs', 'MF_PATH_ESCAPE', 'image_path'],
    ['sneaky', 'MF_PATH_ESCAPE', 'image_path'],
    ['link', 'MF_PATH_ESCAPE', 'image_path'],
    ['missing', 'MF_FILE_MISSING', 'image_path'],
  ]);
  assert.match(String(q[3]!.message), /symlink/);

  const s = await ds.compute({ onError: 'skip' });
  assert.equal(s.report.skipped, 5);
  assert.equal(s.numRows, 2);
});

test('a symlink that stays inside the root is followed', async () => {
  const root = makeRoot(['a,images/alias.jpg,,,x']);
  symlinkSync(join(root, 'images', 'ok.jpg'), join(root, 'images', 'alias.jpg'));
  const rows = rowsOf(await readManifest(root).compute());
  assert.equal(rows[0]!.image_path, join(root, 'images', 'ok.jpg'));
});
