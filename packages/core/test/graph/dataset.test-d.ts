// Type tests for the builder: exact result schemas, and misuse rejected by tsc. Checked by
// test/typecheck.test.ts (tsc --noEmit); an unused @ts-expect-error is itself an error.
import { fromRows, readCsv, readManifest, col, lit, dt } from '../../src/index.ts';
import type { Bool, Dataset, Float64, Int32, Int64, Utf8, FixedShapeTensor, Float32, ValueOf, RowOf, Tensor } from '../../src/index.ts';
import { length, sqrt } from '../fixtures/test-ops.ts';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
type Expect<T extends true> = T;
type SchemaOf<D> = D extends Dataset<infer S> ? S : never;

const base = fromRows([{ id: 'a', x: 1, n: 2n }], { id: dt.utf8(), x: dt.float64(), n: dt.int64() });
type Base = { readonly id: Utf8; readonly x: Float64; readonly n: Int64 };
export type T1 = Expect<Equal<SchemaOf<typeof base>, Base>>;

// select keeps exactly the chosen columns
const sel = base.select('id', 'x');
export type T2 = Expect<Equal<SchemaOf<typeof sel>, { readonly id: Utf8; readonly x: Float64 }>>;
// @ts-expect-error unknown column in select
base.select('id', 'nope');

// drop removes columns
const dropped = base.drop('n');
export type T3 = Expect<Equal<SchemaOf<typeof dropped>, { readonly id: Utf8; readonly x: Float64 }>>;
// @ts-expect-error cannot drop a column that does not exist
base.drop('missing');

// rename changes keys, keeps dtypes
const renamed = base.rename({ id: 'key' });
export type T4 = Expect<Equal<SchemaOf<typeof renamed>, { readonly key: Utf8; readonly x: Float64; readonly n: Int64 }>>;
// @ts-expect-error cannot rename a column that does not exist
base.rename({ nope: 'x' });

// withColumn adds the expression's dtype; typed accessors carry exact dtypes
const wc = base.withColumn('big', (c) => c.x.gt(3)).withColumn('x2', base.col('x').mul(2));
export type T5 = Expect<Equal<SchemaOf<typeof wc>, { readonly id: Utf8; readonly x: Float64; readonly n: Int64; readonly big: Bool; readonly x2: Float64 }>>;
// @ts-expect-error typed accessor rejects unknown columns
base.col('nope');
// @ts-expect-error a filter over a column that does not exist fails tsc
base.filter(col('nope').gt(1));
// @ts-expect-error a filter needs a bool expression
base.filter(col('x').add(1));
// callback form is typed too
base.filter((c) => c.x.gt(1).and(c.id.ne('b')));
// @ts-expect-error callback form rejects unknown columns
base.filter((c) => c.nope.gt(1));

// map: the op's outputs join the schema; wrong column or dtype is a compile error
const mapped = base.map(length({ column: 'id', output: 'id_len' }));
export type T6 = Expect<Equal<SchemaOf<typeof mapped>, { readonly id: Utf8; readonly x: Float64; readonly n: Int64; readonly id_len: Int32 }>>;
// @ts-expect-error the op needs a utf8 column; x is float64
base.map(length({ column: 'x', output: 'len' }));
// @ts-expect-error the op reads a column that does not exist
base.map(sqrt({ column: 'y', output: 'r' }));
base.map(sqrt({ column: 'x', output: 'r' }));

// join merges schemas, the key once
const other = fromRows([{ id: 'a', label: 'cat' }], { id: dt.utf8(), label: dt.utf8() });
const joined = base.join(other, { on: 'id' });
export type T7 = Expect<Equal<SchemaOf<typeof joined>, { readonly id: Utf8; readonly x: Float64; readonly n: Int64; readonly label: Utf8 }>>;
// @ts-expect-error join key must exist on both sides
base.join(other, { on: 'x' });
// zip merges schemas
const zipped = base.zip(other.rename({ id: 'id2' }));
export type T8 = Expect<Equal<SchemaOf<typeof zipped>, { readonly id: Utf8; readonly x: Float64; readonly n: Int64; readonly id2: Utf8; readonly label: Utf8 }>>;
// @ts-expect-error union needs the same schema
base.union(other);

// manifest and typed CSV sources carry their schemas
const m = readManifest('x').select('id', 'label', 'image_path');
export type T9 = Expect<Equal<SchemaOf<typeof m>, { readonly id: Utf8; readonly label: Utf8; readonly image_path: Utf8 }>>;
const csv = readCsv('x.csv', { schema: { a: dt.int32(), emb: dt.tensor(dt.float32(), [3]) } });
export type T10 = Expect<Equal<SchemaOf<typeof csv>['emb'], FixedShapeTensor<Float32, readonly [3]>>>;
// untyped CSV accepts any column name at build time (checked at plan time)
readCsv('y.csv').filter(col('whatever').gt(1)).select('whatever');

// inferred fromRows schema
const inferred = fromRows([{ s: 'a', v: 1, b: true }]);
export type T11 = Expect<Equal<SchemaOf<typeof inferred>, { readonly s: Utf8; readonly v: Float64; readonly b: Bool }>>;

// value types follow dtypes
export type T12 = Expect<Equal<ValueOf<Int64>, bigint>>;
export type T13 = Expect<Equal<ValueOf<FixedShapeTensor<Float32, readonly [3]>>, Tensor<Float32Array>>>;
export type T14 = Expect<Equal<RowOf<{ a: Utf8; b: Int32 }>, { a: string | null; b: number | null }>>;
// @ts-expect-error rows must match the schema's value types
fromRows([{ a: 1 }], { a: dt.utf8() });
// @ts-expect-error limit takes a number
base.limit('10');
lit(1, dt.int32());
