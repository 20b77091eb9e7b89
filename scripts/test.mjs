// Runs every test of the workspace in one `node --test` run, so the runner's closing summary
// covers the whole suite (type tests included: test/typecheck.test.ts runs tsc).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['packages', 'benchmarks', 'examples'];
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p);
    else if (/\.test\.(ts|mts|js|mjs)$/.test(name) && p.split('/').includes('test')) files.push(p);
  }
};
for (const r of roots) if (existsSync(r)) walk(r);
const only = process.argv.slice(2);
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
selected.sort();
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...selected];
// Runs stay in-process unless a test asks for workers (workers: n): a pool per test file would
// start tsx-loaded workers in every file, and ops that count calls in module state would miss them.
const r = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: '', MODAFLOW_WORKERS: process.env.MODAFLOW_WORKERS ?? '0' } });
process.exit(r.status ?? 1);
