// Behaviour of ds.batches(): multimodal rows stay together, collation and padding of every column
// kind, the ort and Arrow outputs, the IPC hand-off (file and stdout), hooks, prefetch and errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { col, dt, fromRows, ModaflowError, readArrow, writeBatchStream } from '../../src/index.ts';
import type { LoaderState, TypedBatch } from '../../src/index.ts';
import { tempDir } from '../helpers.ts';
import { noise, sqrt } from '../fixtures/test-ops.ts';
import { audioOf, batchIds, imageOf, multimodal, tokenRows, tokensOf } from './loader-fixtures.ts';

const N = 37;
const lensOf = (id: number) => id % 7;

function checkSlot(id: number, slot: number, get: {
  image: (s: number) => ArrayLike<number>; tokens: (s: number) => ArrayLike<number>; audio: (s: number) => ArrayLike<number>;
  tokenLength: (s: number) => number; audioLength: (s: number) => number; caption: (s: number) => unknown;
}): void {
  assert.deepEqual(Array.from(get.image(slot)), Array.from(imageOf(id)), `image of ${id}`);
  assert.equal(get.tokenLength(slot), lensOf(id));
  assert.deepEqual(Array.from(get.tokens(slot)).slice(0, lensOf(id)), tokensOf(id, lensOf(id)), `tokens of ${id}`);
  assert.equal(get.audioLength(slot), audioOf(id).length);
  assert.deepEqual(Array.from(get.audio(slot)).slice(0, audioOf(id).length), Array.from(audioOf(id)), `audio of ${id}`);
  assert.equal(get.caption(slot), `row ${id}`);
}

test('multimodal rows stay together: image, tokens, audio and caption of one id share a slot (typed)', async () => {
  const seen: number[] = [];
  for await (const b of multimodal(N).batches({ batchSize: 5, shuffle: 'full', seed: 11, bucketBy: 'tokens', prefetch: 2, upstream: { batchSize: 6 } })) {
    const c = b.columns;
    const [B, L] = c.tokens.shape as [number, number];
    const A = c.audio.shape[1]!;
    assert.deepEqual(c.image.shape, [B, 2, 2, 3]);
    for (let s = 0; s < B; s++) {
      const id = (c.id.data as Int32Array)[s]!;
      assert.equal(b.rowIds[s], id); // fromRows row ids are the row numbers
      seen.push(id);
      checkSlot(id, s, {
        image: (k) => (c.image.data as Uint8Array).subarray(k * 12, (k + 1) * 12),
        tokens: (k) => (c.tokens.data as Int32Array).subarray(k * L, (k + 1) * L),
        audio: (k) => (c.audio.data as Float32Array).subarray(k * A, (k + 1) * A),
        tokenLength: (k) => c.tokens.lengths![k]!,
        audioLength: (k) => c.audio.lengths![k]!,
        caption: (k) => (c.caption.data as string[])[k],
      });
    }
  }
  assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i));
});

test('multimodal rows stay together in the ort output', async () => {
  let batches = 0;
  for await (const b of multimodal(N).batches({ batchSize: 8, shuffle: 'buffer', bufferSize: 10, seed: 3, output: 'ort' })) {
    batches++;
    const t = b.tensors;
    assert.equal(t.tokens!.type, 'int32');
    assert.equal(t.tokens_mask!.type, 'int64');
    assert.equal(t.image!.type, 'uint8');
    assert.equal(t.audio!.type, 'float32');
    assert.equal(t.caption!.type, 'string');
    const [B, L] = t.tokens!.dims as [number, number];
    const A = t.audio!.dims[1]!;
    assert.deepEqual(t.image!.dims, [B, 2, 2, 3]);
    assert.deepEqual(t.tokens_mask!.dims, [B, L]);
    assert.deepEqual(t.audio_lengths!.dims, [B, 1]);
    for (let s = 0; s < B; s++) {
      const id = (t.id!.data as Int32Array)[s]!;
      const mask = Array.from((t.tokens_mask!.data as BigInt64Array).subarray(s * L, (s + 1) * L), Number);
      assert.equal(mask.reduce((a, x) => a + x, 0), lensOf(id));
      checkSlot(id, s, {
        image: (k) => (t.image!.data as Uint8Array).subarray(k * 12, (k + 1) * 12),
        tokens: (k) => (t.tokens!.data as Int32Array).subarray(k * L, (k + 1) * L),
        audio: (k) => (t.audio!.data as Float32Array).subarray(k * A, (k + 1) * A),
        tokenLength: (k) => Number((t.tokens_lengths!.data as BigInt64Array)[k]),
        audioLength: (k) => Number((t.audio_lengths!.data as BigInt64Array)[k]),
        caption: (k) => (t.caption!.data as string[])[k],
      });
    }
  }
  assert.equal(batches, Math.ceil(N / 8));
});

test('Arrow output as an IPC stream file: read back with apache-arrow, padded rows, same batches', async () => {
  const path = join(tempDir(), 'batches.arrows');
  const opts = { batchSize: 6, shuffle: 'full', seed: 5, bucketBy: 'tokens', padMultiple: { tokens: 4 } } as const;
  const expected = await batchIds(multimodal(N).batches(opts));
  const written = await writeBatchStream(multimodal(N).batches({ ...opts, output: 'arrow' }), path);
  assert.equal(written.batches, expected.length);
  assert.equal(written.rows, N);
  const reader = arrow.RecordBatchReader.from(await readFile(path));
  const got: number[][] = [];
  let schema: arrow.Schema | undefined;
  for (const rb of reader) {
    schema ??= rb.schema;
    const ids = Array.from(rb.getChild('id')!.toArray() as Int32Array);
    got.push(ids);
    const tokens = rb.getChild('tokens')!;
    const lengths = rb.getChild('tokens_lengths')!.toArray() as Int32Array;
    const L = tokens.get(0)!.length;
    assert.equal(L % 4, 0);
    assert.ok(L >= Math.max(...lengths));
    ids.forEach((id, s) => {
      const row = Array.from(tokens.get(s)!.toArray() as Int32Array);
      assert.equal(row.length, L);
      assert.deepEqual(row.slice(0, lensOf(id)), tokensOf(id, lensOf(id)));
      const mask = Array.from(rb.getChild('tokens_mask')!.get(s)!.toArray() as Uint8Array);
      assert.deepEqual(mask, row.map((_, k) => (k < lensOf(id) ? 1 : 0)));
      assert.equal(rb.getChild('caption')!.get(s), `row ${id}`);
    });
  }
  assert.deepEqual(got, expected);
  assert.ok(schema);
  const f = (name: string) => schema!.fields.find((x) => x.name === name)!;
  assert.equal(f('image').metadata.get('ARROW:extension:name'), 'arrow.fixed_shape_tensor');
  assert.equal(f('audio').metadata.get('ARROW:extension:name'), 'arrow.variable_shape_tensor');
  assert.equal(f('audio_mask').metadata.get('ARROW:extension:name'), 'arrow.variable_shape_tensor');
  assert.equal(JSON.parse(schema!.metadata.get('modaflow.batches')!).batchSize, 6);
});

test('child process: IPC stream on stdout reads back; ort loads lazily; ort feeds run a text model, padding-invariant', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'child-probe.ts'), '20'], { maxBuffer: 1 << 26, env: { ...process.env, NODE_OPTIONS: '' } });
  assert.equal(r.status, 0, r.stderr.toString());
  const batches = [...arrow.RecordBatchReader.from(r.stdout)];
  assert.equal(batches.length, 5);
  const ids = batches.flatMap((b) => Array.from(b.getChild('id')!.toArray() as Int32Array));
  assert.deepEqual(ids.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
  const probe = JSON.parse(r.stderr.toString().trim().split('\n').at(-1)!) as { before: boolean; after: boolean; longest: Record<string, number[]>; fixed: Record<string, number[]> };
  assert.equal(probe.before, false, 'typed and arrow batches must not load onnxruntime-node');
  assert.equal(probe.after, true);
  // The model mean-pools under attention_mask: padding to the batch's longest row or to 16 must give
  // the same embedding for every row (up to float32 rounding), so masks cover exactly the real tokens.
  assert.equal(Object.keys(probe.longest).length, 12);
  for (const [id, e] of Object.entries(probe.longest)) {
    assert.equal(e.length, 16);
    e.forEach((x, k) => assert.ok(Number.isFinite(x) && Math.abs(x - probe.fixed[id]![k]!) < 1e-5, `row ${id}[${k}]: ${x} vs ${probe.fixed[id]![k]}`));
  }
});

test('an empty dataset writes a stream with the schema and no batches', async () => {
  const path = join(tempDir(), 'empty.arrows');
  const w = await writeBatchStream(multimodal(0).batches({ batchSize: 4, output: 'arrow' }), path);
  assert.deepEqual(w.batches, 0);
  const t = arrow.tableFromIPC(await readFile(path));
  assert.equal(t.numRows, 0);
  assert.ok(t.schema.fields.some((f) => f.name === 'tokens_mask'));
});

test('var-shape tensors pad every dimension, per-dimension padMultiple and padTo, mask marks the real region', async () => {
  const shapes = [[2, 3], [1, 4], [3, 1]];
  const ds = fromRows(shapes.map((s, i) => ({ x: { data: Float32Array.from({ length: s[0]! * s[1]! }, (_, k) => 100 * i + k + 1), shape: s } })), { x: dt.varTensor(dt.float32(), 2) });
  const [b] = await batchesOf(ds.batches({ batchSize: 3, padMultiple: { x: [2, 1] }, padTo: { x: [null, 5] }, padValue: -1 }));
  const c = b!.columns.x;
  assert.deepEqual(c.shape, [3, 4, 5]);
  assert.deepEqual(Array.from(c.lengths!), shapes.flat());
  const data = c.data as Float32Array;
  shapes.forEach(([h, w], i) => {
    for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) {
      const at = i * 20 + y * 5 + x;
      const real = y < h! && x < w!;
      assert.equal(c.mask![at], real ? 1 : 0);
      assert.equal(data[at], real ? 100 * i + y * w! + x + 1 : -1);
    }
  });
});

test('padTo pads to a fixed length; a longer row is an error naming column and row, never a truncation', async () => {
  const ds = tokenRows([1, 3, 2]);
  const [b] = await batchesOf(ds.batches({ batchSize: 3, padTo: 4 }));
  assert.deepEqual(b!.columns.tokens.shape, [3, 4]);
  await assert.rejects(batchesOf(ds.batches({ batchSize: 3, padTo: 2 })), (e: unknown) => {
    assert.ok(e instanceof ModaflowError);
    assert.equal(e.code, 'MF_INVALID_ARGUMENT');
    assert.equal(e.column, 'tokens');
    assert.equal(e.row, 1);
    assert.match(e.message, /never truncates/);
    return true;
  });
});

test('nulls: scalars and fixed tensors get a valid mask, null lists are all padding with length 0', async () => {
  const ds = fromRows([
    { a: 1n, t: [1, 2], v: { data: Float32Array.of(1, 2), shape: [2] }, s: 'x', b: true },
    { a: null, t: null, v: null, s: null, b: null },
    { a: 3n, t: [], v: { data: Float32Array.of(3, 4), shape: [2] }, s: 'z', b: false },
  ], { a: dt.int64(), t: dt.list(dt.uint8()), v: dt.tensor(dt.float32(), [2]), s: dt.utf8(), b: dt.bool() });
  const [b] = await batchesOf(ds.batches({ batchSize: 3 }));
  const c = b!.columns;
  assert.deepEqual(Array.from(c.a.data as BigInt64Array), [1n, 0n, 3n]);
  assert.deepEqual(Array.from(c.a.valid!), [1, 0, 1]);
  assert.deepEqual(Array.from(c.t.lengths!), [2, 0, 0]);
  assert.deepEqual(Array.from(c.t.valid!), [1, 0, 1]);
  assert.deepEqual(Array.from(c.t.mask!), [1, 1, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(c.v.data as Float32Array), [1, 2, 0, 0, 3, 4]);
  assert.deepEqual(Array.from(c.v.valid!), [1, 0, 1]);
  assert.deepEqual(c.v.shape, [3, 2]);
  assert.deepEqual(c.s.data, ['x', null, 'z']);
  assert.deepEqual(Array.from(c.b.data as Uint8Array), [1, 0, 0]);
  assert.deepEqual(Array.from(c.b.valid!), [1, 0, 1]);
});

test('bucketing by length cuts padding waste (reported by the loader) and keeps every row', async () => {
  // Long-tailed lengths, as token counts of real text are.
  const lens = Array.from({ length: 400 }, (_, i) => 1 + Math.floor(200 / (1 + ((i * 37) % 97))));
  const plain = tokenRows(lens).batches({ batchSize: 16, shuffle: 'full', seed: 1 });
  const bucketed = tokenRows(lens).batches({ batchSize: 16, shuffle: 'full', seed: 1, bucketBy: { column: 'tokens', windowBatches: 8 } });
  const a = (await batchIds(plain)).flat();
  const b = (await batchIds(bucketed)).flat();
  assert.deepEqual([...b].sort((x, y) => x - y), [...a].sort((x, y) => x - y));
  const wp = plain.report().padding.tokens!, wb = bucketed.report().padding.tokens!;
  const real = lens.reduce((s, x) => s + x, 0);
  assert.equal(wp.real, real);
  assert.equal(wb.real, real);
  assert.ok(wb.waste < wp.waste * 0.8, `bucketed waste ${wb.waste} vs plain ${wp.waste}`);
  assert.equal(plain.report().rows, 400);
});

test('a custom collate hook gets the batch rows, the Arrow chunk and the default collation', async () => {
  const ds = multimodal(10);
  const got: { ids: number[]; captions: unknown[]; chunkIds: unknown[]; L: number }[] = [];
  const loader = ds.batches({
    batchSize: 4, shuffle: 'full', seed: 2,
    collate: (b) => ({
      ids: b.rows().map((r) => r.id!),
      captions: b.rows().map((r) => r.caption),
      chunkIds: Array.from(b.chunk().columns.id!.values as Int32Array),
      L: b.typed().columns.tokens.shape[1]!,
    }),
  });
  for await (const x of loader) got.push(x);
  const expected = await batchIds(ds.batches({ batchSize: 4, shuffle: 'full', seed: 2 }));
  assert.deepEqual(got.map((g) => g.ids), expected);
  assert.deepEqual(got.map((g) => g.chunkIds), expected);
  assert.deepEqual(got.map((g) => g.captions), expected.map((ids) => ids.map((i) => `row ${i}`)));
  assert.deepEqual(got.map((g) => g.L), expected.map((ids) => Math.max(...ids.map(lensOf))));
});

test('prefetch computes up to k batches ahead of the consumer, and no more', async () => {
  for (const k of [0, 1, 3]) {
    let collated = 0;
    const loader = tokenRows(Array.from({ length: 40 }, () => 2)).batches({ batchSize: 2, prefetch: k, collate: (b) => { collated++; return b.index; } });
    const it = loader[Symbol.asyncIterator]();
    assert.equal((await it.next()).value, 0);
    for (let spins = 0; spins < 1000 && collated < 1 + k; spins++) await new Promise((r) => setImmediate(r));
    assert.equal(collated, 1 + k, `prefetch ${k}`);
    for (let spins = 0; spins < 20; spins++) await new Promise((r) => setImmediate(r));
    assert.equal(collated, 1 + k, `prefetch ${k} must not run further ahead`);
    assert.equal((await it.next()).value, 1);
    await it.return?.(undefined);
    assert.equal(loader.state().batch, 2); // prefetched batches were not delivered
  }
});

test('same order with 0 or 2 upstream workers, and the upstream error policy applies', async () => {
  const ds = fromRows(Array.from({ length: 60 }, (_, i) => ({ x: i % 9 === 4 ? -1 : i })), { x: dt.float64() }).map(sqrt({ column: 'x', output: 'y' }));
  // The buffer shuffle reads the row sequence, so it is the mode that worker scheduling could upset.
  for (const shuffle of ['buffer'] as const) {
    const runs = [];
    for (const workers of [0, 2]) {
      const loader = ds.batches({ batchSize: 8, shuffle, bufferSize: 12, seed: 9, upstream: { workers, batchSize: 7, onError: 'skip' } });
      runs.push(await batchIds(loader));
      assert.equal(loader.report().upstream!.skipped, 7);
    }
    assert.deepEqual(runs[1], runs[0]);
    assert.equal(runs[0]!.flat().length, 53);
  }
});

test('resume refuses other options and a dataset that changed', async () => {
  const ds = tokenRows(Array.from({ length: 30 }, (_, i) => i % 4));
  const loader = ds.batches({ batchSize: 4, shuffle: 'full', seed: 1 });
  let n = 0;
  for await (const _ of loader) if (++n === 3) break;
  const state: LoaderState = loader.state();
  assert.equal(state.batch, 3);
  assert.throws(() => ds.batches({ batchSize: 5, shuffle: 'full', seed: 1, resume: state }), /batchSize: state 4, options 5/);
  assert.throws(() => ds.batches({ batchSize: 4, shuffle: 'buffer', seed: 1, resume: state }), /shuffle/);
  const changed = ds.filter(col('id').ne(state.rows > 0 ? 29 : 0)).filter(col('id').ne(0));
  await assert.rejects(batchesOf(changed.batches({ batchSize: 4, shuffle: 'full', seed: 1, resume: state })), /other rows|only/);
});

test('bad options are refused up front with a fix', () => {
  const ds = multimodal(4);
  const bad = (o: object, re: RegExp) => assert.throws(() => ds.batches(o as never), (e: unknown) => e instanceof ModaflowError && re.test(e.message) && e.fix !== undefined);
  bad({ batchSize: 0 }, /batchSize/);
  bad({}, /batchSize/);
  bad({ batchSize: 2, shuffle: 'yes' }, /shuffle/);
  bad({ batchSize: 2, bucketBy: 'id' }, /bucketBy needs a column with a length/);
  bad({ batchSize: 2, bucketBy: 'nope' }, /not in the dataset/);
  bad({ batchSize: 2, padTo: { caption: 3 } }, /not a padded column/);
  bad({ batchSize: 2, padMultiple: 0 }, /padMultiple/);
  bad({ batchSize: 2, output: 'numpy' }, /output/);
  assert.throws(() => fromRows([{ t: [1], t_mask: 1 }], { t: dt.list(dt.int32()), t_mask: dt.int32() }).batches({ batchSize: 1 }), /t_mask/);
});

test('one iteration at a time; an aborted signal stops the loader', async () => {
  const ds = tokenRows(Array.from({ length: 20 }, () => 1));
  const loader = ds.batches({ batchSize: 2 });
  const it = loader[Symbol.asyncIterator]();
  await it.next();
  await assert.rejects(loader[Symbol.asyncIterator]().next(), /already being iterated/);
  await it.return?.(undefined);
  const ctrl = new AbortController();
  const l2 = ds.batches({ batchSize: 2, signal: ctrl.signal, prefetch: 0 });
  await assert.rejects((async () => { for await (const b of l2) if (b.index === 1) ctrl.abort(); })(), (e: unknown) => e instanceof ModaflowError && e.code === 'MF_ABORTED');
});

test('reseedPerEpoch: augmentation differs between epochs, and a resumed loader reproduces it', async () => {
  const ds = fromRows(Array.from({ length: 12 }, (_, i) => ({ x: i })), { x: dt.float64() }).map(noise({ column: 'x', output: 'y' }));
  const opts = { batchSize: 4, shuffle: 'full', seed: 1, epochs: 2, reseedPerEpoch: true, upstream: { workers: 0, seed: 5 } } as const;
  const byEpoch = async (o: object) => {
    const out: Map<number, number>[] = [new Map(), new Map()];
    for await (const b of ds.batches({ ...opts, ...o })) b.rowIds.forEach((id, s) => out[b.epoch]!.set(id, (b.columns.y.data as Float64Array)[s]!));
    return out;
  };
  const [e0, e1] = await byEpoch({});
  assert.equal(e0!.size, 12);
  for (const [id, y] of e0!) assert.notEqual(e1!.get(id), y);
  const [f0, f1] = await byEpoch({ reseedPerEpoch: false });
  for (const [id, y] of f0!) assert.equal(f1!.get(id), y);
  // Resume in the middle of epoch 1: its rows get epoch 1's augmentation again.
  const state: LoaderState = { version: 1, epoch: 1, batch: 0, rows: 0, checksum: 0, config: { batchSize: 4, shuffle: 'full', bufferSize: 1024, seed: 1, dropLast: false, bucketBy: null } };
  const [, r1] = await byEpoch({ resume: state });
  assert.deepEqual([...r1!].sort(), [...e1!].sort());
});

test('a file source (schema read at run time): state() before the first batch, then batches', async () => {
  const path = join(tempDir(), 'rows.arrow');
  await tokenRows([3, 1, 2, 5, 4]).write(path, { workers: 0 });
  const ds = readArrow(path);
  const loader = ds.batches({ batchSize: 2, shuffle: 'full', seed: 4, bucketBy: 'tokens' });
  assert.deepEqual({ ...loader.state(), config: undefined }, { version: 1, epoch: 0, batch: 0, rows: 0, checksum: 0, config: undefined });
  const got = await batchIds(loader);
  assert.deepEqual(got, await batchIds(tokenRows([3, 1, 2, 5, 4]).batches({ batchSize: 2, shuffle: 'full', seed: 4, bucketBy: 'tokens' })));
  assert.deepEqual(loader.state().epoch, 1);
  await assert.rejects(batchesOf(ds.batches({ batchSize: 2, bucketBy: 'id' })), /bucketBy needs a column with a length/);
});

async function batchesOf<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
void ({} as TypedBatch);
