// onnxruntime-node is loaded only when a session is created: importing @modaflow/core, building a
// plan with onnx.infer (its signature check reads the file) and running plans without a model must
// not load the native runtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onnx } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';

test('plans that use no model never load onnxruntime-node; the first session does', () => {
  const dir = tempDir('modaflow-onnx-lazy-');
  const model = join(dir, 'm.onnx');
  writeFileSync(model, onnx.tinyAudioEncoder().bytes);
  const index = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
  const script = join(dir, 'probe.mts');
  writeFileSync(script, `
import { createRequire } from 'node:module';
import { fromRows, dt, onnx, col } from ${JSON.stringify(index)};
const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('onnxruntime-node'));
const ds = fromRows([{ x: 1 }, { x: 2 }], { x: dt.int32() }).filter(col('x').gt(1));
await ds.compute({ workers: 0 });
const planned = fromRows([{ w: { data: new Float32Array(64), shape: [64] } }], { w: dt.varTensor(dt.float32(), 1) })
  .map(onnx.infer({ model: ${JSON.stringify(model)}, inputs: { w: 'waveform' }, outputs: { e: 'embedding' } }));
const before = loaded();
const t = await planned.compute({ workers: 0 });
console.log(JSON.stringify({ before, after: loaded(), rows: t.numRows, sessions: onnx.sessionStats().created }));
`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').at(-1)!), { before: false, after: true, rows: 1, sessions: 1 });
});
