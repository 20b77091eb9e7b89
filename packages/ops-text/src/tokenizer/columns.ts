// A batch of texts straight to flat token columns (typed arrays): encode each row, then write ids,
// masks and type ids into one buffer per column with the padding applied in place, without
// building padded per-row arrays. What the tokenize op and the benchmark run.
import type { Encoding } from './encoding.ts';
import { TruncationError, type Direction, type Tokenizer, type TruncationOptions } from './tokenizer.ts';

export interface ColumnsOptions {
  readonly addSpecialTokens?: boolean;
  readonly truncation?: TruncationOptions | null;
  readonly offsets?: boolean;
  /** 'none', 'longest' (of this batch) or 'max_length' (every row maxLength long). */
  readonly padding?: 'none' | 'longest' | 'max_length';
  readonly maxLength?: number;
  readonly padToMultipleOf?: number;
  readonly padId?: number;
  readonly padTypeId?: number;
  readonly paddingSide?: Direction;
}

export interface TokenColumns {
  /** Row i spans [rowOffsets[i], rowOffsets[i + 1]) of the flat columns. */
  readonly rowOffsets: Int32Array;
  readonly ids: Int32Array;
  readonly attentionMask: Int32Array;
  readonly typeIds: Int32Array;
  /** start, end pairs (2 per token) when offsets were asked for. */
  readonly offsets: Int32Array | null;
  /** 0 for rows with a null input or an error; null when every row is valid. */
  readonly valid: Uint8Array | null;
  /** Rows that failed (truncation impossible), with the reason. */
  readonly errors: readonly { readonly row: number; readonly message: string }[];
}

/** Tokenize a batch (nulls allowed: null rows) into flat, padded columns. */
export function encodeColumns(tok: Tokenizer, texts: readonly (string | null)[], pairs: readonly (string | null)[] | null, o: ColumnsOptions = {}): TokenColumns {
  const n = texts.length;
  const encs: (Encoding | null)[] = new Array(n).fill(null);
  const errors: { row: number; message: string }[] = [];
  const eo = { addSpecialTokens: o.addSpecialTokens ?? true, truncation: o.truncation ?? null, offsets: o.offsets ?? false };
  let longest = 0;
  for (let i = 0; i < n; i++) {
    const t = texts[i];
    const q = pairs ? pairs[i] : null;
    if (t === null || t === undefined || (pairs && (q === null || q === undefined))) continue;
    try {
      const e = tok.encode(t, q ?? null, eo);
      encs[i] = e;
      if (e.ids.length > longest) longest = e.ids.length;
    } catch (e) {
      if (e instanceof TruncationError) errors.push({ row: i, message: e.message });
      else throw e;
    }
  }
  const padding = o.padding ?? 'none';
  let target = padding === 'max_length' ? o.maxLength ?? 0 : padding === 'longest' ? longest : 0;
  const m = o.padToMultipleOf ?? 0;
  if (padding !== 'none' && m > 0 && target % m > 0) target += m - (target % m);
  const rowOffsets = new Int32Array(n + 1);
  let allValid = true;
  for (let i = 0; i < n; i++) {
    const e = encs[i];
    if (!e) allValid = false;
    // Fixed-size columns keep a slot for null rows too.
    const len = padding === 'max_length' ? target : e ? Math.max(e.ids.length, target) : 0;
    rowOffsets[i + 1] = rowOffsets[i]! + len;
  }
  const total = rowOffsets[n]!;
  const ids = new Int32Array(total), attentionMask = new Int32Array(total), typeIds = new Int32Array(total);
  const offsets = eo.offsets ? new Int32Array(total * 2) : null;
  const padId = o.padId ?? 0, padTypeId = o.padTypeId ?? 0;
  const left = (o.paddingSide ?? 'right') === 'left';
  if (padId !== 0) ids.fill(padId);
  if (padTypeId !== 0) typeIds.fill(padTypeId);
  const valid = allValid ? null : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const e = encs[i];
    if (!e) continue;
    if (valid) valid[i] = 1;
    const span = rowOffsets[i + 1]! - rowOffsets[i]!;
    const len = Math.min(e.ids.length, span);
    const at = rowOffsets[i]! + (left ? span - len : 0);
    for (let k = 0; k < len; k++) { ids[at + k] = e.ids[k]!; typeIds[at + k] = e.typeIds[k]!; attentionMask[at + k] = 1; }
    if (offsets) for (let k = 0; k < len; k++) { offsets[2 * (at + k)] = e.starts![k]!; offsets[2 * (at + k) + 1] = e.ends![k]!; }
  }
  return { rowOffsets, ids, attentionMask, typeIds, offsets, valid, errors };
}
