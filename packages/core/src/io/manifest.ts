// readManifest: the standard multimodal layout — metadata.csv (id,image_path,text_path,audio_path,
// label) beside images/, texts/, audios/. Paths are untrusted input: each is resolved against the
// dataset root and must stay inside it (no '..', no absolute paths, no symlinks out). A bad or
// missing path is a per-row error; the file is never read.
import { realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { Utf8 } from '../types/dtype.ts';
import { dt } from '../types/dtype.ts';
import type { Schema } from '../types/schema.ts';
import type { RowFailure, Source, SourceBatch, SourceReadOptions } from '../plan/logical-plan.ts';
import { csvSource } from './csv.ts';
import { buildData, columnValues } from '../exec/column.ts';
import { makeChunk, rowIdAt, rowIdsOf, takeChunk } from '../exec/chunk.ts';
import { InvalidArgumentError } from '../errors.ts';

export type ManifestSchema = {
  readonly id: Utf8;
  readonly image_path: Utf8;
  readonly text_path: Utf8;
  readonly audio_path: Utf8;
  readonly label: Utf8;
};

export const MANIFEST_SCHEMA: ManifestSchema = {
  id: dt.utf8(),
  image_path: dt.utf8(),
  text_path: dt.utf8(),
  audio_path: dt.utf8(),
  label: dt.utf8(),
};

export const MANIFEST_PATH_COLUMNS = ['image_path', 'text_path', 'audio_path'] as const;

export interface ManifestOptions {
  /** File name of the table inside the root (default metadata.csv). */
  readonly file?: string;
  /** Check that referenced files exist (default true). */
  readonly checkFiles?: boolean;
}

/** Why a manifest path is refused, or null when it is fine. Exported for tests. */
export async function checkManifestPath(root: string, realRoot: string, rel: string, checkFiles: boolean):
  Promise<{ abs: string } | { code: 'MF_PATH_ESCAPE' | 'MF_FILE_MISSING'; message: string }> {
  if (rel.includes('\0')) return { code: 'MF_PATH_ESCAPE', message: 'path contains a NUL byte' };
  if (path.isAbsolute(rel) || /^[a-zA-Z]:[\\/]/.test(rel) || rel.startsWith('\\')) {
    return { code: 'MF_PATH_ESCAPE', message: `absolute path '${rel}' is not allowed; paths are relative to the dataset root` };
  }
  const abs = path.resolve(root, rel);
  const inside = path.relative(root, abs);
  if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) {
    return { code: 'MF_PATH_ESCAPE', message: `path '${rel}' leaves the dataset root` };
  }
  if (!checkFiles) return { abs };
  let real: string;
  try {
    real = await realpath(abs);
  } catch {
    return { code: 'MF_FILE_MISSING', message: `file '${rel}' does not exist under ${root}` };
  }
  const realInside = path.relative(realRoot, real);
  if (realInside === '' || realInside.startsWith('..') || path.isAbsolute(realInside)) {
    return { code: 'MF_PATH_ESCAPE', message: `path '${rel}' is a symlink that leaves the dataset root` };
  }
  try {
    const st = await stat(real);
    if (!st.isFile()) return { code: 'MF_FILE_MISSING', message: `'${rel}' is not a regular file` };
  } catch {
    return { code: 'MF_FILE_MISSING', message: `file '${rel}' does not exist under ${root}` };
  }
  return { abs: real };
}

class ManifestSource implements Source {
  readonly name = 'readManifest';
  readonly knownSchema: Schema = MANIFEST_SCHEMA;
  readonly root: string;
  readonly opts: ManifestOptions;

  constructor(root: string, opts: ManifestOptions) {
    this.root = path.resolve(root);
    this.opts = opts;
  }

  describe(): string {
    return `${this.root}/${this.opts.file ?? 'metadata.csv'}`;
  }

  async resolveSchema(): Promise<Schema> {
    return MANIFEST_SCHEMA;
  }

  async *read(o: SourceReadOptions): AsyncGenerator<SourceBatch> {
    const realRoot = await realpath(this.root).catch(() => this.root);
    const csv = csvSource(path.join(this.root, this.opts.file ?? 'metadata.csv'), { schema: MANIFEST_SCHEMA });
    const checkFiles = this.opts.checkFiles ?? true;
    const wanted = o.columns ? new Set(o.columns) : null;
    for await (const b of csv.read(o)) {
      const c = b.chunk;
      const errors: RowFailure[] = [...(b.errors ?? []).map((e) => ({ ...e, op: 'readManifest' }))];
      const bad = new Set<number>();
      const cols = { ...c.columns };
      for (const pc of MANIFEST_PATH_COLUMNS) {
        if (wanted && !wanted.has(pc)) continue;
        const vals = columnValues(dt.utf8(), c.columns[pc]!) as (string | null)[];
        const out: (string | null)[] = new Array(vals.length).fill(null);
        const checks = await Promise.all(vals.map((v) => (v === null || v === '' ? null : checkManifestPath(this.root, realRoot, v, checkFiles))));
        checks.forEach((r, i) => {
          if (r === null) return;
          if ('abs' in r) { out[i] = r.abs; return; }
          if (!bad.has(i)) {
            bad.add(i);
            const id = columnValues(dt.utf8(), c.columns.id!)[i];
            errors.push({ rowId: rowIdAt(c, i), op: 'readManifest', column: pc, code: r.code, message: r.message, row: { id, [pc]: vals[i] } });
          }
        });
        cols[pc] = buildData(dt.utf8(), out, pc);
      }
      let chunk = makeChunk(MANIFEST_SCHEMA, cols, rowIdsOf(c));
      if (bad.size) {
        const keep: number[] = [];
        for (let i = 0; i < chunk.length; i++) if (!bad.has(i)) keep.push(i);
        chunk = takeChunk(chunk, keep);
      }
      yield { chunk, errors };
    }
  }
}

export function manifestSource(root: string, opts: ManifestOptions = {}): Source {
  if (typeof root !== 'string' || root.length === 0) {
    throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'readManifest needs the dataset root directory', { op: 'readManifest', fix: "readManifest('data/dataset')" });
  }
  return new ManifestSource(root, opts);
}
