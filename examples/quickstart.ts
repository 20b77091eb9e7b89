// The README demo: a lazy pipeline over the sample dataset, its plan, and its result.
import { readManifest, col, formatReport } from '@modaflow/core';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('./data/dataset', import.meta.url));
const ds = readManifest(root)
  .filter(col('label').ne('unknown'))
  .withColumn('has_audio', col('audio_path').isNotNull())
  .select('id', 'label', 'has_audio');

console.log(ds.explain());
const table = await ds.compute({ onError: 'quarantine' });
console.table(table.toArray().map((r) => r.toJSON()));
console.log(formatReport(table.report));
