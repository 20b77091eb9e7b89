// Physical planning: which nodes fuse into one stage and where the barriers are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromRows, col, dt } from '../../src/index.ts';
import { planPhysical, stageLabel } from '../../src/exec/physical-plan.ts';
import { affine, center, runningSum, tag } from './test-ops.ts';

const XS = { x: dt.float64() } as const;
const base = () => fromRows([{ x: 1 }, { x: 2 }], XS);

test('consecutive row-local steps fuse into one stage; a non-row-local op is a barrier between stages', () => {
  const ds = base()
    .map(affine({ column: 'x', output: 'y', a: 1, b: 0 }))
    .filter(col('y').gt(0))
    .withColumn('z', col('y').add(1))
    .map(runningSum({ column: 'z', output: 'r' }))
    .map(tag({ column: 'r', output: 't', prefix: 'p' }));
  const p = planPhysical(ds.plan);
  assert.deepEqual(p.stages.map(stageLabel), ['exectest.affine → filter → project', 'exectest.tag']);
  assert.equal(p.stages[1]!.input.kind, 'map'); // the running sum runs on the coordinating thread
  assert.ok(p.stages.every((s) => s.onWorkers));
});

test('a global op starts a new stage after its statistics barrier', () => {
  const ds = base()
    .map(affine({ column: 'x', output: 'y', a: 1, b: 0 }))
    .map(center({ column: 'y', output: 'c' }))
    .map(tag({ column: 'c', output: 't', prefix: 'p' }));
  const p = planPhysical(ds.plan);
  assert.deepEqual(p.stages.map((s) => [stageLabel(s), s.globalHead]), [['exectest.affine', false], ['exectest.center → exectest.tag', true]]);
  assert.equal(p.stages[1]!.input, p.stages[0]!.top);
});

test('a node with two consumers ends a stage (computed once); joins and limits are barriers; expression-only stages run inline', () => {
  const shared = base().map(affine({ column: 'x', output: 'y', a: 1, b: 0 }));
  const left = shared.map(tag({ column: 'y', output: 't', prefix: 'l' }));
  const right = shared.select('x').filter(col('x').gt(1));
  const ds = left.join(right, { on: 'x' }).limit(1).map(tag({ column: 'y', output: 'u', prefix: 'j' }));
  const p = planPhysical(ds.plan);
  const labels = p.stages.map((s) => `${stageLabel(s)}${s.onWorkers ? '' : ' (inline)'}`).sort();
  assert.deepEqual(labels, ['exectest.affine', 'exectest.tag', 'exectest.tag', 'project → filter (inline)']);
  const top = p.byTop.get(ds.plan)!;
  assert.equal(top.input.kind, 'limit');
  assert.equal(p.byTop.get(shared.plan)!.nodes.length, 1, 'the shared node is a stage top, not fused into its consumers');
});
