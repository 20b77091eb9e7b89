// Which of the parent's Node flags a worker inherits: per-process flags would make `new Worker`
// throw ERR_WORKER_INVALID_EXEC_ARGV, so a user running `node --trace-gc app.js` could not use the pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inheritableExecArgv } from '../../src/exec/pool/pool.ts';

test('workers inherit module-loading flags and drop per-process ones', () => {
  assert.deepEqual(
    inheritableExecArgv(['--trace-gc', '--import', 'tsx', '--cpu-prof', '--cpu-prof-dir', '/tmp/p', '--max-old-space-size=4096', '--conditions=dev', '-r', './x.cjs', '--experimental-vm-modules', '--enable-source-maps']),
    ['--import', 'tsx', '--conditions=dev', '-r', './x.cjs', '--experimental-vm-modules', '--enable-source-maps'],
  );
  assert.deepEqual(inheritableExecArgv(['--import=tsx', '--no-warnings']), ['--import=tsx', '--no-warnings']);
});

test('a process started with a per-process flag (--trace-gc) still runs stages on workers', () => {
  const script = `
    import { fromRows, dt } from './packages/core/src/index.ts';
    import { affine } from './packages/core/test/exec/test-ops.ts';
    import { shutdownPools } from './packages/core/src/exec/pool/pool.ts';
    const rows = Array.from({ length: 40 }, (_, i) => ({ x: i }));
    const t = await fromRows(rows, { x: dt.float64() }).map(affine({ column: 'x', output: 'y', a: 2, b: 1 })).compute({ workers: 1, batchSize: 8 });
    console.log('sum', t.getChild('y').toArray().reduce((a, b) => a + b, 0));
    await shutdownPools();
  `;
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  const r = spawnSync(process.execPath, ['--trace-gc', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, MODAFLOW_WORKERS: '' }, timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /sum 1600/);
});
