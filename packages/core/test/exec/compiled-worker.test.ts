// The pool works from compiled JavaScript (what `pnpm -r build` emits into dist/), with no tsx in
// sight: the package is built with its own tsconfig.build.json (type checks and all, as the build
// does) into a temporary directory inside the package (so node_modules resolve), and a plain
// `node` child process runs a pipeline on workers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const pkg = fileURLToPath(new URL('../..', import.meta.url));

/** `tsc -p tsconfig.build.json --outDir out --declaration false --sourceMap false`; returns the diagnostics. */
function build(out: string): string {
  const cfg = ts.getParsedCommandLineOfConfigFile(join(pkg, 'tsconfig.build.json'), { outDir: out, declaration: false, sourceMap: false }, {
    ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); },
  })!;
  const program = ts.createProgram({ rootNames: cfg.fileNames, options: cfg.options });
  const r = program.emit();
  const diags = [...ts.getPreEmitDiagnostics(program), ...r.diagnostics];
  return diags.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n');
}

test('a worker loads the compiled JS entry and op modules without tsx', () => {
  const out = join(pkg, `.build-test-${process.pid}`);
  try {
    assert.equal(build(out), '', 'the build compiles without errors');
    writeFileSync(join(out, 'package.json'), '{ "type": "module" }');
    writeFileSync(join(out, 'user-op.js'), `
import { threadId } from 'node:worker_threads';
import { defineOp, dt } from './index.js';
export const double = defineOp({
  name: 'compiled.double', module: import.meta.url,
  inputs: (p) => ({ [p.column]: dt.float64() }), outputs: (p) => ({ [p.output]: dt.float64(), thread: dt.int32() }),
  kernel(input, p) {
    const v = input.values(p.column);
    return { columns: { [p.output]: v.map((x) => x * 2), thread: new Int32Array(input.numRows).fill(threadId) } };
  },
});
`);
    writeFileSync(join(out, 'main.js'), `
import { fromRows, dt } from './index.js';
import { double } from './user-op.js';
import { shutdownPools } from './exec/pool/pool.js';
const t = await fromRows(Array.from({ length: 40 }, (_, i) => ({ x: i })), { x: dt.float64() })
  .map(double.call({ column: 'x', output: 'y' })).compute({ workers: 2, batchSize: 10 });
console.log(JSON.stringify({ y: Array.from(t.getChild('y').toArray()).slice(0, 5), threads: [...new Set(t.getChild('thread').toArray())] }));
await shutdownPools();
`);
    const r = spawnSync(process.execPath, [join(out, 'main.js')], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout.trim().split('\n').pop()!) as { y: number[]; threads: number[] };
    assert.deepEqual(got.y, [0, 2, 4, 6, 8]);
    assert.ok(got.threads.length >= 1 && got.threads.every((t) => t > 0), `ran on threads ${got.threads}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
