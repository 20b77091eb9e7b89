// Planner: a manifest of images (the standard layout: metadata.csv + images/) where a label filter
// keeps 10% of the rows. Contender: compute() with the optimizer (default); baseline: the same
// pipeline with `optimizer: false`, in the same process, same worker settings.
//  A. the decoded image column is dropped by select(): prune-columns never decodes at all.
//  B. the decoded column is kept: push-down-filter decodes only the 10% that pass the filter.
// Real image.decode (sharp) on ~500×375 JPEGs from the shared benchmark corpus.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { col, readManifest } from '@modaflow/core';
import { decodeImage } from '@modaflow/ops-image';
import { compare, report } from './harness.ts';
import { imageCorpus } from './image-corpus.ts';

const N = Number(process.env.PLANNER_BENCH_N ?? 200);
const RUNS = Number(process.env.PLANNER_BENCH_RUNS ?? 5);

/** A dataset root with images/ (copies: manifest paths must stay inside the root) and metadata.csv. */
async function manifestRoot(): Promise<string> {
  const root = join(tmpdir(), `modaflow-bench-manifest-${N}`);
  const images = await imageCorpus(N);
  mkdirSync(join(root, 'images'), { recursive: true });
  const lines = ['id,image_path,text_path,audio_path,label'];
  images.forEach((p, i) => {
    const rel = `images/${basename(p)}`;
    if (!existsSync(join(root, rel))) copyFileSync(p, join(root, rel));
    lines.push(`s${i},${rel},,,${i % 10 === 0 ? 'cat' : 'dog'}`);
  });
  writeFileSync(join(root, 'metadata.csv'), `${lines.join('\n')}\n`);
  return root;
}

const root = await manifestRoot();
const decoded = () => readManifest(root)
  .map(decodeImage({ column: 'image_path', output: 'pixels' }))
  .filter(col('label').eq('cat'));
const dropped = decoded().select('id', 'label');
const kept = decoded().select('id', 'pixels');

console.log(dropped.explain().split('== Physical plan ==')[0]);
console.log(kept.explain().split('== Physical plan ==')[0]);

const rowsOf = async (ds: typeof dropped | typeof kept, optimizer?: false) => (await ds.compute(optimizer === false ? { optimizer } : {})).numRows;
const [a, b] = [await rowsOf(dropped), await rowsOf(dropped, false)];
if (a !== b || a !== Math.ceil(N / 10)) throw new Error(`row counts differ: ${a} vs ${b}`);

const results = [
  await compare(`A: label filter keeps 10%, decoded column dropped by select (${N} images)`,
    () => rowsOf(dropped), () => rowsOf(dropped, false), { runs: RUNS, extra: { rows: N, kept: a } }),
  await compare(`B: label filter keeps 10%, decoded column kept (${N} images)`,
    () => rowsOf(kept), () => rowsOf(kept, false), { runs: RUNS, extra: { rows: N, kept: a } }),
];
report('planner', results);
