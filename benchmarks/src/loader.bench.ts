// Training batches (ds.batches): the loader's overhead over a plain compute() of the same pipeline,
// and padding waste and throughput with and without length bucketing on a generated token-id
// column with a long-tailed length distribution (like token counts of real text).
import { col, dt, fromArrow, fromRows, rowRng } from '@modaflow/core';
import { compare, report } from './harness.ts';
import type { Comparison } from './harness.ts';

const ROWS = Number(process.env.LOADER_BENCH_ROWS ?? 20000);
const BATCH = 32;

/** Token ids with log-normal lengths (median ~40, long tail up to 512), seeded. */
function tokenRows(n: number) {
  const rows = [];
  for (let i = 0; i < n; i++) {
    const r = rowRng(1, 7, i);
    const len = Math.min(512, Math.max(1, Math.round(Math.exp(3.7 + 0.8 * r.normal()))));
    const ids = new Array<number>(len);
    for (let k = 0; k < len; k++) ids[k] = 1 + (r.uint32() % 30000);
    rows.push({ id: i, label: i % 5, tokens: ids });
  }
  return rows;
}

const data = tokenRows(ROWS);
const schema = { id: dt.int32(), label: dt.int32(), tokens: dt.list(dt.int32()) };
// The source is an Arrow table built once, so the pipeline costs little and the loader's own work shows.
const table = await fromRows(data, schema).compute({ workers: 0 });
const ds = fromArrow<typeof schema>(table).withColumn('label2', col('label').mul(2));
const upstream = { batchSize: 1024, workers: 0 } as const;

async function drain(it: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of it) n++;
  return n;
}

const baseline = () => ds.compute(upstream);
// Warm the JIT on every path first, so the first case does not pay for compilation.
for (let i = 0; i < 3; i++) {
  await drain(ds.batches({ batchSize: BATCH, shuffle: 'full', seed: i, bucketBy: 'tokens', upstream }));
  await drain(ds.batches({ batchSize: BATCH, shuffle: 'buffer', seed: i, output: 'arrow', upstream }));
}
const results: Comparison[] = [];
const rows = data.length;

const cases = [
  ['batches typed, no shuffle', { batchSize: BATCH }],
  ['batches typed, buffer shuffle 4096', { batchSize: BATCH, shuffle: 'buffer', bufferSize: 4096, seed: 1 }],
  ['batches typed, full shuffle', { batchSize: BATCH, shuffle: 'full', seed: 1 }],
  ['batches arrow, full shuffle', { batchSize: BATCH, shuffle: 'full', seed: 1, output: 'arrow' }],
] as const;
for (const [name, opts] of cases) {
  results.push(await compare(`${name} (contender) vs compute() (baseline), ${rows} rows`, () => drain(ds.batches({ ...opts, upstream })), baseline, { runs: 5 }));
}

// What a user writes without the loader: compute() to a table, then pad 32-row slices by hand.
const handPadded = async () => {
  const t = await ds.compute(upstream);
  const tokens = t.getChild('tokens')!;
  for (let s = 0; s < t.numRows; s += BATCH) {
    const e = Math.min(t.numRows, s + BATCH);
    const rowsOf: Int32Array[] = [];
    let L = 0;
    for (let i = s; i < e; i++) { const v = tokens.get(i)!.toArray() as Int32Array; rowsOf.push(v); L = Math.max(L, v.length); }
    const ids = new Int32Array((e - s) * L), mask = new Uint8Array((e - s) * L);
    rowsOf.forEach((v, r) => { ids.set(v, r * L); mask.fill(1, r * L, r * L + v.length); });
  }
};
results.push(await compare(`batches typed, no shuffle (contender) vs compute() + hand-written padding (baseline), ${rows} rows`, () => drain(ds.batches({ batchSize: BATCH, upstream })), handPadded, { runs: 5 }));

// Bucketing: same full shuffle, with and without bucketBy; padding waste from the loader's report.
const waste = async (opts: Parameters<typeof ds.batches>[0]) => {
  const l = ds.batches({ ...opts, upstream });
  await drain(l);
  return l.report().padding.tokens!;
};
const plainOpts = { batchSize: BATCH, shuffle: 'full', seed: 1 } as const;
for (const windowBatches of [8, 32, 128]) {
  const bucketOpts = { ...plainOpts, bucketBy: { column: 'tokens', windowBatches } } as const;
  const wp = await waste(plainOpts);
  const wb = await waste(bucketOpts);
  const r = await compare(
    `bucketBy tokens, window ${windowBatches} batches (contender) vs no bucketing (baseline), full shuffle`,
    () => drain(ds.batches({ ...bucketOpts, upstream })),
    () => drain(ds.batches({ ...plainOpts, upstream })),
    { runs: 5, extra: { wastePlain: wp.waste, wasteBucketed: wb.waste, paddedPlain: wp.padded, paddedBucketed: wb.padded, realTokens: wb.real } },
  );
  results.push(r);
}
report('loader', results);
for (const r of results) {
  console.log(`${r.name}: ${(rows / (r.contender.median / 1000)).toFixed(0)} rows/s contender, ${(rows / (r.baseline.median / 1000)).toFixed(0)} rows/s baseline`);
}
