// text.embed: pooling against the TypeScript reference, padding invariance on a real attention
// model (MiniLM-shaped, small), explicit masks, all-zero masks, plan-time checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dt, fromRows, onnx, columnValues, fromArrowSchema, ModaflowError } from '@modaflow/core';
import type { Tensor } from '@modaflow/core';
import { embedText } from '../../src/index.ts';
import { assertClose, refText } from '../../../core/test/onnx/reference.ts';

const dir = mkdtempSync(join(tmpdir(), 'modaflow-embed-text-'));
const tiny = onnx.tinyTextEncoder({ seed: 51 });
const TINY = join(dir, 'tiny.onnx');
writeFileSync(TINY, tiny.bytes);
const MINI = join(dir, 'mini.onnx');
writeFileSync(MINI, onnx.miniLmLike({ seed: 52, vocab: 60, hidden: 32, layers: 2, heads: 4, intermediate: 64, maxPositions: 32 }));

const seqs = [[5, 6, 7, 8, 9, 10], [11, 12], [13, 14, 15], [16], [17, 18, 19, 20, 21, 22, 23, 24]];
const ds = () => fromRows(seqs.map((ids, id) => ({ id, ids })), { id: dt.int32(), ids: dt.list(dt.int32()) });

function embeddings(t: { getChild(n: string): unknown; schema: unknown }): Float32Array[] {
  const s = fromArrowSchema(t.schema as never);
  return (columnValues(s.emb!, t.getChild('emb') as never) as (Tensor | null)[]).map((x) => x?.data as Float32Array);
}

test('mean and CLS pooling equal the reference; pooling none on the in-graph mean agrees', async () => {
  const mean = embeddings(await ds().map(embedText({ model: TINY, inputIds: 'ids', output: 'emb' })).compute({ workers: 0 }));
  const cls = embeddings(await ds().map(embedText({ model: TINY, inputIds: 'ids', output: 'emb', pooling: 'cls' })).compute({ workers: 0 }));
  const graph = embeddings(await ds().map(embedText({ model: TINY, inputIds: 'ids', output: 'emb', pooling: 'none', outputName: 'sentence_embedding' })).compute({ workers: 0 }));
  seqs.forEach((ids, i) => {
    const ref = refText(tiny.weights, ids, ids.map(() => 1));
    assertClose(mean[i]!, ref.mean, 1e-5, 1e-4, `mean ${i}`);
    assertClose(cls[i]!, ref.hidden[0]!, 1e-5, 1e-4, `cls ${i}`);
    assertClose(graph[i]!, ref.mean, 1e-5, 1e-4, `in-graph mean ${i}`);
  });
});

test('law: on a MiniLM-shaped attention model, padded batches equal row-by-row runs (|Δ| ≤ 1e-4)', async () => {
  const run = async (maxBatch: number, batchSize: number) => embeddings(await ds()
    .map(embedText({ model: MINI, inputIds: 'ids', output: 'emb', maxBatch, normalize: true })).compute({ workers: 0, batchSize }));
  const one = await run(1, 1);
  for (const [mb, bs] of [[8, 8], [2, 3], [32, 2]] as const) (await run(mb, bs)).forEach((e, i) => assertClose(e, one[i]!, 1e-4, 1e-4, `maxBatch ${mb} batch ${bs} row ${i}`));
  one.forEach((e) => assert.ok(Math.abs(Math.hypot(...e) - 1) < 1e-5));
});

test('an explicit attention-mask column weights the mean; an all-zero mask is a row error', async () => {
  const rows = [{ ids: [1, 2, 3, 4], m: [1, 1, 0, 0] }, { ids: [5, 6], m: [0, 0] }, { ids: [7, 8, 9], m: [1, 1, 1] }];
  const t = await fromRows(rows, { ids: dt.list(dt.int32()), m: dt.list(dt.int32()) })
    .map(embedText({ model: TINY, inputIds: 'ids', attentionMask: 'm', output: 'emb' })).compute({ workers: 0, onError: 'quarantine' });
  const got = embeddings(t);
  assert.equal(got.length, 2);
  assertClose(got[0]!, refText(tiny.weights, rows[0]!.ids, rows[0]!.m).mean, 1e-5, 1e-4, 'masked row');
  assertClose(got[1]!, refText(tiny.weights, rows[2]!.ids, rows[2]!.m).mean, 1e-5, 1e-4, 'full row');
  assert.equal(t.report.quarantined, 1);
});

test('padded fixed-size ids (tensor<int64>[L]) with their mask work too', async () => {
  const rows = [{ ids: { data: BigInt64Array.from([3n, 4n, 0n]), shape: [3] }, m: { data: BigInt64Array.from([1n, 1n, 0n]), shape: [3] } }];
  const T = dt.tensor(dt.int64(), [3]);
  const t = await fromRows(rows, { ids: T, m: T }).map(embedText({ model: TINY, inputIds: 'ids', attentionMask: 'm', output: 'emb', idsDtype: T })).compute({ workers: 0 });
  assertClose(embeddings(t)[0]!, refText(tiny.weights, [3, 4, 0], [1, 1, 0]).mean, 1e-5, 1e-4, 'row 0');
});

test('plan-time: wrong pooling for the output rank, float ids, unknown output', () => {
  assert.throws(() => ds().map(embedText({ model: TINY, inputIds: 'ids', output: 'emb', pooling: 'none' })), (e: ModaflowError) => e.code === 'MF_MODEL' && /rank 2/.test(e.message));
  const f = fromRows([{ ids: [1.5] }], { ids: dt.list(dt.float32()) });
  // @ts-expect-error float ids are not token ids: tsc rejects them too
  const call = () => f.map(embedText({ model: TINY, inputIds: 'ids', output: 'emb', idsDtype: dt.list(dt.float32()) }));
  assert.throws(call, (e: ModaflowError) => e.code === 'MF_DTYPE_MISMATCH');
  assert.throws(() => ds().map(embedText({ model: TINY, inputIds: 'ids', output: 'emb', outputName: 'pooler' })), (e: ModaflowError) => e.code === 'MF_MODEL' && /no output 'pooler'/.test(e.message));
});
