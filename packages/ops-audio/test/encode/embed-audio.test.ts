// audio.embed against the TypeScript reference of the tiny conv1d encoder, clips of several lengths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dt, fromRows, onnx, columnValues, fromArrowSchema, ModaflowError } from '@modaflow/core';
import type { Tensor } from '@modaflow/core';
import { embedAudio } from '../../src/index.ts';
import { assertClose, refAudio } from '../../../core/test/onnx/reference.ts';

const dir = mkdtempSync(join(tmpdir(), 'modaflow-embed-audio-'));
const m = onnx.tinyAudioEncoder({ seed: 41 });
const MODEL = join(dir, 'audio.onnx');
writeFileSync(MODEL, m.bytes);
const rand = onnx.seededUniform(8);
const clip = (n: number) => ({ data: new Float32Array(n).map(() => rand() * 2 - 1), shape: [n] });

test('embedAudio equals the reference conv1d encoder for clips of different lengths (grouped by length)', async () => {
  const rows = [400, 320, 400, 512, 320, 400].map((n, id) => ({ id, wave: clip(n) }));
  const t = await fromRows(rows, { id: dt.int32(), wave: dt.varTensor(dt.float32(), 1) })
    .map(embedAudio({ model: MODEL, column: 'wave', output: 'emb', maxBatch: 2 })).compute({ workers: 0 });
  const s = fromArrowSchema(t.schema);
  const got = columnValues(s.emb!, t.getChild('emb')!) as Tensor[];
  assert.deepEqual(s.emb, dt.tensor(dt.float32(), [8]));
  got.forEach((e, i) => assertClose(e.data as Float32Array, refAudio(m.weights, rows[i]!.wave.data), 1e-5, 1e-4, `clip ${i}`));
});

test('a clip too short for the model is a row error, not a failed run', async () => {
  const rows = [{ wave: clip(400) }, { wave: clip(4) }];
  const t = await fromRows(rows, { wave: dt.varTensor(dt.float32(), 1) })
    .map(embedAudio({ model: MODEL, column: 'wave', output: 'emb' })).compute({ workers: 0, onError: 'quarantine' });
  assert.equal(t.numRows, 1);
  assert.equal(t.report.quarantined, 1);
});

test('plan-time: a model with a rank the column cannot feed is rejected', () => {
  const ds = fromRows([{ feats: { data: new Float32Array(12), shape: [3, 4] } }], { feats: dt.varTensor(dt.float32(), 2) });
  assert.throws(() => ds.map(embedAudio({ model: MODEL, column: 'feats', output: 'emb', inputDtype: dt.varTensor(dt.float32(), 2) })),
    (e: ModaflowError) => e.code === 'MF_DTYPE_MISMATCH' && /rows need 1 dimensions/.test(e.message));
});
