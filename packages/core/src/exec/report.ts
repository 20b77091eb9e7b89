// Every run accounts for every row: rows in, out, filtered (by filters and limits), and bad rows
// skipped or quarantined, with per-node statistics for explain({ analyze: true }).
import type * as arrow from 'apache-arrow';
import type { RowFailure } from '../plan/logical-plan.ts';
import { buildData } from './column.ts';
import { dt } from '../types/dtype.ts';
import { chunkToRecordBatch } from './chunk.ts';
import * as A from 'apache-arrow';

export type ErrorPolicy = 'fail' | 'skip' | 'quarantine';

export interface NodeStats {
  readonly id: number;
  readonly name: string;
  rowsIn: number;
  rowsOut: number;
  batches: number;
  /** Time of the op, ms: its kernel (on workers or this thread) plus, for a global op, its statistics pass. */
  timeMs: number;
  /**
   * A global op's statistics pass (folding the whole input into its statistics), on this thread, ms:
   * part of timeMs; its input's own time is not counted (set by the stage executor).
   */
  statsMs?: number;
}

export interface RunReport {
  readonly policy: ErrorPolicy;
  /** Rows read from sources (bad rows included). */
  readonly rowsIn: number;
  /** Rows in the result. */
  readonly rowsOut: number;
  /** Rows removed on purpose by filters and limits. */
  readonly filtered: number;
  /** Bad rows dropped under onError: 'skip'. */
  readonly skipped: number;
  /** Bad rows set aside under onError: 'quarantine'. */
  readonly quarantined: number;
  /** Bad rows in all (skipped + quarantined). */
  readonly failed: number;
  /** Bad rows by error code. */
  readonly errorsByCode: Readonly<Record<string, number>>;
  /** Per plan node: rows in/out, batches, time. */
  readonly nodes: readonly NodeStats[];
  /** Under 'quarantine': one row per bad row — source row id, op, column, code, message, row (JSON). */
  readonly quarantine: arrow.Table | null;
  readonly wallMs: number;
}

export class RunReportBuilder {
  rowsIn = 0;
  rowsOut = 0;
  filtered = 0;
  private readonly failuresKept: RowFailure[] = [];
  private failedCount = 0;
  private readonly byCode: Record<string, number> = {};
  private readonly nodes = new Map<number, NodeStats>();
  private readonly t0 = performance.now();
  readonly policy: ErrorPolicy;

  constructor(policy: ErrorPolicy) {
    this.policy = policy;
  }

  node(id: number, name: string): NodeStats {
    let s = this.nodes.get(id);
    if (!s) {
      s = { id, name, rowsIn: 0, rowsOut: 0, batches: 0, timeMs: 0 };
      this.nodes.set(id, s);
    }
    return s;
  }

  addFailures(fs: readonly RowFailure[]): void {
    this.failedCount += fs.length;
    for (const f of fs) this.byCode[f.code] = (this.byCode[f.code] ?? 0) + 1;
    if (this.policy === 'quarantine') this.failuresKept.push(...fs);
  }

  /** Merge node statistics computed elsewhere (worker threads). */
  mergeNode(id: number, name: string, d: { rowsIn: number; rowsOut: number; batches: number; timeMs: number }): void {
    const s = this.node(id, name);
    s.rowsIn += d.rowsIn;
    s.rowsOut += d.rowsOut;
    s.batches += d.batches;
    s.timeMs += d.timeMs;
  }

  finish(): RunReport {
    const skipped = this.policy === 'skip' ? this.failedCount : 0;
    const quarantined = this.policy === 'quarantine' ? this.failedCount : 0;
    return {
      policy: this.policy,
      rowsIn: this.rowsIn,
      rowsOut: this.rowsOut,
      filtered: this.filtered,
      skipped,
      quarantined,
      failed: this.failedCount,
      errorsByCode: { ...this.byCode },
      nodes: [...this.nodes.values()].map((s) => ({ ...s })),
      quarantine: this.policy === 'quarantine' ? quarantineTable(this.failuresKept) : null,
      wallMs: performance.now() - this.t0,
    };
  }
}

export const QUARANTINE_SCHEMA = {
  source_row: dt.int64(),
  op: dt.utf8(),
  column: dt.utf8(),
  code: dt.utf8(),
  message: dt.utf8(),
  row: dt.utf8(),
} as const;

function quarantineTable(fs: readonly RowFailure[]): arrow.Table {
  const sorted = [...fs].sort((a, b) => a.rowId - b.rowId);
  const cols = {
    source_row: buildData(dt.int64(), sorted.map((f) => BigInt(f.rowId))),
    op: buildData(dt.utf8(), sorted.map((f) => f.op)),
    column: buildData(dt.utf8(), sorted.map((f) => f.column ?? null)),
    code: buildData(dt.utf8(), sorted.map((f) => f.code)),
    message: buildData(dt.utf8(), sorted.map((f) => f.message)),
    row: buildData(dt.utf8(), sorted.map((f) => (f.row ? JSON.stringify(f.row) : null))),
  };
  const rowIds = Float64Array.from(sorted, (f) => f.rowId);
  return new A.Table([chunkToRecordBatch({ schema: QUARANTINE_SCHEMA, columns: cols, length: sorted.length, rowIds })]);
}

/** One line per report, for logs and the demo. */
export function formatReport(r: RunReport): string {
  return `rows in ${r.rowsIn}, out ${r.rowsOut}, filtered ${r.filtered}, skipped ${r.skipped}, quarantined ${r.quarantined}` +
    (r.failed ? ` (errors: ${Object.entries(r.errorsByCode).map(([k, v]) => `${k}×${v}`).join(', ')})` : '') +
    `, ${r.wallMs.toFixed(0)} ms`;
}
