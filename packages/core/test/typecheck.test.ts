// Type tests: `tsc --noEmit` over the whole workspace, *.test-d.ts files included. Each
// `// @ts-expect-error` line in a .test-d.ts proves that misuse is rejected by the compiler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');

test('tsc --noEmit passes over all packages and type tests', { timeout: 300_000 }, () => {
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json'), '--noEmit'], { encoding: 'utf8', cwd: root });
  assert.equal(r.status, 0, `tsc reported errors:\n${r.stdout}${r.stderr}`);
});
