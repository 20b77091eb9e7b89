// The pool works from compiled JavaScript (what `pnpm -r build` emits into dist/), with no tsx in
// sight: the sources are transpiled with the build's options into a temporary directory inside the
// package (so node_modules resolve), and a plain `node` child process runs a pipeline on workers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const pkg = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

test('a worker loads the compiled JS entry and op modules without tsx', () => {
  const out = join(pkg, `.build-test-${process.pid}`);
  try {
    // The build's options (tsconfig.base.json), minus type checking. NodeNext would need the
    // package.json lookup that transpileModule does not do; for this ESM package it emits ESNext.
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext,
      verbatimModuleSyntax: true, rewriteRelativeImportExtensions: true, allowImportingTsExtensions: true, isolatedModules: true,
    };
    const src = join(pkg, 'src');
    for (const f of sources(src)) {
      const js = ts.transpileModule(readFileSync(f, 'utf8'), { compilerOptions: options, fileName: f }).outputText;
      const dest = join(out, relative(src, f)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(dest), { recursive: true });
      writeFileSync(dest, js);
    }
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
