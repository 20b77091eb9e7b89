// The golden cases of the rule tests: a name, the rule(s) to run, and the dataset.
import { col } from '../../src/index.ts';
import type { Dataset, Schema } from '../../src/index.ts';
import type { Rule } from '../../src/plan/rule.ts';
import { pushDownFilter } from '../../src/plan/rules/push-down-filter.ts';
import { pushDownLimit } from '../../src/plan/rules/push-down-limit.ts';
import { pruneColumns } from '../../src/plan/rules/prune-columns.ts';
import { eliminateCommonSubplans } from '../../src/plan/rules/eliminate-common-subplans.ts';
import { reorderFilters } from '../../src/plan/rules/reorder-filters.ts';
import { foldIntoOp } from '../../src/plan/rules/fold-into-op.ts';
import { splitGlobalOp } from '../../src/plan/rules/split-global-op.ts';
import { source } from './helpers.ts';
import { add, batchPos, center, keepMod, rejectZero, scale, tap } from './test-ops.ts';
import { fromRows, dt } from '../../src/index.ts';

export interface Case { readonly name: string; readonly rules: readonly Rule[]; readonly ds: () => Dataset<Schema>; readonly onError?: 'fail' | 'skip' }
const D = (ds: Dataset<any>) => ds as Dataset<Schema>;

export const CASES: Case[] = [
  // push-down-filter
  { name: 'filter moves below a row-local op that does not write its column', rules: [pushDownFilter],
    ds: () => D(source().map(add('a', 'x', 1, 500)).filter(col('label').eq('cat'))) },
  { name: 'conjunction is split: the part on the op output stays', rules: [pushDownFilter],
    ds: () => D(source().map(add('a', 'x', 1)).map(add('b', 'y', 1)).filter(col('label').eq('cat').and(col('x').gt(1)))) },
  { name: 'filter does not move below a non-deterministic op', rules: [pushDownFilter],
    ds: () => D(source().map(batchPos('p')).filter(col('a').gt(1))) },
  { name: 'filter does not move below the op producing the filtered column', rules: [pushDownFilter],
    ds: () => D(source().map(add('a', 'a', 1)).filter(col('a').gt(1))) },
  { name: 'filter does not move below an op with side effects', rules: [pushDownFilter],
    ds: () => D(source().map(tap('b', 't')).filter(col('a').gt(1))) },
  { name: 'filter does not move below a global op', rules: [pushDownFilter],
    ds: () => D(source().map(center('b', 'c')).filter(col('a').gt(1))) },
  { name: 'filter goes through a rename and into the inputs of a join and a union', rules: [pushDownFilter],
    ds: () => {
      const s = source();
      const right = fromRows([{ a: 1, w: 'x' }], { a: dt.float64(), w: dt.utf8() });
      return D(s.union(s).rename({ b: 'bb' }).join(right, { on: 'a' }).filter(col('bb').gt(0).and(col('w').eq('x'))));
    } },
  { name: 'filter does not move below a limit', rules: [pushDownFilter],
    ds: () => D(source().limit(3).filter(col('a').gt(1))) },
  // push-down-limit
  { name: 'limit moves below row-local ops and a projection and caps the source', rules: [pushDownLimit],
    ds: () => D(source().map(add('a', 'x', 1)).select('id', 'x').limit(2, 1)) },
  { name: 'limit does not move below a filtering op or a non-deterministic op', rules: [pushDownLimit],
    ds: () => D(source().map(keepMod('a', 2, 0)).map(batchPos('p')).limit(2)) },
  { name: 'limit does not move below an op that may reject rows under skip', rules: [pushDownLimit], onError: 'skip',
    ds: () => D(source().map(rejectZero('a', 'x')).limit(2)) },
  { name: 'adjacent limits merge', rules: [pushDownLimit],
    ds: () => D(source().map(keepMod('a', 2, 0)).limit(5, 1).limit(3, 2)) },
  // prune-columns
  { name: 'unused op output is never computed and the source reads only needed columns', rules: [pruneColumns],
    ds: () => D(source().map(add('a', 'x', 1, 500)).filter(col('label').eq('cat')).select('id', 'b')) },
  { name: 'an op with side effects is kept although its output is unused', rules: [pruneColumns],
    ds: () => D(source().map(tap('a', 't')).select('id')) },
  { name: 'an op that may reject rows is kept under skip', rules: [pruneColumns], onError: 'skip',
    ds: () => D(source().map(rejectZero('a', 'x')).select('id')) },
  { name: 'a projection drops items nobody reads', rules: [pruneColumns],
    ds: () => D(source().withColumn('z', col('a').add(col('b'))).rename({ a: 'aa' }).select('id', 'aa')) },
  // eliminate-common-subplans
  { name: 'the same op on the same input runs once', rules: [eliminateCommonSubplans],
    ds: () => { const s = source(); return D(s.map(add('a', 'x', 1)).filter(col('x').gt(1)).union(s.map(add('a', 'x', 1)).filter(col('x').lt(3)))); } },
  { name: 'two uses of a non-deterministic op are not merged', rules: [eliminateCommonSubplans],
    ds: () => { const s = source(); return D(s.map(batchPos('p')).union(s.map(batchPos('p')))); } },
  // reorder-filters
  { name: 'the cheap selective filter runs before the costly one', rules: [reorderFilters],
    ds: () => D(source().filter(col('a').ne(3)).map(keepMod('b', 3, 0, { cost: 50, selectivity: 0.3 })).filter(col('label').eq('cat'))) },
  { name: 'a filter on a filtering op output stays after it, others move before it', rules: [reorderFilters],
    ds: () => D(source().map(keepMod('a', 2, 0, { output: 'm', cost: 100, selectivity: 0.9 })).filter(col('m').eq(0)).filter(col('b').eq(1))) },
  // fold-into-op
  { name: 'an op absorbs the op after it when it declares so', rules: [foldIntoOp],
    ds: () => D(source().map(scale('a', 2)).map(scale('a', 3)).map(scale('b', 5))) },
  { name: 'no fold when the first op has another consumer', rules: [foldIntoOp],
    ds: () => { const s = source().map(scale('a', 2)); return D(s.map(scale('a', 3)).union(s)); } },
  // split-global-op
  { name: 'global op over a cheap narrow input caches it', rules: [splitGlobalOp],
    ds: () => D(source().map(center('a', 'c'))) },
  { name: 'global op over a costly input of big rows recomputes it', rules: [splitGlobalOp],
    ds: () => D(fromRows([{ a: 1, blob: new Uint8Array(3) }], { a: dt.float64(), blob: dt.binary() }).map(center('a', 'c'))) },
  { name: 'global op caches when the input is not deterministic', rules: [splitGlobalOp],
    ds: () => D(fromRows([{ a: 1, blob: new Uint8Array(3) }], { a: dt.float64(), blob: dt.binary() }).map(batchPos('p')).map(center('a', 'c'))) },
];
