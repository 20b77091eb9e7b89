// Type tests for ds.batches(): what a loader yields follows its options, and column names are
// checked. Checked by test/typecheck.test.ts (tsc --noEmit); an unused @ts-expect-error is an error.
import { dt, fromRows } from '../../src/index.ts';
import type { ArrowBatch, BatchLoader, CollatedColumn, Int32, List, OrtBatch, TypedBatch, Utf8 } from '../../src/index.ts';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
type Expect<T extends true> = T;
type Yields<L> = L extends BatchLoader<infer T> ? T : never;

const ds = fromRows([{ id: 1, tokens: [1, 2], caption: 'a' }], { id: dt.int32(), tokens: dt.list(dt.int32()), caption: dt.utf8() });
type S = { readonly id: Int32; readonly tokens: List<Int32>; readonly caption: Utf8 };

const typed = ds.batches({ batchSize: 2, shuffle: 'full', bucketBy: 'tokens', padMultiple: { tokens: 8 } });
export type T1 = Expect<Equal<Yields<typeof typed>, TypedBatch<S>>>;
export type T2 = Expect<Equal<Yields<typeof typed>['columns']['tokens'], CollatedColumn>>;
// @ts-expect-error a typed batch has only the dataset's columns
export type T3 = Yields<typeof typed>['columns']['nope'];

const ort = ds.batches({ batchSize: 2, output: 'ort' });
export type T4 = Expect<Equal<Yields<typeof ort>, OrtBatch>>;
const arrowOut = ds.batches({ batchSize: 2, output: 'arrow' });
export type T5 = Expect<Equal<Yields<typeof arrowOut>, ArrowBatch>>;

// A custom collate hook decides what is yielded; its input rows are typed.
const custom = ds.batches({ batchSize: 2, collate: (b) => b.rows().map((r) => r.caption) });
export type T6 = Expect<Equal<Yields<typeof custom>, (string | null)[]>>;
const asyncCustom = ds.batches({ batchSize: 2, collate: async (b) => b.size });
export type T7 = Expect<Equal<Yields<typeof asyncCustom>, number>>;

// @ts-expect-error bucketBy names a column that does not exist
ds.batches({ batchSize: 2, bucketBy: 'nope' });
// @ts-expect-error padTo names a column that does not exist
ds.batches({ batchSize: 2, padTo: { nope: 4 } });
// @ts-expect-error unknown shuffle mode
ds.batches({ batchSize: 2, shuffle: 'random' });
// @ts-expect-error batchSize is required
ds.batches({ shuffle: 'full' });
