// The worker pool: one piscina pool per size and heap limit, created on first use and shared by
// every run in the process (worker start-up — importing arrow and the op modules — is paid once).
// Idle workers do not keep the process alive.
import { availableParallelism, totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { InvalidArgumentError } from '../../errors.ts';

/** Pools by worker count and heap limit (`${n}:${heapMb}`): a pool's workers keep the limits they started with. */
const pools = new Map<string, Piscina>();
const poolKey = (n: number, heapMb: number) => `${n}:${heapMb}`;

/** The machine's cores (the default pool size). */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

// When this module runs as TypeScript (under tsx), the worker entry is TypeScript too and the
// worker needs the same loader; compiled (dist/) code uses the .js entry and plain node.
const self = import.meta.url;
const isTs = /\.[cm]?ts$/.test(new URL(self).pathname);

/**
 * What starting a pool costs before its first batch runs (µs): each worker imports core, apache-arrow
 * and the op modules. Measured on the 2-core project VM with 2 workers and a trivial op: ~0.5 s
 * from compiled JS, 1.4–1.7 s from TypeScript sources under tsx (each worker transpiles them).
 */
export function poolStartUs(): number {
  return isTs ? 1_500_000 : 500_000;
}

/** The least `workerHeapMb`: a worker must hold core, apache-arrow and the op modules (and tsx, from sources). */
export const MIN_WORKER_HEAP_MB = 32;

/**
 * The default heap limit of each of `n` workers (MB of V8 old generation, as `--max-old-space-size`;
 * V8 adds its young generation, 48 MB on 64-bit): half the machine's memory shared by the workers,
 * and never above this thread's own limit (V8's default, ~4 GB on 64-bit, or what
 * `--max-old-space-size` set). Without a limit each worker gets this thread's limit: a worker
 * filling its heap is stopped with ERR_WORKER_OUT_OF_MEMORY (the process lives on), but only once
 * it holds ~4 GB, and `n` such workers can exceed the machine's memory, when the kernel's OOM
 * killer ends the whole process.
 */
export function defaultWorkerHeapMb(n: number): number {
  // Taken once per size: a VM's memory can change at run time (virtio-mem, balloons), and a new
  // figure would start a new pool (pools are keyed by their limit). Also spares a syscall per run.
  let mb = defaultHeapMb.get(n);
  if (mb === undefined) {
    const own = Math.floor(getHeapStatistics().heap_size_limit / 2 ** 20);
    const share = Math.floor(totalmem() / 2 ** 20 / 2 / Math.max(1, n));
    mb = Math.max(MIN_WORKER_HEAP_MB, Math.min(own, Math.max(256, share)));
    defaultHeapMb.set(n, mb);
  }
  return mb;
}
const defaultHeapMb = new Map<number, number>();

/** Whether the pool of `n` workers (with that heap limit) is running (its start-up already paid). */
export function poolStarted(n: number, heapMb: number = defaultWorkerHeapMb(n)): boolean {
  return pools.has(poolKey(n, heapMb));
}

/** The worker entry next to this module (worker-boot.mjs → worker.ts from sources, worker.js from dist/). */
export function workerFilename(): string {
  return new URL(isTs ? './worker-boot.mjs' : './worker.js', self).href;
}

/** Flags a worker inherits: module loading and language behaviour (with a value: the next argument or `=`). */
const WORKER_FLAGS_WITH_VALUE = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader', '--conditions', '-C', '--disable-warning']);
const WORKER_FLAG_PREFIXES = ['--experimental-', '--no-experimental-', '--enable-source-maps', '--no-warnings', '--no-deprecation'];

/**
 * The parent's Node flags that a worker accepts and needs. Per-process flags (`--trace-gc`,
 * `--cpu-prof`, `--max-old-space-size`, …) make `new Worker` throw ERR_WORKER_INVALID_EXEC_ARGV, so
 * only flags that change how modules load or how code behaves are passed on.
 */
export function inheritableExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (WORKER_FLAGS_WITH_VALUE.has(name)) {
      out.push(a);
      if (!a.includes('=') && i + 1 < argv.length) out.push(argv[++i]!);
    } else if (WORKER_FLAG_PREFIXES.some((p) => name.startsWith(p))) {
      out.push(a);
    }
    // Anything else is dropped, with a separate value of a dropped flag (`--cpu-prof-dir dir`).
  }
  return out;
}

/** Node flags for workers: the parent's (those a worker accepts), plus a tsx loader when running from TypeScript sources. */
export function workerExecArgv(): string[] {
  const argv = inheritableExecArgv(process.execArgv);
  if (!isTs || argv.some((a) => a.includes('tsx'))) return argv;
  let tsx = 'tsx';
  try { tsx = import.meta.resolve('tsx'); } catch { /* fall back to resolving from the cwd */ }
  return [...argv, '--import', tsx];
}

/**
 * Where tsx's ESM API is, when running from TypeScript sources. On Node 20 the `--import tsx` flag
 * a worker inherits only installs the CommonJS hook (enough to load the worker entry); the worker
 * registers the ESM hooks itself so it can import op modules written in TypeScript.
 */
export function tsxEsmApi(): string | undefined {
  if (!isTs) return undefined;
  try { return import.meta.resolve('tsx/esm/api'); } catch { /* not resolvable from here */ }
  try { return pathToFileURL(createRequire(join(process.cwd(), 'package.json')).resolve('tsx/esm/api')).href; } catch { return undefined; }
}

/**
 * The shared pool of `n` workers, each with a V8 old generation of at most `heapMb` MB: a worker
 * that fills it is stopped (ERR_WORKER_OUT_OF_MEMORY) and replaced, and its task fails. Pools with
 * other limits are other pools. (Node's `--max-old-space-size`, in the process's flags or
 * NODE_OPTIONS, applies to every thread and overrides the limit asked for.)
 */
export function getPool(n: number, heapMb: number = defaultWorkerHeapMb(n)): Piscina {
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `a pool needs a positive integer of workers, got ${n}`, { fix: 'pass workers: 2, or workers: 0 to run in-process' });
  }
  if (!Number.isInteger(heapMb) || heapMb < MIN_WORKER_HEAP_MB) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `workerHeapMb must be an integer ≥ ${MIN_WORKER_HEAP_MB}, got ${heapMb}`, { fix: 'pass e.g. workerHeapMb: 1024, or leave it out for the default' });
  }
  const key = poolKey(n, heapMb);
  let p = pools.get(key);
  if (!p) {
    p = new Piscina({
      filename: workerFilename(),
      execArgv: workerExecArgv(),
      workerData: { tsxEsmApi: tsxEsmApi() },
      // The young generation is left to V8 (48 MB on 64-bit): smaller means more scavenges in
      // allocation-heavy kernels, and the old generation is where a runaway op's objects end up.
      resourceLimits: { maxOldGenerationSizeMb: heapMb },
      minThreads: n,
      maxThreads: n,
      idleTimeout: Infinity,
      // Backpressure lives in the executor (bounded batches and bytes in flight); the queue only
      // ever holds what the executor allowed.
      maxQueue: Infinity,
      // A task may wait in a worker's queue behind the running one (see StageExecutor.dispatch:
      // only tasks whose batches are kept for a retry, never abortable ones, which run alone).
      concurrentTasksPerWorker: 2,
      // The executor times its own tasks (StageStats); piscina's run/wait histograms are never read.
      recordTiming: false,
    });
    // A worker that dies between tasks is replaced by piscina; the error it emits then has no
    // task to fail, and an unhandled 'error' event would crash the process.
    p.on('error', () => {});
    pools.set(key, p);
  }
  return p;
}

/** Stop every pool's workers (tests, or a process that wants to exit promptly). */
export async function shutdownPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.allSettled(all.map((p) => p.destroy()));
}
