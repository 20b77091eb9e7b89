// The physical plan: consecutive row-local steps (maps of row-local ops, filters, projections) fuse
// into one stage, so a batch makes one trip to a worker per stage rather than one per op. Anything
// that must see more than one batch at a time is a barrier that runs on the coordinating thread:
// sources, joins, unions, zips, limits, table ops, ops that are not row-local, the statistics phase
// of global ops, and nodes with several consumers (computed once, then replayed).
import type { PlanNode } from '../plan/logical-plan.ts';
import { consumerCounts, nodeInputs } from '../plan/logical-plan.ts';
import { nodeLabel } from '../plan/display.ts';
import { getOp } from '../ops/registry.ts';

/** A chain of fused row-local plan nodes, executed batch by batch in one hop. */
export interface Stage {
  readonly id: number;
  /** The last node of the chain: its output is the stage's output. */
  readonly top: PlanNode;
  /** Fused nodes, first applied first. */
  readonly nodes: readonly PlanNode[];
  /** Where the stage's batches come from (a barrier or another stage). */
  readonly input: PlanNode;
  /** The first node is a global op: its statistics are gathered over the whole input first. */
  readonly globalHead: boolean;
  /** Stages with at least one op run on workers; expression-only stages run inline (a hop costs more than they do). */
  readonly onWorkers: boolean;
  /**
   * Rows per batch this stage's declared op costs ask for (about STAGE_BATCH_WORK_US of work per
   * batch), when that is fewer than any batch size; used when the run's batchSize is not given.
   */
  readonly batchRows?: number;
  /** Declared cost of the stage's ops per row (µs, the sum of their costPerRow). */
  readonly costPerRow: number;
  /** Every op of the stage declares its costPerRow (none relies on the default guess of 1 µs). */
  readonly costDeclared: boolean;
}

/** Estimated work per batch (µs) that a stage of costly ops aims for when the batch size is not given. */
export const STAGE_BATCH_WORK_US = 50_000;

/** The declared cost per row of a chain's ops (µs). */
function costOf(nodes: readonly PlanNode[]): number {
  let cost = 0;
  for (const n of nodes) if (n.kind === 'map') cost += getOp(n.call.op)?.properties(n.call.params).costPerRow ?? 0;
  return cost;
}

/** Whether every op of a chain declares its cost. */
function costsDeclared(nodes: readonly PlanNode[]): boolean {
  return nodes.every((n) => n.kind !== 'map' || getOp(n.call.op)?.declaresCost(n.call.params) === true);
}

/** Rows per batch for ops that cost `cost` µs per row in all: undefined when any batch size is fine. */
function batchRowsFor(cost: number): number | undefined {
  if (!(cost > 0)) return undefined;
  const rows = Math.max(1, Math.floor(STAGE_BATCH_WORK_US / cost));
  return rows < 1024 ? rows : undefined;
}

export interface PhysicalPlan {
  readonly root: PlanNode;
  readonly stages: readonly Stage[];
  /** Stage by its top node. */
  readonly byTop: ReadonlyMap<PlanNode, Stage>;
  /** Stage by each fused node. */
  readonly byNode: ReadonlyMap<PlanNode, Stage>;
}

/** Why a map node cannot join a fused stage (undefined when it can). */
function mapBarrier(n: Extract<PlanNode, { kind: 'map' }>): string | undefined {
  const def = getOp(n.call.op);
  if (!def) return undefined; // unresolved ops are validated later; treat as row-local
  const p = def.properties(n.call.params);
  if (!p.rowLocal) return 'not row-local';
  return undefined;
}

function isGlobal(n: PlanNode): boolean {
  return n.kind === 'map' && getOp(n.call.op)?.spec.stats !== undefined;
}

function fusable(n: PlanNode): boolean {
  if (n.kind === 'filter' || n.kind === 'project') return true;
  return n.kind === 'map' && mapBarrier(n) === undefined;
}

/**
 * Split a logical plan into stages. Walks from the root; each fusable node not yet in a stage
 * starts a chain that extends down through fusable single-consumer inputs. A global op ends the
 * chain (it becomes the chain's first node: its statistics need the whole input).
 */
export function planPhysical(root: PlanNode): PhysicalPlan {
  const consumers = consumerCounts(root);
  const stages: Stage[] = [];
  const byTop = new Map<PlanNode, Stage>();
  const byNode = new Map<PlanNode, Stage>();
  const seen = new Set<PlanNode>();
  const visit = (n: PlanNode): void => {
    if (seen.has(n)) return;
    seen.add(n);
    if (!fusable(n)) {
      for (const i of nodeInputs(n)) visit(i);
      return;
    }
    const chain: PlanNode[] = [n];
    let cur = n;
    while (!isGlobal(cur)) {
      const next = nodeInputs(cur)[0]!;
      if (!fusable(next) || (consumers.get(next) ?? 0) > 1) break;
      chain.push(next);
      seen.add(next);
      cur = next;
    }
    chain.reverse();
    const cost = costOf(chain);
    const rows = batchRowsFor(cost);
    const stage: Stage = {
      id: stages.length + 1,
      top: n,
      nodes: chain,
      input: nodeInputs(chain[0]!)[0]!,
      globalHead: isGlobal(chain[0]!),
      onWorkers: chain.some((x) => x.kind === 'map'),
      costPerRow: cost,
      costDeclared: costsDeclared(chain),
      ...(rows !== undefined ? { batchRows: rows } : {}),
    };
    stages.push(stage);
    byTop.set(n, stage);
    for (const x of chain) byNode.set(x, stage);
    visit(stage.input);
  };
  visit(root);
  // Number stages in execution order (inputs first), which is how users read a pipeline.
  stages.reverse();
  const renumbered = stages.map((s, i) => ({ ...s, id: i + 1 }));
  const top2 = new Map<PlanNode, Stage>();
  const node2 = new Map<PlanNode, Stage>();
  for (const s of renumbered) {
    top2.set(s.top, s);
    for (const x of s.nodes) node2.set(x, s);
  }
  return { root, stages: renumbered, byTop: top2, byNode: node2 };
}

/** Per-stage figures of a finished run, for explain({ analyze: true }). */
export interface StageStats {
  readonly id: number;
  batches: number;
  /** Worker tasks the batches travelled in (quick batches are grouped; 0 when the stage ran inline). */
  tasks: number;
  rowsIn: number;
  rowsOut: number;
  /** Summed kernel time on workers (or inline), ms. */
  busyMs: number;
  /**
   * This thread's time in the statistics pass of the stage's global head op (folding the whole
   * input into its statistics, or running the input again to do so), its input's own time excluded, ms.
   */
  statisticsMs: number;
  /** Time the stage waited for its input batches, ms. */
  inputWaitMs: number;
  /** Time the stage held back input because the in-flight bound was reached, ms. */
  backpressureMs: number;
  /** The coordinating thread's time sending batches to workers and taking their results, ms. */
  dispatchMs: number;
  bytesTransferred: number;
  bytesCopied: number;
  retries: number;
  /** Set when an adaptive stage moved in-process: after how many batches, and what it measured. */
  movedInProcess?: { afterBatches: number; poolMsPerBatch: number; inProcessMsPerBatch: number };
  /** Set when an adaptive stage tried in-process and went back to the pool (quicker). */
  probedInProcess?: { afterBatches: number; poolMsPerBatch: number; inProcessMsPerBatch: number };
}

/** A barrier's own figures on the coordinating thread (a source, join, union, zip, limit, table op, in-process op). */
export interface BarrierStats {
  readonly nodeId: number;
  /** Batches it yielded. */
  batches: number;
  /** Rows it yielded. */
  rowsOut: number;
  /** Wall time inside the barrier on this thread, the time of its inputs (stages, other barriers) excluded, ms. */
  selfMs: number;
}

/** The figures of a run: per stage (by stage id), and per barrier that ran on this thread (by node id). */
export class RunStats extends Map<number, StageStats> {
  readonly barriers = new Map<number, BarrierStats>();
}

/**
 * What a stage cost the run, ms of a thread's time: its kernels' busy time (on workers, summed over
 * them, or on this thread when it ran inline) plus what it took on this thread (the statistics pass
 * of a global op, dispatching to workers).
 */
export function stageCostMs(st: StageStats): number {
  return st.busyMs + st.statisticsMs + st.dispatchMs;
}

function adaptFigures(m: { poolMsPerBatch: number; inProcessMsPerBatch: number }): string {
  return `pool ${m.poolMsPerBatch.toFixed(3)} ms per batch, in-process ${m.inProcessMsPerBatch.toFixed(3)}`;
}

/** A short label of a stage: its fused steps. */
export function stageLabel(s: Stage): string {
  return s.nodes.map((n) => (n.kind === 'map' ? n.call.op : n.kind)).join(' → ');
}

/** Barrier nodes of the plan (not fused into a stage), inputs first. */
function barrierNodes(p: PhysicalPlan): PlanNode[] {
  const out: PlanNode[] = [];
  const seen = new Set<PlanNode>();
  const visit = (n: PlanNode): void => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const i of nodeInputs(n)) visit(i);
    if (!p.byNode.has(n)) out.push(n);
  };
  visit(p.root);
  return out;
}

const ms = (x: number): string => x.toFixed(1);

/** The cost of a stage, broken down by where it was spent. */
function costText(s: Stage, st: StageStats): string {
  const pooled = st.tasks > 0;
  const kernelsWhere = !pooled ? 'this thread' : st.movedInProcess ? 'workers, then this thread' : 'workers';
  const here = [
    ...(s.globalHead ? [`statistics ${ms(st.statisticsMs)}`] : []),
    ...(pooled ? [`dispatch ${ms(st.dispatchMs)}`] : []),
  ];
  if (!pooled) return `cost ${ms(stageCostMs(st))} ms: busy ${ms(st.busyMs)}${here.map((h) => ` + ${h}`).join('')} on this thread`;
  return `cost ${ms(stageCostMs(st))} ms: busy ${ms(st.busyMs)} on ${kernelsWhere}${here.length ? ` + ${here.join(' + ')} on this thread` : ''}`;
}

/** The stage list as text, for explain(). */
export function displayPhysical(p: PhysicalPlan, stats?: ReadonlyMap<number, StageStats>, workers?: number): string {
  const barrierStats = stats instanceof RunStats ? stats.barriers : undefined;
  const barriers = barrierStats ? barrierNodes(p).filter((n) => barrierStats.has(n.id)) : [];
  if (p.stages.length === 0 && barriers.length === 0) return 'no fused stages: every node runs on the coordinating thread';
  // The bottleneck: what cost the run the most time, a stage (on workers or on this thread) or a barrier (on this thread).
  let bottleneck: { stage?: number; node?: number } | undefined;
  if (stats) {
    let best = -1;
    for (const s of stats.values()) { const c = stageCostMs(s); if (c > best) { best = c; bottleneck = { stage: s.id }; } }
    for (const n of barriers) { const c = barrierStats!.get(n.id)!.selfMs; if (c > best) { best = c; bottleneck = { node: n.id }; } }
  }
  const lines: string[] = [];
  if (stats) {
    lines.push('cost = thread time spent: a stage\'s kernels (busy on workers, summed, or on this thread) plus its statistics pass',
      'and dispatch on this thread; a barrier\'s own time on this thread, inputs excluded. The bottleneck cost the most.');
  }
  if (p.stages.length === 0) lines.push('no fused stages: every node runs on the coordinating thread');
  for (const s of p.stages) {
    const where = s.onWorkers ? (workers === 0 ? 'in-process' : 'workers') : 'inline (expressions only)';
    const fused = s.nodes.length > 1 ? `, ${s.nodes.length} steps fused` : '';
    const rows = s.batchRows !== undefined ? `, ≤${s.batchRows} rows per batch by op cost` : '';
    lines.push(`Stage ${s.id} [${where}${fused}${rows}${s.globalHead ? ', after a statistics barrier' : ''}] ← ${nodeLabel(s.input)}${s.input.kind === 'source' ? '' : ` (#${s.input.id})`}`);
    const st = stats?.get(s.id);
    s.nodes.forEach((n, i) => lines.push(`  ${nodeLabel(n)}${st && i === 0 && s.globalHead ? `  [statistics pass ${ms(st.statisticsMs)} ms on this thread]` : ''}`));
    if (st) {
      const tasks = st.tasks > 0 && st.tasks !== st.batches ? ` in ${st.tasks} tasks` : '';
      lines.push(`  analyzed: ${st.batches} batches${tasks}, rows ${st.rowsIn} → ${st.rowsOut}, ${costText(s, st)}, ` +
        `input wait ${ms(st.inputWaitMs)} ms, backpressure ${ms(st.backpressureMs)} ms, ` +
        `bytes transferred ${st.bytesTransferred}, copied ${st.bytesCopied}${st.retries ? `, retries ${st.retries}` : ''}` +
        (st.movedInProcess ? `; moved in-process after ${st.movedInProcess.afterBatches} batches (${adaptFigures(st.movedInProcess)})` : '') +
        (st.probedInProcess ? `; tried in-process after ${st.probedInProcess.afterBatches} batches, kept the pool (${adaptFigures(st.probedInProcess)})` : '') +
        (bottleneck?.stage === s.id ? '  ← bottleneck' : ''));
    }
  }
  if (barriers.length > 0) {
    lines.push('Barriers on this thread:');
    for (const n of barriers) {
      const b = barrierStats!.get(n.id)!;
      lines.push(`  ${nodeLabel(n)} (#${n.id}): ${b.batches} batches, rows out ${b.rowsOut}, cost ${ms(b.selfMs)} ms` +
        (bottleneck?.node === n.id ? '  ← bottleneck' : ''));
    }
  }
  return lines.join('\n');
}
