// Laws of the builder and the in-process executor, by fast-check:
// - any schema and rows → fromRows → compute gives back exactly the rows (nulls included);
// - filter / select / withColumn / limit agree with a tiny row-by-row reference interpreter;
// - the batch size never changes the result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromRows, col, lit, dt } from '../../src/index.ts';
import type { DType, Schema, Expr, Bool } from '../../src/index.ts';
import { rowsOf } from '../helpers.ts';

const NUM_RUNS = Number(process.env.FC_RUNS ?? 60);

// ---------- random dtypes and values ----------
const leafDTypes: DType[] = [
  dt.bool(), dt.int8(), dt.int16(), dt.int32(), dt.int64(), dt.uint8(), dt.uint16(), dt.uint32(), dt.uint64(),
  dt.float32(), dt.float64(), dt.utf8(), dt.binary(), dt.timestamp('ns'), dt.timestamp('ms', 'UTC'),
];
const dtypeArb: fc.Arbitrary<DType> = fc.letrec<{ t: DType }>((tie) => ({
  t: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...leafDTypes),
    tie('t').map((item) => dt.list(item)),
    fc.tuple(tie('t'), fc.integer({ min: 1, max: 3 })).map(([item, n]) => dt.fixedSizeList(item, n)),
    fc.dictionary(fc.constantFrom('x', 'y', 'z'), tie('t'), { minKeys: 1, maxKeys: 2 }).map((f) => dt.struct(f)),
    fc.constantFrom(dt.tensor(dt.float32(), [2, 3]), dt.tensor(dt.int64(), [2]), dt.tensor(dt.uint8(), [1, 2, 2])),
    fc.constantFrom(dt.varTensor(dt.uint8(), 2), dt.varTensor(dt.float64(), 1)),
  ),
})).t;

function valueArb(t: DType): fc.Arbitrary<unknown> {
  switch (t.kind) {
    case 'bool': return fc.boolean();
    case 'int8': return fc.integer({ min: -128, max: 127 });
    case 'int16': return fc.integer({ min: -32768, max: 32767 });
    case 'int32': return fc.integer({ min: -2147483648, max: 2147483647 });
    case 'uint8': return fc.integer({ min: 0, max: 255 });
    case 'uint16': return fc.integer({ min: 0, max: 65535 });
    case 'uint32': return fc.integer({ min: 0, max: 4294967295 });
    case 'int64': case 'timestamp': return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'uint64': return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    case 'float32': return fc.float({ noDefaultInfinity: false });
    case 'float64': return fc.double();
    case 'utf8': return fc.string({ unit: 'grapheme', maxLength: 8 });
    case 'binary': return fc.uint8Array({ maxLength: 6 });
    case 'list': return fc.array(nullable(t.item), { maxLength: 4 });
    case 'fixedSizeList': return fc.array(nullable(t.item), { minLength: t.size, maxLength: t.size });
    case 'struct': return fc.record(Object.fromEntries(Object.entries(t.fields).map(([k, v]) => [k, nullable(v)])), { noNullPrototype: true });
    case 'tensor': {
      const n = t.shape.reduce((a, b) => a * b, 1);
      const item = t.item;
      return fc.array(valueArb(item), { minLength: n, maxLength: n }).map((xs) => ({ data: typedOf(item, xs), shape: [...t.shape] }));
    }
    case 'varTensor': {
      const item = t.item;
      return fc.array(fc.integer({ min: 0, max: 3 }), { minLength: t.ndim, maxLength: t.ndim }).chain((shape) => {
        const n = shape.reduce((a, b) => a * b, 1);
        return fc.array(valueArb(item), { minLength: n, maxLength: n }).map((xs) => ({ data: typedOf(item, xs), shape }));
      });
    }
  }
}

function typedOf(t: DType, xs: unknown[]): unknown {
  switch (t.kind) {
    case 'float32': return Float32Array.from(xs as number[]);
    case 'float64': return Float64Array.from(xs as number[]);
    case 'uint8': return Uint8Array.from(xs as number[]);
    case 'int64': return BigInt64Array.from(xs as bigint[]);
    default: throw new Error(`no typed array for ${t.kind} in this test`);
  }
}

const nullable = (t: DType) => fc.option(valueArb(t), { nil: null, freq: 4 });

const schemaArb: fc.Arbitrary<Schema> = fc
  .uniqueArray(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'col 1', 'ünï'), dtypeArb), { minLength: 1, maxLength: 4, selector: (x) => x[0] })
  .map((pairs) => Object.fromEntries(pairs));

const schemaAndRows = schemaArb.chain((schema) =>
  fc.tuple(
    fc.constant(schema),
    fc.array(fc.record(Object.fromEntries(Object.entries(schema).map(([k, t]) => [k, nullable(t)])), { noNullPrototype: true }), { maxLength: 20 }),
  ),
);

test('law: fromRows → compute round-trips any schema and rows exactly, nulls included', async () => {
  await fc.assert(
    fc.asyncProperty(schemaAndRows, fc.integer({ min: 1, max: 7 }), async ([schema, rows], batchSize) => {
      const t = await fromRows(rows as never[], schema).compute({ batchSize });
      assert.deepEqual(Object.keys(rowsOf(t)[0] ?? schema), Object.keys(schema));
      assert.deepStrictEqual(rowsOf(t), rows);
      assert.equal(t.report.rowsIn, rows.length);
      assert.equal(t.report.rowsOut, rows.length);
    }),
    { numRuns: NUM_RUNS },
  );
});

// ---------- pipelines vs a reference interpreter ----------
const S = { a: dt.int32(), b: dt.float64(), s: dt.utf8(), f: dt.bool() } as const;
type Row = { a: number | null; b: number | null; s: string | null; f: boolean | null; [k: string]: unknown };

const rowArb = fc.record({
  a: fc.option(fc.integer({ min: -5, max: 5 }), { nil: null }),
  b: fc.option(fc.double({ min: -10, max: 10, noNaN: true }), { nil: null }),
  s: fc.option(fc.constantFrom('x', 'y', 'z', ''), { nil: null }),
  f: fc.option(fc.boolean(), { nil: null }),
});

type Step =
  | { k: 'filterGt'; c: 'a' | 'b'; v: number }
  | { k: 'filterEq'; v: string }
  | { k: 'filterNull'; c: 'a' | 'b' | 's' | 'f'; negate: boolean }
  | { k: 'filterAndOr'; v: number; or: boolean }
  | { k: 'add'; name: string }
  | { k: 'limit'; n: number; offset: number }
  | { k: 'select' }
  | { k: 'drop'; c: 'b' | 's' }
  | { k: 'rename' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ k: fc.constant('filterGt' as const), c: fc.constantFrom('a' as const, 'b' as const), v: fc.integer({ min: -5, max: 5 }) }),
  fc.record({ k: fc.constant('filterEq' as const), v: fc.constantFrom('x', 'y', '') }),
  fc.record({ k: fc.constant('filterNull' as const), c: fc.constantFrom('a' as const, 'b' as const, 's' as const, 'f' as const), negate: fc.boolean() }),
  fc.record({ k: fc.constant('filterAndOr' as const), v: fc.integer({ min: -5, max: 5 }), or: fc.boolean() }),
  fc.record({ k: fc.constant('add' as const), name: fc.constantFrom('a2', 'sum', 'a') }),
  fc.record({ k: fc.constant('limit' as const), n: fc.integer({ min: 0, max: 25 }), offset: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ k: fc.constant('select' as const) }),
  fc.record({ k: fc.constant('drop' as const), c: fc.constantFrom('b' as const, 's' as const) }),
  fc.record({ k: fc.constant('rename' as const) }),
);

// Keep only the steps whose columns exist at that point (drop and rename remove columns).
function validSteps(steps: Step[]): Step[] {
  const have = new Set(['a', 'b', 's', 'f']);
  const out: Step[] = [];
  for (const st of steps) {
    const needs: string[] =
      st.k === 'filterGt' || st.k === 'filterNull' || st.k === 'drop' ? [st.c]
      : st.k === 'filterEq' ? ['s']
      : st.k === 'filterAndOr' ? ['a', 'f']
      : st.k === 'add' ? (st.name === 'a' ? ['a'] : ['a', 'b'])
      : st.k === 'select' ? ['s', 'a', 'b', 'f']
      : st.k === 'rename' ? ['f'] : [];
    if (!needs.every((c) => have.has(c))) continue;
    out.push(st);
    if (st.k === 'add') have.add(st.name);
    if (st.k === 'select') { have.clear(); for (const c of ['s', 'a', 'b', 'f']) have.add(c); }
    if (st.k === 'drop') have.delete(st.c);
    if (st.k === 'rename') { have.delete('f'); have.add('flag'); }
  }
  return out;
}

// The reference: SQL three-valued logic written out row by row, independent of the engine.
function refPipeline(rows: Row[], allSteps: Step[]): Row[] {
  const steps = validSteps(allSteps);
  let out = rows.map((r) => ({ ...r }));
  for (const st of steps) {
    switch (st.k) {
      case 'filterGt': out = out.filter((r) => r[st.c] !== null && (r[st.c] as number) > st.v); break;
      case 'filterEq': out = out.filter((r) => r.s !== null && r.s === st.v); break;
      case 'filterNull': out = out.filter((r) => (r[st.c] === null) !== st.negate); break;
      case 'filterAndOr': out = out.filter((r) => {
        const p = r.a === null ? null : r.a > st.v;
        const q = r.f;
        const v = st.or ? (p === true || q === true ? true : p === null || q === null ? null : false)
          : (p === false || q === false ? false : p === null || q === null ? null : true);
        return v === true;
      }); break;
      case 'add': out = out.map((r) => {
        const v = r.a === null || r.b === null ? null : r.a + r.b;
        const o: Row = { ...r };
        delete o[st.name];
        if (st.name === 'a') { // replacing a column keeps its position; ints stay ints
          return Object.fromEntries(Object.entries(r).map(([k, x]) => [k, k === 'a' ? (r.a === null ? null : r.a + 1) : x])) as Row;
        }
        return { ...o, [st.name]: v };
      }); break;
      case 'limit': out = out.slice(st.offset, st.offset + st.n); break;
      case 'select': out = out.map((r) => ({ s: r.s, a: r.a, b: r.b, f: r.f })); break;
      case 'drop': out = out.map((r) => { const o = { ...r }; delete o[st.c]; return o; }); break;
      case 'rename': out = out.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k === 'f' ? 'flag' : k, v])) as Row); break;
    }
  }
  return out;
}

function enginePipeline(rows: Row[], allSteps: Step[]) {
  const steps = validSteps(allSteps);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let ds: import('../../src/index.ts').Dataset<any> = fromRows(rows, S);
  for (const st of steps) {
    switch (st.k) {
      case 'filterGt': ds = ds.filter(col(st.c).gt(st.v)); break;
      case 'filterEq': ds = ds.filter(col('s').eq(st.v)); break;
      case 'filterNull': ds = ds.filter(st.negate ? col(st.c).isNotNull() : col(st.c).isNull()); break;
      case 'filterAndOr': {
        const p = col('a').gt(st.v) as Expr<Bool, string>;
        const q = col('f').eq(lit(true)) as Expr<Bool, string>;
        ds = ds.filter(st.or ? p.or(q) : p.and(q));
        break;
      }
      case 'add': ds = st.name === 'a' ? ds.withColumn('a', col('a').add(1)) : ds.withColumn(st.name, col('a').add(col('b'))); break;
      case 'limit': ds = ds.limit(st.n, st.offset); break;
      case 'select': ds = ds.select('s', 'a', 'b', 'f'); break;
      case 'drop': ds = ds.drop(st.c); break;
      case 'rename': ds = ds.rename({ f: 'flag' }); break;
    }
  }
  return ds;
}

test('law: filter/select/withColumn/limit pipelines agree with a row-by-row reference interpreter', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(rowArb, { maxLength: 30 }), fc.array(stepArb, { maxLength: 5 }), fc.integer({ min: 1, max: 8 }), async (rows, steps, batchSize) => {
      const want = refPipeline(rows as Row[], steps);
      const t = await enginePipeline(rows as Row[], steps).compute({ batchSize });
      assert.deepStrictEqual(rowsOf(t), want);
    }),
    { numRuns: NUM_RUNS * 2 },
  );
});

test('law: the batch size never changes the result', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(rowArb, { maxLength: 40 }), fc.array(stepArb, { maxLength: 4 }), fc.integer({ min: 1, max: 50 }), async (rows, steps, bs) => {
      const one = await enginePipeline(rows as Row[], steps).compute({ batchSize: 1 });
      const other = await enginePipeline(rows as Row[], steps).compute({ batchSize: bs });
      assert.deepStrictEqual(rowsOf(other), rowsOf(one));
    }),
    { numRuns: NUM_RUNS },
  );
});

test('law: concatenating slices of a column gives back the column (typed fast paths and generic path)', async () => {
  const { buildData, makeChunk, sliceChunk, concatChunks, columnValues } = await import('../../src/index.ts');
  await fc.assert(
    fc.asyncProperty(schemaAndRows, fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 4 }), async ([schema, rows], cuts) => {
      const cols = Object.fromEntries(Object.entries(schema).map(([k, t]) => [k, buildData(t, rows.map((r) => (r as Record<string, unknown>)[k]))]));
      const whole = makeChunk(schema, cols, Float64Array.from(rows, (_, i) => i));
      const points = [...new Set([0, ...cuts.map((c) => Math.min(c, rows.length)), rows.length])].sort((a, b) => a - b);
      const parts = points.slice(1).map((e, i) => sliceChunk(whole, points[i]!, e));
      const back = concatChunks(schema, parts);
      assert.deepStrictEqual(Array.from(back.rowIds), Array.from(whole.rowIds));
      for (const [k, t] of Object.entries(schema)) assert.deepStrictEqual(columnValues(t, back.columns[k]!), rows.map((r) => (r as Record<string, unknown>)[k]));
    }),
    { numRuns: NUM_RUNS * 2 },
  );
});
