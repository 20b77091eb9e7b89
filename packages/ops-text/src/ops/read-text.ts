// text.read: text from the files a column points to (a manifest's text_path), from a binary column,
// or from a string column; plain text or a JSON document with a text field ({"caption": ...}).
// Invalid UTF-8 is a row error, or replaced with U+FFFD, by policy.
import { readFile, stat } from 'node:fs/promises';
import { defineOp, dt, InvalidArgumentError, type Binary, type OpCall, type Utf8 } from '@modaflow/core';

export interface ReadTextParams {
  readonly column: string;
  /** Output column (default 'text'). */
  readonly output?: string;
  /** What the column holds: file paths (utf8, default), encoded bytes (binary), or the text itself (utf8). */
  readonly from?: 'path' | 'bytes' | 'string';
  /** 'plain' (default) or 'json': a JSON object whose `field` holds the text. */
  readonly format?: 'plain' | 'json';
  /** JSON only: the field with the text; a dotted path reaches nested objects (default 'caption'). */
  readonly field?: string;
  /** Invalid UTF-8: 'error' (default; the row fails) or 'replace' (U+FFFD, as Python's errors='replace'). */
  readonly invalidUtf8?: 'error' | 'replace';
  /** Refuse files larger than this many bytes (default 16 MiB). */
  readonly maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });

class RowProblem extends Error {
  constructor(message: string, readonly code: string) { super(message); }
}

function decodeUtf8(bytes: Uint8Array, policy: 'error' | 'replace', what: string): string {
  if (policy === 'replace') return lenient.decode(bytes);
  try {
    return fatal.decode(bytes);
  } catch {
    throw new RowProblem(`${what} is not valid UTF-8 (fix: re-encode the file as UTF-8, or pass invalidUtf8: 'replace')`, 'MF_DECODE');
  }
}

function fromJson(text: string, field: string, what: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new RowProblem(`${what} is not valid JSON: ${(e as Error).message}`, 'MF_DECODE');
  }
  let v: unknown = doc;
  for (const k of field.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !(k in (v as object))) {
      throw new RowProblem(`${what} has no field '${field}' (fix: pass field: '<name of the text field>')`, 'MF_DECODE');
    }
    v = (v as Record<string, unknown>)[k];
  }
  if (typeof v !== 'string') throw new RowProblem(`field '${field}' of ${what} is a ${v === null ? 'null' : typeof v}, not a string`, 'MF_DECODE');
  return v;
}

/** Plain text files usually end with one newline that is not part of the text. */
function dropFinalNewline(s: string): string {
  if (s.endsWith('\r\n')) return s.slice(0, -2);
  if (s.endsWith('\n')) return s.slice(0, -1);
  return s;
}

export const readTextDef = defineOp<ReadTextParams>({
  name: 'text.read',
  module: import.meta.url,
  description: 'read text from files, bytes or strings; plain or JSON with a text field',
  inputs: (p) => ({ [p.column]: p.from === 'bytes' ? dt.binary() : dt.utf8() }),
  outputs: (p) => ({ [p.output ?? 'text']: dt.utf8() }),
  properties: (p) => ({ costPerRow: p.from === 'path' || p.from === undefined ? 50 : 2 }),
  validate(p) {
    const bad = (msg: string, fix: string): never => { throw new InvalidArgumentError('MF_INVALID_ARGUMENT', msg, { op: 'text.read', fix }); };
    if (typeof p.column !== 'string' || !p.column) bad('column is required', "readText({ column: 'text_path', format: 'json', field: 'caption' })");
    if (p.from !== undefined && !['path', 'bytes', 'string'].includes(p.from)) bad(`from '${p.from}' is unknown`, "use 'path', 'bytes' or 'string'");
    if (p.format !== undefined && p.format !== 'plain' && p.format !== 'json') bad(`format '${p.format}' is unknown`, "use 'plain' or 'json'");
    if (p.field !== undefined && p.format !== 'json') bad('field only applies to format json', "add format: 'json' or drop field");
    if (p.invalidUtf8 !== undefined && p.invalidUtf8 !== 'error' && p.invalidUtf8 !== 'replace') bad(`invalidUtf8 '${p.invalidUtf8}' is unknown`, "use 'error' or 'replace'");
    if (p.maxBytes !== undefined && !(Number.isInteger(p.maxBytes) && p.maxBytes > 0)) bad(`maxBytes ${p.maxBytes} is not a positive integer`, 'pass a byte count such as 1_000_000');
  },
  async kernel(input, p, ctx) {
    const from = p.from ?? 'path';
    const policy = p.invalidUtf8 ?? 'error';
    const maxBytes = p.maxBytes ?? DEFAULT_MAX_BYTES;
    const vals = input.values(p.column) as (string | Uint8Array | null)[];
    const out: (string | null)[] = new Array(vals.length).fill(null);
    await Promise.all(vals.map(async (v, i) => {
      if (v === null) return;
      try {
        let text: string;
        let what: string;
        if (from === 'path') {
          what = `file '${v as string}'`;
          let bytes: Uint8Array;
          try {
            const st = await stat(v as string);
            if (!st.isFile()) throw new RowProblem(`${what} is not a regular file`, 'MF_FILE_MISSING');
            if (st.size > maxBytes) throw new RowProblem(`${what} has ${st.size} bytes, over maxBytes ${maxBytes} (fix: raise maxBytes)`, 'MF_LIMIT_EXCEEDED');
            bytes = await readFile(v as string);
          } catch (e) {
            if (e instanceof RowProblem) throw e;
            throw new RowProblem(`cannot read ${what}: ${(e as Error).message}`, 'MF_FILE_MISSING');
          }
          text = decodeUtf8(bytes, policy, what);
          if (p.format !== 'json') text = dropFinalNewline(text);
        } else if (from === 'bytes') {
          what = 'the bytes';
          text = decodeUtf8(v as Uint8Array, policy, what);
        } else {
          what = 'the string';
          text = v as string;
        }
        out[i] = p.format === 'json' ? fromJson(text, p.field ?? 'caption', what) : text;
      } catch (e) {
        if (e instanceof RowProblem) ctx.rowError(i, e.message, { column: p.column, code: e.code });
        else ctx.rowError(i, e as Error, { column: p.column });
      }
    }));
    return { columns: { [p.output ?? 'text']: out } };
  },
});

/**
 * Read text: from the files a column names (default), from a binary column, or from a string
 * column; plain, or JSON with a text field.
 *
 * @example
 * readManifest('data/dataset').map(readText({ column: 'text_path', format: 'json', field: 'caption', output: 'caption' }))
 */
export function readText<C extends string, O extends string = 'text'>(p: ReadTextParams & { column: C; output?: O; from?: 'path' | 'string' }): OpCall<{ [K in C]: Utf8 }, { [K in O]: Utf8 }>;
export function readText<C extends string, O extends string = 'text'>(p: ReadTextParams & { column: C; output?: O; from: 'bytes' }): OpCall<{ [K in C]: Binary }, { [K in O]: Utf8 }>;
export function readText(p: ReadTextParams) {
  return readTextDef.call(p);
}
