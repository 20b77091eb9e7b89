// Per rule: the plan text before and after on small plans (goldens reviewed by hand, printed by
// print-goldens.ts), including cases where the rule must not fire; and each case's optimized plan
// returns the rows of the original plan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CASES } from './cases.ts';
import { rewrite, runRows } from './helpers.ts';

const GOLDEN = JSON.parse(readFileSync(new URL('./rules.golden.json', import.meta.url), 'utf8')) as Record<string, { before: string; after: string; fired: string[] }>;

test('every golden case is in cases.ts and the other way round', () => {
  assert.deepEqual(Object.keys(GOLDEN).sort(), CASES.map((c) => c.name).sort());
});

for (const c of CASES) {
  test(`${c.rules.map((r) => r.name).join(', ')}: ${c.name}`, async () => {
    const ds = c.ds();
    const r = await rewrite(ds, c.rules, c.onError ? { onError: c.onError } : {});
    const g = GOLDEN[c.name]!;
    assert.equal(r.before, g.before);
    assert.equal(r.after, g.after);
    assert.deepEqual(r.fired, g.fired);
    // A case where nothing fires must hand back the very same plan object.
    if (g.fired.length === 0) assert.equal(r.result.plan, ds.plan);
    const opts = { onError: c.onError ?? 'fail', batchSize: 3 } as const;
    assert.deepEqual(await runRows(r.result.plan, opts), await runRows(ds.plan, opts));
  });
}
