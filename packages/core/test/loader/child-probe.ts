// Child-process script for batches.test.ts. On stdout: a loader's batches as an Arrow IPC stream
// (how a Node producer feeds a Python trainer through a pipe). On stderr, the last line: JSON with
// whether onnxruntime-node was loaded before and after 'ort' batches, and the sentence embeddings
// a tiny text model computes from 'ort' batch feeds padded two different ways.
import { createRequire } from 'node:module';
import { dt, fromRows, onnx, writeBatchStream } from '../../src/index.ts';
import { multimodal } from './loader-fixtures.ts';

const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('onnxruntime-node'));
const n = Number(process.argv[2] ?? 20);
await writeBatchStream(multimodal(n).batches({ batchSize: 4, shuffle: 'full', seed: 7, bucketBy: 'tokens', output: 'arrow' }), '-');
for await (const _ of multimodal(n).batches({ batchSize: 4, shuffle: 'buffer', bufferSize: 5 })) { /* typed */ }
const before = loaded();

const rows = Array.from({ length: 12 }, (_, id) => ({ id, input_ids: Array.from({ length: 1 + (id * 5) % 9 }, (_, k) => (id * 7 + k) % 100) }));
const ds = fromRows(rows as never, { id: dt.int32(), input_ids: dt.list(dt.int64()) });
const ort = await import('onnxruntime-node');
const session = await ort.InferenceSession.create(onnx.tinyTextEncoder().bytes);
const embed = async (opts: object) => {
  const out: Record<number, number[]> = {};
  for await (const b of ds.batches({ batchSize: 5, shuffle: 'full', seed: 3, output: 'ort', ...opts })) {
    const r = await session.run({ input_ids: b.tensors.input_ids!, attention_mask: b.tensors.input_ids_mask! });
    const e = r.sentence_embedding!.data as Float32Array;
    const h = r.sentence_embedding!.dims[1]!;
    b.rowIds.forEach((id, s) => { out[id] = Array.from(e.subarray(s * h, (s + 1) * h)); });
  }
  return out;
};
const longest = await embed({});
const fixed = await embed({ padTo: 16 });
console.error(JSON.stringify({ before, after: loaded(), longest, fixed }));
