import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readManifest, col } from '../src/index.ts';
import { rowsOf } from './helpers.ts';
import { fileURLToPath } from 'node:url';

const DATASET = fileURLToPath(new URL('../../../examples/data/dataset', import.meta.url));

test('the sample dataset loads through readManifest with the issue example pipeline', async () => {
  const ds = readManifest(DATASET)
    .filter(col('label').ne('unknown'))
    .withColumn('has_audio', col('audio_path').isNotNull())
    .select('id', 'label', 'has_audio');
  const t = await ds.compute();
  const rows = rowsOf(t);
  assert.equal(rows.length, 12);
  assert.deepEqual(rows.at(-1), { id: 'sample_012', label: 'logo', has_audio: false });
  assert.equal(rows.filter((r) => r.has_audio).length, 11);
  assert.equal(t.report.rowsIn, 12);
  assert.equal(t.report.rowsOut, 12);
});
