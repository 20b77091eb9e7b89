// The shared benchmark harness: every case runs its contender and its baseline interleaved in the
// same process, ≥5 times each after a warm-up; we report median, min and max, and ratios computed
// pair by pair (run i of the contender against run i of the baseline), so machine noise that hits
// both sides of a pair cancels out. Never used for timed assertions in tests.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface Timing {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: readonly number[];
}

export interface Comparison {
  readonly name: string;
  readonly contender: Timing;
  readonly baseline: Timing;
  /** median over pairs of baseline_i / contender_i: > 1 means the contender is faster. */
  readonly speedup: number;
  readonly extra?: Record<string, unknown>;
}

export function summarize(runs: readonly number[]): Timing {
  const s = [...runs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, runs };
}

export async function time(fn: () => unknown | Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Run contender and baseline alternately `runs` times (after `warmup` untimed rounds). */
export async function compare(
  name: string,
  contender: () => unknown | Promise<unknown>,
  baseline: () => unknown | Promise<unknown>,
  opts: { runs?: number; warmup?: number; extra?: Record<string, unknown> } = {},
): Promise<Comparison> {
  const runs = Math.max(5, opts.runs ?? 7);
  for (let i = 0; i < (opts.warmup ?? 1); i++) { await contender(); await baseline(); }
  const c: number[] = [], b: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Alternate which side goes first so drift in machine load does not favour one.
    if (i % 2 === 0) { c.push(await time(contender)); b.push(await time(baseline)); }
    else { b.push(await time(baseline)); c.push(await time(contender)); }
  }
  const ratios = c.map((ci, i) => b[i]! / ci);
  return { name, contender: summarize(c), baseline: summarize(b), speedup: summarize(ratios).median, ...(opts.extra ? { extra: opts.extra } : {}) };
}

export function formatComparison(r: Comparison): string {
  const f = (t: Timing) => `${t.median.toFixed(2)} ms (min ${t.min.toFixed(2)}, max ${t.max.toFixed(2)})`;
  return `${r.name}\n  contender ${f(r.contender)}\n  baseline  ${f(r.baseline)}\n  speedup (baseline/contender, paired median) ${r.speedup.toFixed(2)}×` +
    (r.extra ? `\n  ${Object.entries(r.extra).map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toFixed(3)) : String(v)}`).join(' ')}` : '');
}

/** Print results and save them as JSON under benchmarks/results/ (git-ignored). */
export function report(suite: string, results: readonly Comparison[]): void {
  for (const r of results) console.log(formatComparison(r));
  const dir = join(import.meta.dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${suite}.json`), JSON.stringify({ suite, date: new Date().toISOString(), results }, null, 2));
}
