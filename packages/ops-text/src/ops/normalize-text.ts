// text.normalize: Unicode and BERT normalization of a text column, with the exact semantics of the
// Hugging Face normalizers (what the tokenizer sees), plus whitespace rules.
import { defineOp, dt, InvalidArgumentError, type OpCall, type Utf8 } from '@modaflow/core';
import {
  BertNormalizer, LowercaseNormalizer, SequenceNormalizer, StripAccentsNormalizer, StripNormalizer, UnicodeNormalizer,
  type Normalizer,
} from '../tokenizer/normalizer.ts';
import { charFlags, WHITESPACE, wellFormed } from '../tokenizer/unicode.ts';

/**
 * One normalization step:
 * - 'bert': BERT uncased basic normalization (clean control chars, whitespace → space, space out
 *   CJK ideographs, strip accents, lowercase); 'bert_cased': the same without lowercase/accents.
 * - 'nfc' | 'nfd' | 'nfkc' | 'nfkd': Unicode normalization forms.
 * - 'lowercase': per-char Unicode lowercase; 'strip_accents': remove combining marks (after 'nfd').
 * - 'strip': trim whitespace at both ends; 'collapse_whitespace': runs of whitespace → one space.
 */
export type NormalizeStep = 'bert' | 'bert_cased' | 'nfc' | 'nfd' | 'nfkc' | 'nfkd' | 'lowercase' | 'strip_accents' | 'strip' | 'collapse_whitespace';

export interface NormalizeParams {
  readonly column: string;
  readonly output?: string;
  /** Steps applied in order (default ['bert']). */
  readonly steps?: readonly NormalizeStep[];
}

const STEPS = new Set<string>(['bert', 'bert_cased', 'nfc', 'nfd', 'nfkc', 'nfkd', 'lowercase', 'strip_accents', 'strip', 'collapse_whitespace']);

/** Runs of whitespace (HF/Rust White_Space) → one space. */
class CollapseWhitespace implements Normalizer {
  apply(s: string): string {
    let out = '';
    let inWs = false;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (charFlags(c) & WHITESPACE) { if (!inWs) out += ' '; inWs = true; }
      else { out += s[i]; inWs = false; }
    }
    return out;
  }
  applyAligned(): never {
    throw new Error('collapse_whitespace has no alignment');
  }
}

function stepNormalizer(s: NormalizeStep): Normalizer {
  switch (s) {
    case 'bert': return new BertNormalizer({ lowercase: true });
    case 'bert_cased': return new BertNormalizer({ lowercase: false });
    case 'nfc': return new UnicodeNormalizer('NFC');
    case 'nfd': return new UnicodeNormalizer('NFD');
    case 'nfkc': return new UnicodeNormalizer('NFKC');
    case 'nfkd': return new UnicodeNormalizer('NFKD');
    case 'lowercase': return new LowercaseNormalizer();
    case 'strip_accents': return new StripAccentsNormalizer();
    case 'strip': return new StripNormalizer(true, true);
    case 'collapse_whitespace': return new CollapseWhitespace();
  }
}

export const normalizeTextDef = defineOp<NormalizeParams, Normalizer>({
  name: 'text.normalize',
  module: import.meta.url,
  description: 'BERT / Unicode / whitespace normalization of text',
  inputs: (p) => ({ [p.column]: dt.utf8() }),
  outputs: (p) => ({ [p.output ?? p.column]: dt.utf8() }),
  properties: { costPerRow: 1 },
  validate(p) {
    if (typeof p.column !== 'string' || !p.column) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'column is required', { op: 'text.normalize', fix: "normalizeText({ column: 'caption', steps: ['bert'] })" });
    }
    for (const s of p.steps ?? []) {
      if (!STEPS.has(s)) {
        throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `normalization step '${s}' is unknown`, { op: 'text.normalize', fix: `use one of ${[...STEPS].join(', ')}` });
      }
    }
  },
  init: (p) => new SequenceNormalizer((p.steps ?? ['bert']).map(stepNormalizer)),
  kernel(input, p, ctx) {
    const vals = input.values(p.column) as (string | null)[];
    return { columns: { [p.output ?? p.column]: vals.map((v) => (v === null ? null : ctx.state.apply(wellFormed(v)))) } };
  },
});

/**
 * Normalize text (default: BERT uncased basic normalization).
 *
 * @example
 * ds.map(normalizeText({ column: 'caption', steps: ['nfkc', 'collapse_whitespace', 'strip'] }))
 */
export function normalizeText<C extends string, O extends string = C>(p: NormalizeParams & { column: C; output?: O }): OpCall<{ [K in C]: Utf8 }, { [K in O]: Utf8 }> {
  return normalizeTextDef.call(p);
}
