// One onnxruntime InferenceSession per (model file, session options) per thread, created on first
// use and shared by every op and branch of the plan that uses the model in that thread. The native
// runtime is imported here, lazily: plans that use no model never load it.
import { availableParallelism } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { resolve } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { InvalidArgumentError, ModaflowError } from '../errors.ts';

/** Session options modaflow exposes (plain data: they travel in op params). */
export interface OnnxSessionOptions {
  /** Threads one inference uses. Default: cores ÷ worker threads (at least 1), so workers × threads ≤ cores. */
  readonly intraOpThreads?: number;
  /** Threads running independent graph branches in parallel (default 1). */
  readonly interOpThreads?: number;
  /** Graph optimization level (default 'all'). */
  readonly graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** A cached session, shared by everyone who acquired it in this thread. */
export interface SessionHandle {
  readonly key: string;
  readonly model: string;
  readonly session: Ort.InferenceSession;
  readonly ort: typeof Ort;
  /** The intra-op thread count the session was created with. */
  readonly intraOpThreads: number;
}

interface Entry { promise: Promise<SessionHandle>; refs: number }
interface State {
  sessions: Map<string, Entry>;
  created: number;
  released: number;
  workers: number | undefined;
  ort: Promise<typeof Ort> | undefined;
  runs: number;
  runMs: number;
}

// Per thread (each worker has its own globalThis); keyed by Symbol.for so two copies of
// @modaflow/core in one thread share one cache.
const KEY = Symbol.for('modaflow/onnx-sessions');
const g = globalThis as unknown as { [KEY]?: State };
const state: State = (g[KEY] ??= { sessions: new Map(), created: 0, released: 0, workers: undefined, ort: undefined, runs: 0, runMs: 0 });
state.runs ??= 0;
state.runMs ??= 0;

/** Loads onnxruntime-node once per thread. */
export function loadOrt(): Promise<typeof Ort> {
  state.ort ??= import('onnxruntime-node').then((m) => ((m as unknown as { default?: typeof Ort }).default ?? m) as typeof Ort).catch((e) => {
    state.ort = undefined;
    throw new ModaflowError('MF_MODEL', `cannot load onnxruntime-node: ${(e as Error).message}`, {
      fix: 'install onnxruntime-node (a dependency of @modaflow/core) for this platform', cause: e,
    });
  });
  return state.ort;
}

/**
 * Tell the ONNX runner how many worker threads share this machine (the pool calls it in each
 * worker), so the default intra-op thread count keeps workers × threads ≤ cores.
 */
export function setOnnxWorkerCount(workers: number): void {
  if (!Number.isInteger(workers) || workers < 1) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `worker count must be a positive integer, got ${workers}`, { fix: 'pass the pool size' });
  }
  state.workers = workers;
}

/**
 * The default intra-op thread count: cores ÷ workers. The main thread (in-process runs) counts as
 * one worker; a worker thread that was not told the pool size assumes one worker per core.
 */
export function defaultIntraOpThreads(): number {
  const cores = availableParallelism();
  const workers = state.workers ?? (isMainThread ? 1 : cores);
  return Math.max(1, Math.floor(cores / workers));
}

/** Time spent inside session.run in this thread: the runner's overhead is everything else. */
export function runStats(): { runs: number; runMs: number } {
  return { runs: state.runs, runMs: state.runMs };
}

/** Record one session.run (called by the runner). */
export function recordRun(ms: number): void {
  state.runs++;
  state.runMs += ms;
}

/** Session creations and releases in this thread (tests count them). */
export function sessionStats(): { created: number; released: number; live: number } {
  return { created: state.created, released: state.released, live: state.sessions.size };
}

function sessionKey(model: string, o: OnnxSessionOptions, intra: number): string {
  return JSON.stringify([model, intra, o.interOpThreads ?? 1, o.graphOptimization ?? 'all']);
}

/**
 * The session for `model` in this thread, created on first use. Every acquire must be paired with
 * a release; the session is released when its last user lets go.
 */
export async function acquireSession(model: string, opts: OnnxSessionOptions = {}, ctx: { op?: string } = {}): Promise<SessionHandle> {
  const abs = resolve(model);
  const intra = opts.intraOpThreads ?? defaultIntraOpThreads();
  for (const [k, v] of [['intraOpThreads', intra], ['interOpThreads', opts.interOpThreads ?? 1]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `${k} must be a positive integer, got ${v}`, { ...(ctx.op ? { op: ctx.op } : {}), fix: `pass e.g. ${k}: 1` });
    }
  }
  const key = sessionKey(abs, opts, intra);
  let e = state.sessions.get(key);
  if (!e) {
    const promise = (async (): Promise<SessionHandle> => {
      const ort = await loadOrt();
      const cores = availableParallelism();
      let session: Ort.InferenceSession;
      try {
        session = await ort.InferenceSession.create(abs, {
          intraOpNumThreads: intra,
          interOpNumThreads: opts.interOpThreads ?? 1,
          executionMode: (opts.interOpThreads ?? 1) > 1 ? 'parallel' : 'sequential',
          graphOptimizationLevel: opts.graphOptimization ?? 'all',
          // Spinning pool threads burn cores other workers need; spin only when one session owns the machine.
          ...(intra < cores ? { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } } : {}),
        });
      } catch (err) {
        throw new ModaflowError('MF_MODEL', `onnxruntime cannot load ${abs}: ${(err as Error).message}`, {
          ...(ctx.op ? { op: ctx.op } : {}), fix: 'check that the file is a complete ONNX model whose opset onnxruntime-node 1.30 supports', cause: err,
        });
      }
      state.created++;
      return { key, model: abs, session, ort, intraOpThreads: intra };
    })();
    e = { promise, refs: 0 };
    state.sessions.set(key, e);
    promise.catch(() => { if (state.sessions.get(key) === e) state.sessions.delete(key); });
  }
  e.refs++;
  return e.promise;
}

/** Let go of a session; the last release frees it. */
export async function releaseSession(h: SessionHandle): Promise<void> {
  const e = state.sessions.get(h.key);
  if (!e) return;
  if (--e.refs > 0) return;
  state.sessions.delete(h.key);
  state.released++;
  await h.session.release();
}
