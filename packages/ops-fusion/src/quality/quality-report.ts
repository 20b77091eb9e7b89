// qualityReport: one pass over a dataset measuring completeness, uniqueness (duplicate ids and
// duplicate content), consistency against user rules, and whether referenced files exist — as a
// readable markdown report and a machine-readable Arrow table.
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type * as arrow from 'apache-arrow';
import type { ComputeOptions, Dataset, Schema } from '@modaflow/core';
import { columnValues, dt, fromArrowSchema, fromRows, InvalidArgumentError } from '@modaflow/core';

/** A consistency rule on one column. A null value passes (completeness reports nulls). */
export interface QualityRule {
  readonly column: string;
  /** The whole string value must match (anchored: `^(?:regex)$`). */
  readonly regex?: string;
  /** Inclusive bounds; null leaves a side open. */
  readonly range?: readonly [number | null, number | null];
  readonly allowed?: readonly (string | number | boolean)[];
  /** A name for the report (default: derived from the rule). */
  readonly name?: string;
}

export interface QualityOptions {
  /** Column of row ids: duplicates are reported. */
  readonly idColumn?: string;
  /** Columns whose values make a row's content hash (default: every column but the id). */
  readonly contentColumns?: readonly string[];
  /**
   * Columns of file paths: missing, unreadable (opened and read for real) or empty files, and paths
   * naming something other than a regular file (a directory), are reported.
   */
  readonly fileColumns?: readonly string[];
  /** Also hash the referenced files' bytes and report files with the same content. */
  readonly hashFiles?: boolean;
  /** Relative paths are resolved against this directory (default: the working directory). */
  readonly root?: string;
  readonly rules?: readonly QualityRule[];
  /** How many example row ids each finding lists (default 5). */
  readonly examples?: number;
  /** Options of the run that reads the dataset. */
  readonly compute?: ComputeOptions;
}

/** One finding: check, column, metric and value, with example row ids. */
export interface QualityFinding {
  readonly check: 'completeness' | 'uniqueness' | 'consistency' | 'validity';
  readonly column: string;
  readonly metric: string;
  readonly value: number;
  /** Rule or detail text, e.g. the rule, example duplicate ids. */
  readonly detail: string;
  /** 0-based row positions in the dataset (up to `examples`). */
  readonly rows: readonly number[];
}

export interface QualityReport {
  readonly rows: number;
  readonly findings: readonly QualityFinding[];
  /** No nulls counted as problems are included: true when every uniqueness, consistency and validity count is 0. */
  readonly ok: boolean;
  /** The findings as an Arrow table (check, column, metric, value, detail, rows). */
  readonly table: arrow.Table;
  readonly markdown: string;
}

function ruleName(r: QualityRule): string {
  if (r.name) return r.name;
  const parts: string[] = [];
  if (r.regex !== undefined) parts.push(`matches /${r.regex}/`);
  if (r.range) parts.push(`in [${r.range[0] ?? '-∞'}, ${r.range[1] ?? '∞'}]`);
  if (r.allowed) parts.push(`in {${r.allowed.join(', ')}}`);
  return parts.join(' and ');
}

function canonical(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (ArrayBuffer.isView(v)) return `[${Array.from(v as unknown as ArrayLike<number | bigint>, (x) => canonical(x)).join(',')}]`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object') return `{${Object.entries(v as object).map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  return JSON.stringify(v);
}

/**
 * Measure a dataset's quality in one pass: per column completeness (null and NaN ratio), duplicate
 * ids and duplicate content (hash of the content columns, and optionally of referenced files),
 * consistency rules (regex, range, allowed values) and referenced-file validity.
 *
 * @example
 * const q = await qualityReport(readManifest('data'), { idColumn: 'id', fileColumns: ['image_path'], rules: [{ column: 'label', allowed: ['cat', 'dog'] }] });
 * console.log(q.markdown);
 */
export async function qualityReport<S extends Schema>(ds: Dataset<S>, opts: QualityOptions = {}): Promise<QualityReport> {
  const schema = await ds.resolveSchema();
  const names = Object.keys(schema);
  const need = (c: string, what: string) => {
    if (!(c in schema)) {
      throw new InvalidArgumentError('MF_COLUMN_NOT_FOUND', `${what} column '${c}' is not in the dataset`, { op: 'qualityReport', column: c, fix: `available: ${names.join(', ')}` });
    }
  };
  if (opts.idColumn !== undefined) need(opts.idColumn, 'id');
  for (const c of opts.contentColumns ?? []) need(c, 'content');
  for (const c of opts.fileColumns ?? []) need(c, 'file');
  const regexes = (opts.rules ?? []).map((r) => {
    need(r.column, 'rule');
    try {
      return r.regex === undefined ? null : new RegExp(`^(?:${r.regex})$`, 'u');
    } catch (e) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `rule regex /${r.regex}/ does not compile: ${(e as Error).message}`, { op: 'qualityReport', column: r.column, fix: 'write a JavaScript regular expression' });
    }
  });
  const maxEx = opts.examples ?? 5;
  const contentCols = opts.contentColumns ?? names.filter((c) => c !== opts.idColumn);
  const nulls = new Map<string, number[]>(names.map((c) => [c, []]));
  const nans = new Map<string, number[]>(names.map((c) => [c, []]));
  const ids = new Map<string, number[]>();
  const hashes = new Map<string, number[]>();
  const violations = (opts.rules ?? []).map(() => [] as number[]);
  const paths = new Map<string, { row: number; path: string }[]>((opts.fileColumns ?? []).map((c) => [c, []]));
  let row = 0;
  for await (const b of ds.stream(opts.compute ?? {})) {
    const s = fromArrowSchema(b.schema);
    const cols = new Map(Object.keys(s).map((c, k) => [c, columnValues(s[c]!, b.getChildAt(k)!)]));
    for (let i = 0; i < b.numRows; i++, row++) {
      for (const c of names) {
        const v = cols.get(c)![i];
        if (v === null) nulls.get(c)!.push(row);
        else if (typeof v === 'number' && Number.isNaN(v)) nans.get(c)!.push(row);
      }
      if (opts.idColumn !== undefined) {
        const id = cols.get(opts.idColumn)![i];
        if (id !== null) {
          const k = canonical(id);
          const l = ids.get(k);
          if (l) l.push(row); else ids.set(k, [row]);
        }
      }
      const h = createHash('sha256');
      for (const c of contentCols) h.update(canonical(cols.get(c)![i])).update('\u0000');
      const hk = h.digest('hex');
      const hl = hashes.get(hk);
      if (hl) hl.push(row); else hashes.set(hk, [row]);
      (opts.rules ?? []).forEach((r, k) => {
        const v = cols.get(r.column)![i];
        if (v === null || v === undefined) return;
        let bad = false;
        if (regexes[k] && !regexes[k]!.test(String(v))) bad = true;
        if (r.range) {
          const x = typeof v === 'bigint' ? Number(v) : (v as number);
          if (typeof x !== 'number' || Number.isNaN(x) || (r.range[0] !== null && x < r.range[0]) || (r.range[1] !== null && x > r.range[1])) bad = true;
        }
        if (r.allowed && !r.allowed.includes(typeof v === 'bigint' ? Number(v) : (v as string))) bad = true;
        if (bad) violations[k]!.push(row);
      });
      for (const [c, l] of paths) {
        const v = cols.get(c)![i];
        if (typeof v === 'string') l.push({ row, path: v });
      }
    }
  }
  const findings: QualityFinding[] = [];
  for (const c of names) {
    findings.push({ check: 'completeness', column: c, metric: 'null_ratio', value: row ? nulls.get(c)!.length / row : 0, detail: `${nulls.get(c)!.length} null`, rows: nulls.get(c)!.slice(0, maxEx) });
    if (nans.get(c)!.length) findings.push({ check: 'completeness', column: c, metric: 'nan_ratio', value: nans.get(c)!.length / row, detail: `${nans.get(c)!.length} NaN`, rows: nans.get(c)!.slice(0, maxEx) });
  }
  if (opts.idColumn !== undefined) {
    const dup = [...ids].filter(([, l]) => l.length > 1);
    findings.push({
      check: 'uniqueness', column: opts.idColumn, metric: 'duplicate_ids', value: dup.length,
      detail: dup.slice(0, maxEx).map(([k, l]) => `${k} ×${l.length}`).join('; '), rows: dup.flatMap(([, l]) => l).slice(0, maxEx),
    });
  }
  const dupContent = [...hashes.values()].filter((l) => l.length > 1);
  findings.push({
    check: 'uniqueness', column: contentCols.join(','), metric: 'duplicate_content', value: dupContent.reduce((a, l) => a + l.length - 1, 0),
    detail: dupContent.slice(0, maxEx).map((l) => `rows ${l.slice(0, maxEx).join(', ')}`).join('; '), rows: dupContent.flatMap((l) => l).slice(0, maxEx),
  });
  (opts.rules ?? []).forEach((r, k) => {
    findings.push({ check: 'consistency', column: r.column, metric: 'violations', value: violations[k]!.length, detail: ruleName(r), rows: violations[k]!.slice(0, maxEx) });
  });
  for (const [c, l] of paths) {
    const checks = await mapLimit(l, FILE_CONCURRENCY, ({ path }) => checkFile(isAbsolute(path) ? path : resolve(opts.root ?? process.cwd(), path), opts.hashFiles === true));
    const missing: number[] = [], empty: number[] = [];
    const why = new Map<FileProblem, number>();
    const byHash = new Map<string, number[]>();
    // In row order, whatever order the checks finished in.
    checks.forEach((f, k) => {
      const r = l[k]!.row;
      if ('problem' in f) { missing.push(r); why.set(f.problem, (why.get(f.problem) ?? 0) + 1); return; }
      if (f.size === 0) { empty.push(r); return; }
      if (f.hash !== null) {
        const hl = byHash.get(f.hash);
        if (hl) hl.push(r); else byHash.set(f.hash, [r]);
      }
    });
    const reasons = [...why].map(([p, n]) => `${n} ${p}`).join(', ');
    findings.push({ check: 'validity', column: c, metric: 'missing_files', value: missing.length, detail: `path does not name a readable regular file${reasons ? `: ${reasons}` : ''}`, rows: missing.slice(0, maxEx) });
    findings.push({ check: 'validity', column: c, metric: 'empty_files', value: empty.length, detail: 'file has 0 bytes', rows: empty.slice(0, maxEx) });
    if (opts.hashFiles) {
      const dup = [...byHash.values()].filter((x) => x.length > 1);
      findings.push({ check: 'uniqueness', column: c, metric: 'duplicate_file_content', value: dup.reduce((a, x) => a + x.length - 1, 0), detail: dup.slice(0, maxEx).map((x) => `rows ${x.join(', ')}`).join('; '), rows: dup.flatMap((x) => x).slice(0, maxEx) });
    }
  }
  const ok = findings.every((f) => f.check === 'completeness' || f.value === 0);
  const table = await fromRows(findings.map((f) => ({ ...f, rows: [...f.rows] })), {
    check: dt.utf8(), column: dt.utf8(), metric: dt.utf8(), value: dt.float64(), detail: dt.utf8(), rows: dt.list(dt.int32()),
  }).compute();
  return { rows: row, findings, ok, table, markdown: toMarkdown(row, findings, ok) };
}

/** Files checked at once: enough to hide the latency of a network file system, few enough for its limits. */
const FILE_CONCURRENCY = 16;

/** f over the items, at most `limit` calls pending at a time; the results in the items' order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

type FileProblem = 'missing' | 'not a regular file' | 'unreadable';

const HASH_CHUNK = 1 << 20;

/**
 * Whether a path names a regular file that can be read: stat first (opening a FIFO would block
 * until a writer comes), then the file is opened and read — its first byte, or all of it when
 * hashing (in 1 MiB chunks, so 16 large files at once stay small in memory). Reading is the only
 * test that holds for every user: mode bits do not stop root, and ACLs or a network file system
 * can refuse what the mode bits allow.
 */
async function checkFile(p: string, hash: boolean): Promise<{ problem: FileProblem } | { size: number; hash: string | null }> {
  try {
    if (!(await stat(p)).isFile()) return { problem: 'not a regular file' };
  } catch (e) {
    // A directory on the way that may not be searched hides the file; anything else is a broken
    // path (no such path, a file where a directory should be, a dangling link).
    const code = (e as NodeJS.ErrnoException).code;
    return { problem: code === 'EACCES' || code === 'EPERM' ? 'unreadable' : 'missing' };
  }
  let fh;
  try {
    fh = await open(p, 'r');
  } catch {
    return { problem: 'unreadable' };
  }
  try {
    const { size } = await fh.stat();
    if (size === 0) return { size, hash: null };
    if (!hash) {
      await fh.read(Buffer.alloc(1), 0, 1, 0);
      return { size, hash: null };
    }
    const h = createHash('sha256');
    const buf = Buffer.allocUnsafe(Math.min(size, HASH_CHUNK));
    for (let pos = 0; ;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
    return { size, hash: h.digest('hex') };
  } catch {
    return { problem: 'unreadable' }; // an I/O error while reading
  } finally {
    await fh.close();
  }
}

function toMarkdown(rows: number, findings: readonly QualityFinding[], ok: boolean): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const fmt = (f: QualityFinding) => (f.metric.endsWith('_ratio') ? `${(f.value * 100).toFixed(2)}%` : String(f.value));
  const lines = [`# Data quality report`, '', `${rows} rows — ${ok ? 'no uniqueness, consistency or validity problems' : 'problems found'}.`, ''];
  for (const check of ['completeness', 'uniqueness', 'consistency', 'validity'] as const) {
    const fs = findings.filter((f) => f.check === check);
    if (!fs.length) continue;
    lines.push(`## ${check[0]!.toUpperCase()}${check.slice(1)}`, '', '| column | metric | value | detail | example rows |', '|---|---|---|---|---|');
    for (const f of fs) lines.push(`| ${esc(f.column)} | ${f.metric} | ${fmt(f)} | ${esc(f.detail)} | ${f.rows.join(', ')} |`);
    lines.push('');
  }
  return lines.join('\n');
}
