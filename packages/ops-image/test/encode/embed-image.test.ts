// image.embed against the TypeScript reference of the tiny CNN, L2 normalization, plan-time checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dt, fromRows, onnx, columnValues, fromArrowSchema, ModaflowError } from '@modaflow/core';
import type { Tensor } from '@modaflow/core';
import { embedImage } from '../../src/index.ts';
import { assertClose, refImage } from '../../../core/test/onnx/reference.ts';

const dir = mkdtempSync(join(tmpdir(), 'modaflow-embed-image-'));
const m = onnx.tinyImageEncoder({ seed: 31, size: 8 });
const MODEL = join(dir, 'cnn.onnx');
writeFileSync(MODEL, m.bytes);
const rand = onnx.seededUniform(7);
const rows = Array.from({ length: 9 }, (_, id) => ({ id, pixels: { data: new Float32Array(192).map(() => rand() * 2 - 1), shape: [3, 8, 8] } }));
const schema = { id: dt.int32(), pixels: dt.tensor(dt.float32(), [3, 8, 8]) };

function embeddings(t: { getChild(n: string): unknown; schema: unknown }): Float32Array[] {
  const s = fromArrowSchema(t.schema as never);
  return (columnValues(s.emb!, t.getChild('emb') as never) as Tensor[]).map((x) => x.data as Float32Array);
}

test('embedImage equals the reference CNN, whatever maxBatch (tolerance 1e-5 + 1e-4·|ref|)', async () => {
  for (const maxBatch of [1, 4, 32]) {
    const t = await fromRows(rows, schema).map(embedImage({ model: MODEL, column: 'pixels', output: 'emb', maxBatch })).compute({ workers: 0, batchSize: 5 });
    embeddings(t).forEach((e, i) => assertClose(e, refImage(m.weights, rows[i]!.pixels.data, 3, 8, 8), 1e-5, 1e-4, `maxBatch ${maxBatch} row ${i}`));
  }
});

test('normalize gives unit vectors in the same direction', async () => {
  const [plain, unit] = await Promise.all([false, true].map(async (normalize) =>
    embeddings(await fromRows(rows, schema).map(embedImage({ model: MODEL, column: 'pixels', output: 'emb', normalize })).compute({ workers: 0 }))));
  plain!.forEach((p, i) => {
    const norm = Math.hypot(...p);
    assertClose(unit![i]!, p.map((x) => x / norm), 1e-6, 1e-5, `row ${i}`);
    assert.ok(Math.abs(Math.hypot(...unit![i]!) - 1) < 1e-5);
  });
});

test('plan-time: a size the model does not take and a uint8 image are rejected before any work', () => {
  const small = fromRows([{ pixels: { data: new Float32Array(48), shape: [3, 4, 4] } }], { pixels: dt.tensor(dt.float32(), [3, 4, 4]) });
  assert.throws(() => small.map(embedImage({ model: MODEL, column: 'pixels', output: 'emb' })), (e: ModaflowError) => e.code === 'MF_DTYPE_MISMATCH' && e.op === 'image.embed' && /4 ≠ 8/.test(e.message));
  const u8 = fromRows([{ pixels: { data: new Uint8Array(192), shape: [3, 8, 8] } }], { pixels: dt.tensor(dt.uint8(), [3, 8, 8]) });
  assert.throws(() => (u8 as never as typeof small).map(embedImage({ model: MODEL, column: 'pixels', output: 'emb' })), (e: ModaflowError) => e.code === 'MF_DTYPE_MISMATCH');
  assert.throws(() => embedImage({ model: '', column: 'pixels', output: 'emb' }), (e: ModaflowError) => e.code === 'MF_INVALID_ARGUMENT');
});
