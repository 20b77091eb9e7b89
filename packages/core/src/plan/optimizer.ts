// The optimizer: applies the named rules in order, pass after pass, until a pass changes nothing
// or the pass limit is reached. It does not trust the rules: after every rule that changed the
// plan it re-derives the output schema and fails, naming the rule, if it differs.
import type { Schema } from '../types/schema.ts';
import { dtypeEquals, dtypeToString } from '../types/dtype.ts';
import type { ErrorPolicy } from '../exec/report.ts';
import type { PlanNode } from './logical-plan.ts';
import { knownSchema, resolveSchemas } from './logical-plan.ts';
import { displayPlan } from './display.ts';
import type { Rule, RuleContext } from './rule.ts';
import { PlanSchemas } from './rule.ts';
import { pushDownFilter } from './rules/push-down-filter.ts';
import { reorderFilters } from './rules/reorder-filters.ts';
import { foldIntoOp } from './rules/fold-into-op.ts';
import { pushDownLimit } from './rules/push-down-limit.ts';
import { eliminateCommonSubplans } from './rules/eliminate-common-subplans.ts';
import { pruneColumns } from './rules/prune-columns.ts';
import { splitGlobalOp } from './rules/split-global-op.ts';
import { InvalidArgumentError, ModaflowError } from '../errors.ts';

/**
 * The rules, in the order each pass applies them. Ordering constraints:
 * - push-down-filter before eliminate-common-subplans: merging two branches makes their common
 *   part shared, and filters never move below a shared node; pushing first keeps each branch's
 *   rows small, and branches that are still equal after pushing are merged after.
 * - reorder-filters after push-down-filter: it orders the runs of filters that pushing assembled.
 * - fold-into-op after push-down-filter: a filter between two ops keeps them apart until it moves.
 * - push-down-limit after fold-into-op: a limit never moves below a filter, so this order is free,
 *   but folding first gives the limit fewer nodes to walk.
 * - prune-columns after the moves: which columns a node needs depends on what is above it.
 * - split-global-op last: its cache/recompute choice depends on the final input of the op.
 */
export const DEFAULT_RULES: readonly Rule[] = [
  pushDownFilter,
  reorderFilters,
  foldIntoOp,
  pushDownLimit,
  eliminateCommonSubplans,
  pruneColumns,
  splitGlobalOp,
];

/** Optimizer settings of a run: `compute({ optimizer: { disable: ['push-down-filter'] } })`. */
export interface OptimizerOptions {
  /** Rule names to skip. */
  readonly disable?: readonly string[];
  /** Most passes over the rule list (default 10). */
  readonly maxPasses?: number;
  /** Observed selectivity of filters by their plan label (reorder-filters uses it over guesses). */
  readonly selectivity?: ReadonlyMap<string, number>;
  /** The rules to run instead of DEFAULT_RULES (tests). */
  readonly rules?: readonly Rule[];
}

/** One rule application that changed the plan. */
export interface RuleFiring {
  readonly rule: string;
  readonly pass: number;
  readonly notes: readonly string[];
}

export interface OptimizeResult {
  readonly plan: PlanNode;
  readonly fired: readonly RuleFiring[];
  readonly passes: number;
  /** True when the last pass changed nothing (false: stopped at maxPasses). */
  readonly fixedPoint: boolean;
}

function schemaText(s: Schema): string {
  return `{${Object.entries(s).map(([k, t]) => `${k}: ${dtypeToString(t)}`).join(', ')}}`;
}

function sameSchema(a: Schema, b: Schema): boolean {
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && dtypeEquals(a[k]!, b[k]!));
}

/** Checks the names in `disable` against the rule list; an unknown name is a mistake worth an error. */
function enabledRules(opts: OptimizerOptions): Rule[] {
  const rules = [...(opts.rules ?? DEFAULT_RULES)];
  const names = new Set(rules.map((r) => r.name));
  for (const d of opts.disable ?? []) {
    if (!names.has(d)) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `optimizer rule '${d}' does not exist`, {
        op: 'optimizer', fix: `disable one of: ${[...names].join(', ')}`,
      });
    }
  }
  const maxPasses = opts.maxPasses ?? 10;
  if (!Number.isInteger(maxPasses) || maxPasses < 1) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `optimizer maxPasses must be a positive integer, got ${maxPasses}`, { op: 'optimizer', fix: 'pass e.g. maxPasses: 10' });
  }
  const off = new Set(opts.disable ?? []);
  return rules.filter((r) => !off.has(r.name));
}

/**
 * Optimize a plan whose schemas are known (`schemas` gives the full schema of each source).
 * Synchronous: explain() uses it without I/O.
 *
 * @example
 * const { plan, fired } = optimize(ds.plan, PlanSchemas.fromResolved(await resolveSchemas(ds.plan)));
 */
export function optimize(root: PlanNode, schemas: PlanSchemas, opts: OptimizerOptions & { readonly onError?: ErrorPolicy } = {}): OptimizeResult {
  const rules = enabledRules(opts);
  const maxPasses = opts.maxPasses ?? 10;
  const ctx: RuleContext = {
    schemaOf: (n) => schemas.of(n),
    onError: opts.onError ?? 'fail',
    ...(opts.selectivity ? { selectivity: opts.selectivity } : {}),
  };
  const want = schemas.of(root);
  const fired: RuleFiring[] = [];
  let plan = root;
  let pass = 0;
  let changed = true;
  while (changed && pass < maxPasses) {
    pass++;
    changed = false;
    for (const rule of rules) {
      let r;
      try {
        r = rule.rewrite(plan, ctx);
      } catch (e) {
        const why = e instanceof ModaflowError ? e.reason : (e as Error)?.message ?? String(e);
        throw new ModaflowError('MF_OPTIMIZER', `optimizer rule '${rule.name}' failed in pass ${pass}: ${why}`, {
          op: rule.name, cause: e,
          fix: `report this bug; meanwhile run with compute({ optimizer: { disable: ['${rule.name}'] } })`,
        });
      }
      if (!r.changed) continue;
      let got: Schema;
      try {
        got = schemas.of(r.plan);
      } catch (e) {
        const why = e instanceof ModaflowError ? e.reason : (e as Error)?.message ?? String(e);
        throw new ModaflowError('MF_OPTIMIZER', `optimizer rule '${rule.name}' produced an invalid plan in pass ${pass}: ${why}`, {
          op: rule.name, cause: e,
          fix: `report this bug; meanwhile run with compute({ optimizer: { disable: ['${rule.name}'] } })`,
        });
      }
      if (!sameSchema(got, want)) {
        throw new ModaflowError('MF_OPTIMIZER', `optimizer rule '${rule.name}' changed the output schema in pass ${pass}: ${schemaText(want)} became ${schemaText(got)}`, {
          op: rule.name,
          fix: `report this bug; meanwhile run with compute({ optimizer: { disable: ['${rule.name}'] } })`,
        });
      }
      plan = r.plan;
      changed = true;
      fired.push({ rule: rule.name, pass, notes: r.notes ?? [] });
    }
  }
  return { plan, fired, passes: pass, fixedPoint: !changed };
}

/** Resolve the plan's schemas (reading file headers when needed) and optimize it. */
export async function optimizePlan(root: PlanNode, opts: OptimizerOptions & { readonly onError?: ErrorPolicy } = {}): Promise<OptimizeResult> {
  return optimize(root, PlanSchemas.fromResolved(await resolveSchemas(root)), opts);
}

/** The optimizer setting of ComputeOptions: false turns it off. */
export type OptimizerSetting = boolean | OptimizerOptions | undefined;

/** The plan a run executes: optimized unless `optimizer: false`. */
export async function planForRun(root: PlanNode, setting: OptimizerSetting, onError: ErrorPolicy = 'fail'): Promise<PlanNode> {
  if (setting === false) return root;
  return (await optimizePlan(root, { ...(typeof setting === 'object' ? setting : {}), onError })).plan;
}

/** Extra explain() text of a node the planner annotated (the statistics stage of a global op). */
export function annotateNode(n: PlanNode): string | undefined {
  if (n.kind === 'map' && n.globalStats) return `[statistics stage, then row-local stage; ${n.globalStats.reason}]`;
  return undefined;
}

/** explain() text for the optimized part: the plan after the rules, and which rules fired. */
export function describeFirings(fired: readonly RuleFiring[]): string {
  if (fired.length === 0) return '(no rule changed the plan)';
  return fired.map((f) => `${f.rule} (pass ${f.pass})${f.notes.length ? `: ${f.notes.join('; ')}` : ''}`).join('\n');
}

/**
 * The optimizer's part of explain(), without I/O: the optimized plan and the rules that fired
 * (or why the optimized plan cannot be shown), and the optimized plan itself.
 */
export function explainOptimizer(root: PlanNode, setting: OptimizerSetting, onError: ErrorPolicy = 'fail'): { text: string; plan: PlanNode } {
  if (setting === false) return { text: '== Optimized plan ==\n(optimizer: false — the logical plan runs as written)', plan: root };
  if (knownSchema(root) === null) {
    return {
      text: '== Optimized plan ==\n(not shown: a source needs a file read to know its schema; pass `schema` to the source to see it here — the run optimizes it anyway)',
      plan: root,
    };
  }
  const r = optimize(root, new PlanSchemas(new Map()), { ...(typeof setting === 'object' ? setting : {}), onError });
  return {
    text: `== Optimized plan ==\n${displayPlan(r.plan, { annotate: annotateNode })}\n== Rules fired ==\n${describeFirings(r.fired)}`,
    plan: r.plan,
  };
}
