// The README's demo keeps working: run it as a user would and check what it prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../quickstart.ts', import.meta.url));

test('the quickstart demo runs on the sample dataset and reports every row', { timeout: 180_000 }, () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', env: { ...process.env }, timeout: 170_000 });
  assert.equal(r.status, 0, `demo failed:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /== Logical plan ==/);
  assert.match(r.stdout, /fold-into-op .*image\.decode absorbed image\.resize/);
  assert.match(r.stdout, /rows in 12, out 12, filtered 0, skipped 0, quarantined 0/);
  assert.match(r.stdout, /'sample_012'.*'3×224×224'.*'null'.*false/);
  assert.match(r.stdout, /'sample_001'.*'3×224×224'.*'1×64×259'.*true/);
  assert.match(r.stdout, /wrote .*sample\.parquet/);
  // explain({ analyze: true }) after the run: the stages' cost, one bottleneck, per-op time.
  assert.match(r.stdout, /== Physical plan \(analyzed: last run, \d+ workers?, \d+ ms\) ==/);
  assert.match(r.stdout, /analyzed: \d+ batches.*, rows 12 → 12, cost [\d.]+ ms/);
  assert.equal((r.stdout.match(/← bottleneck/g) ?? []).length, 1, r.stdout);
  assert.match(r.stdout, /== Per op \(last run\) ==\n[^]*Map image\.decode {2}\[rows 12 → 12, [\d.]+ ms\]/);
});
