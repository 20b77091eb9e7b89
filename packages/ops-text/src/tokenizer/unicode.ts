// Character classes as the Hugging Face tokenizers (Rust) define them: Rust's White_Space, the
// Unicode "Other" categories for BERT's control characters, ASCII + Unicode punctuation, and the
// CJK ideograph blocks of the original BERT code. The BMP is precomputed into one flag table so the
// hot loops do an array read per char instead of a regex test.

export const WHITESPACE = 1;
/** Categories Cc, Cf, Co, Cs minus \t \n \r: removed by BERT's clean_text (before whitespace is mapped). */
export const CONTROL = 2;
export const PUNCT = 4;
export const CJK = 8;
/** Combining mark (Mn): removed after NFD by strip_accents. */
export const MARK = 16;
/** Letters / numbers: the GPT-2 split regex classes. */
export const LETTER = 32;
export const NUMBER = 64;

import * as T from './unicode-tables.ts';

const reWs = /\p{White_Space}/u;
const reOther = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/u;
const reP = /\p{P}/u;
const reMn = /\p{Mn}/u;
const reL = /\p{L}/u;
const reN = /\p{N}/u;

function isCjk(cp: number): boolean {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) || (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);
}

function inRanges(r: readonly number[], cp: number): boolean {
  for (let k = 0; k < r.length; k += 2) if (cp >= r[k]! && cp <= r[k + 1]!) return true;
  return false;
}

function computeFlags(cp: number): number {
  return applyExceptions(cp, icuFlags(cp));
}

/** Where HF's Unicode tables disagree with ICU, HF wins (see scripts/gen-unicode-tables.ts). */
function applyExceptions(cp: number, f: number): number {
  const fix = (bit: number, yes: readonly number[], no: readonly number[]) => {
    if (inRanges(yes, cp)) f |= bit;
    else if (inRanges(no, cp)) f &= ~bit;
  };
  fix(CONTROL, T.HF_CONTROL, T.HF_NOT_CONTROL);
  fix(PUNCT, T.HF_PUNCT, T.HF_NOT_PUNCT);
  fix(WHITESPACE, T.HF_WHITESPACE, T.HF_NOT_WHITESPACE);
  fix(LETTER, T.HF_LETTER, T.HF_NOT_LETTER);
  fix(NUMBER, T.HF_NUMBER, T.HF_NOT_NUMBER);
  return f;
}

function icuFlags(cp: number): number {
  const c = String.fromCodePoint(cp);
  let f = 0;
  if (cp === 9 || cp === 10 || cp === 13 || reWs.test(c)) f |= WHITESPACE;
  if (cp !== 9 && cp !== 10 && cp !== 13 && reOther.test(c)) f |= CONTROL;
  if (!(f & WHITESPACE) && ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126) || reP.test(c))) f |= PUNCT;
  if (isCjk(cp)) f |= CJK;
  if (reMn.test(c)) f |= MARK;
  if (reL.test(c)) f |= LETTER;
  if (reN.test(c)) f |= NUMBER;
  return f;
}

// The BMP table is filled class by class with global regexes over one string of all BMP chars
// (much faster at load than testing each char), then HF's exceptions are applied range by range.
const bmp = new Uint8Array(0x10000);
{
  const units = new Uint16Array(0x10000);
  for (let cp = 0; cp < 0x10000; cp++) units[cp] = cp >= 0xd800 && cp <= 0xdfff ? 0x20 : cp;
  let all = '';
  for (let k = 0; k < 0x10000; k += 4096) all += String.fromCharCode(...units.subarray(k, k + 4096));
  const mark = (re: RegExp, bit: number) => { for (const m of all.matchAll(re)) bmp[m.index] |= bit; };
  mark(/\p{White_Space}/gu, WHITESPACE);
  mark(/[\p{Cc}\p{Cf}\p{Co}]/gu, CONTROL);
  mark(/\p{P}/gu, PUNCT);
  mark(/\p{Mn}/gu, MARK);
  mark(/\p{L}/gu, LETTER);
  mark(/\p{N}/gu, NUMBER);
  for (const cp of [9, 10, 13]) { bmp[cp] = (bmp[cp]! | WHITESPACE) & ~CONTROL; }
  for (let cp = 0; cp < 128; cp++) {
    if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) bmp[cp] |= PUNCT;
  }
  for (let cp = 0; cp < 0x10000; cp++) {
    if (bmp[cp]! & WHITESPACE) bmp[cp] &= ~PUNCT;
    if (isCjk(cp)) bmp[cp] |= CJK;
  }
  // Lone surrogates: Cs (HF never sees them: Rust strings are valid UTF-8, and we replace them).
  for (let cp = 0xd800; cp <= 0xdfff; cp++) bmp[cp] = CONTROL;
  const fix = (bit: number, yes: readonly number[], no: readonly number[]) => {
    for (let k = 0; k < yes.length; k += 2) for (let cp = yes[k]!; cp <= yes[k + 1]! && cp < 0x10000; cp++) bmp[cp] |= bit;
    for (let k = 0; k < no.length; k += 2) for (let cp = no[k]!; cp <= no[k + 1]! && cp < 0x10000; cp++) bmp[cp] &= ~bit;
  };
  fix(CONTROL, T.HF_CONTROL, T.HF_NOT_CONTROL);
  fix(PUNCT, T.HF_PUNCT, T.HF_NOT_PUNCT);
  fix(WHITESPACE, T.HF_WHITESPACE, T.HF_NOT_WHITESPACE);
  fix(LETTER, T.HF_LETTER, T.HF_NOT_LETTER);
  fix(NUMBER, T.HF_NUMBER, T.HF_NOT_NUMBER);
}
const astral = new Map<number, number>();

/** The class flags of a code point. */
export function charFlags(cp: number): number {
  if (cp < 0x10000) return bmp[cp]!;
  let f = astral.get(cp);
  if (f === undefined) { f = computeFlags(cp); astral.set(cp, f); }
  return f;
}

/** HF's strip_accents of one char where it differs from NFD minus Mn (older Unicode tables). */
export function hfStripAccents(cp: number): string | undefined {
  return T.HF_STRIP_ACCENTS[cp];
}

/** Whether every UTF-16 unit of s is printable ASCII (the common fast path). */
export function isPrintableAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** s with lone surrogates replaced by U+FFFD (what UTF-8 encoding does; HF never sees them). */
export function wellFormed(s: string): string {
  let out: string | null = null;
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { i++; continue; }
    out = (out ?? '') + s.slice(last, i) + '\ufffd';
    last = i + 1;
  }
  return out === null ? s : out + s.slice(last);
}
