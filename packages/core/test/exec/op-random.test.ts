// ctx.random(i) is keyed on (run seed, op, source row id), where the op is its name and params:
// two ops of one kind with different params draw independent streams (dropping two modalities
// must not happen in lockstep), and the same op draws the same stream in every run.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { fromRows, dt } from '../../src/index.ts';
import { shutdownPools } from '../../src/exec/pool/pool.ts';
import { rowsOf } from '../helpers.ts';
import { noise } from './test-ops.ts';

after(() => shutdownPools());

test('ctx.random: ops of one kind with different params draw independent streams; equal ops and runs draw equal ones', async () => {
  const n = 400;
  const ds = fromRows(Array.from({ length: n }, (_, i) => ({ x: i })), { x: dt.float64() })
    .map(noise({ output: 'a' })).map(noise({ output: 'b' }));
  const [here, pooled] = [await ds.compute({ workers: 0, batchSize: 64 }), await ds.compute({ workers: 2, batchSize: 37 })];
  const rows = rowsOf(here);
  assert.deepEqual(rowsOf(pooled), rows);
  const same = rows.filter((r) => r['a'] === r['b']).length;
  assert.equal(same, 0, `${same} of ${n} rows drew the same value in both ops`);
  // Independent uniform draws: about a quarter of the rows have both below 0.5 (n/4 ± 5 sd).
  const both = rows.filter((r) => (r['a'] as number) < 0.5 && (r['b'] as number) < 0.5).length;
  assert.ok(Math.abs(both - n / 4) < 5 * Math.sqrt(n * 0.25 * 0.75), `${both} rows below 0.5 in both`);
  const again = rowsOf(await fromRows(Array.from({ length: n }, (_, i) => ({ x: i })), { x: dt.float64() }).map(noise({ output: 'a' })).compute({ workers: 0 }));
  assert.deepEqual(again.map((r) => r['a']), rows.map((r) => r['a']));
});
