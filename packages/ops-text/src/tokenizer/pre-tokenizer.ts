// Pre-tokenizers of the tokenizer.json format: they cut the normalized text into pieces that the
// model tokenizes separately. Pieces carry their [start, end) in the normalized text (UTF-16 units)
// so offsets can be traced back; byte-level pieces also keep their unicode text.
import { charFlags, LETTER, NUMBER, PUNCT, WHITESPACE } from './unicode.ts';
import { toByteLevel } from './byte-level.ts';
import { escapeRegex } from './normalizer.ts';
import { TokenizerConfigError } from './errors.ts';

export interface Piece {
  /** What the model sees (byte-level pieces: the byte chars). */
  text: string;
  /** Range in the normalized text. */
  start: number;
  end: number;
  /** Byte-level pieces: the unicode text before byte mapping (with any prefix space). */
  raw?: string;
  /** Byte-level pieces: 1 when `raw` starts with an added prefix space that is not in the text. */
  pre?: number;
}

export interface PreTokenizer {
  /** Split every piece; returns the new list. */
  split(pieces: Piece[]): Piece[];
}

export type SplitBehavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';

/**
 * Apply HF split semantics to one piece given match ranges (sorted, non-overlapping, in piece
 * units), pushing non-empty results to out.
 */
function splitPiece(p: Piece, matches: number[], behavior: SplitBehavior, invert: boolean, out: Piece[]): void {
  // Alternating segments [a, b, isMatch] covering the piece.
  const segs: number[] = [];
  let last = 0;
  for (let k = 0; k < matches.length; k += 2) {
    const a = matches[k]!, b = matches[k + 1]!;
    if (a > last) segs.push(last, a, invert ? 1 : 0);
    if (b > a) segs.push(a, b, invert ? 0 : 1);
    last = b;
  }
  if (last < p.text.length) segs.push(last, p.text.length, invert ? 1 : 0);
  const res: number[] = []; // pairs a, b
  const n = segs.length / 3;
  if (behavior === 'Removed') {
    for (let i = 0; i < n; i++) if (!segs[i * 3 + 2]) res.push(segs[i * 3]!, segs[i * 3 + 1]!);
  } else if (behavior === 'Isolated') {
    for (let i = 0; i < n; i++) res.push(segs[i * 3]!, segs[i * 3 + 1]!);
  } else if (behavior === 'MergedWithPrevious') {
    let prev = false;
    for (let i = 0; i < n; i++) {
      const m = segs[i * 3 + 2] === 1;
      if (m && !prev && res.length) res[res.length - 1] = segs[i * 3 + 1]!;
      else res.push(segs[i * 3]!, segs[i * 3 + 1]!);
      prev = m;
    }
  } else if (behavior === 'Contiguous') {
    let prev = false;
    for (let i = 0; i < n; i++) {
      const m = segs[i * 3 + 2] === 1;
      if (m === prev && res.length) res[res.length - 1] = segs[i * 3 + 1]!;
      else res.push(segs[i * 3]!, segs[i * 3 + 1]!);
      prev = m;
    }
  } else {
    // MergedWithNext: fold from the right.
    const rev: number[] = [];
    let prev = false;
    for (let i = n - 1; i >= 0; i--) {
      const m = segs[i * 3 + 2] === 1;
      if (m && !prev && rev.length) rev[rev.length - 2] = segs[i * 3]!;
      else rev.push(segs[i * 3]!, segs[i * 3 + 1]!);
      prev = m;
    }
    for (let k = rev.length - 2; k >= 0; k -= 2) res.push(rev[k]!, rev[k + 1]!);
  }
  for (let k = 0; k < res.length; k += 2) {
    const a = res[k]!, b = res[k + 1]!;
    if (b > a) out.push(subPiece(p, a, b));
  }
}

function subPiece(p: Piece, a: number, b: number): Piece {
  if (a === 0 && b === p.text.length) return p;
  return { text: p.text.slice(a, b), start: p.start + a, end: p.start + b };
}

function regexMatches(re: RegExp, s: string): number[] {
  const out: number[] = [];
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    if (m[0].length === 0) { re.lastIndex++; continue; }
    out.push(m.index, m.index + m[0].length);
  }
  return out;
}

/** Splits by a per-char predicate: each matching char is its own match (or runs, for Contiguous). */
class CharClassSplit implements PreTokenizer {
  constructor(private readonly pred: (cp: number) => boolean, private readonly behavior: SplitBehavior) {}
  split(pieces: Piece[]): Piece[] {
    const out: Piece[] = [];
    for (const p of pieces) {
      const s = p.text;
      const m: number[] = [];
      for (let i = 0; i < s.length; ) {
        const cp = s.codePointAt(i)!;
        const w = cp > 0xffff ? 2 : 1;
        if (this.pred(cp)) m.push(i, i + w);
        i += w;
      }
      if (m.length === 0) { if (s.length) out.push(p); continue; }
      splitPiece(p, m, this.behavior, false, out);
    }
    return out;
  }
}

const isWs = (cp: number) => (charFlags(cp) & WHITESPACE) !== 0;
const isPunct = (cp: number) => (charFlags(cp) & PUNCT) !== 0;

/** BertPreTokenizer: split on whitespace (removed) and punctuation (isolated). */
export class BertPreTokenizer implements PreTokenizer {
  split(pieces: Piece[]): Piece[] {
    const out: Piece[] = [];
    for (const p of pieces) bertSplit(p.text, p.start, out);
    return out;
  }
}

/** The BERT split of one string, pushing pieces at base offset `base`. */
export function bertSplit(s: string, base: number, out: Piece[]): void {
  let start = -1;
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    let cp = c, w = 1;
    if (c >= 0xd800 && c <= 0xdbff) { cp = s.codePointAt(i)!; w = cp > 0xffff ? 2 : 1; }
    const f = c === 32 ? WHITESPACE : charFlags(cp);
    if (f & WHITESPACE) {
      if (start >= 0) { out.push({ text: s.slice(start, i), start: base + start, end: base + i }); start = -1; }
    } else if (f & PUNCT) {
      if (start >= 0) { out.push({ text: s.slice(start, i), start: base + start, end: base + i }); start = -1; }
      out.push({ text: s.slice(i, i + w), start: base + i, end: base + i + w });
    } else if (start < 0) start = i;
    i += w;
  }
  if (start >= 0) out.push({ text: s.slice(start), start: base + start, end: base + s.length });
}

// Oniguruma's \s (Unicode White_Space) rather than JavaScript's (which adds U+FEFF, lacks U+0085).
const WS = '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** The GPT-2 split pattern of HF's ByteLevel pre-tokenizer. */
export const GPT2_PATTERN = new RegExp(
  `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|[${WS}]+(?![^${WS}])|[${WS}]+`, 'gu');

/**
 * The GPT-2 pattern as a hand-written scanner (faster than the regex, and it uses HF's Unicode
 * letter/number classes): pushes [start, end) pairs of s to out.
 */
export function gpt2Split(s: string, out: number[]): void {
  const n = s.length;
  const cpAt = (i: number) => { const c = s.charCodeAt(i); return c >= 0xd800 && c <= 0xdbff ? s.codePointAt(i)! : c; };
  const cls = (i: number) => {
    const cp = cpAt(i);
    const f = cp < 128 ? ASCII_CLASS[cp]! : charFlags(cp);
    return f & WHITESPACE ? WHITESPACE : f & LETTER ? LETTER : f & NUMBER ? NUMBER : 0;
  };
  const width = (i: number) => (cpAt(i) > 0xffff ? 2 : 1);
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 39 && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d === 115 || d === 116 || d === 109 || d === 100) { out.push(i, i + 2); i += 2; continue; }
      if (i + 2 < n) {
        const e = s.charCodeAt(i + 2);
        if ((d === 114 && e === 101) || (d === 118 && e === 101) || (d === 108 && e === 108)) { out.push(i, i + 3); i += 3; continue; }
      }
    }
    let j = i;
    if (c === 32 && i + 1 < n && cls(i + 1) !== WHITESPACE) j = i + 1;
    const k = cls(j);
    if (k !== WHITESPACE) {
      let e = j + width(j);
      // The other-chars run stops at whitespace, letters and numbers.
      while (e < n && cls(e) === k) e += width(e);
      out.push(i, e); i = e; continue;
    }
    let e = i;
    while (e < n && cls(e) === WHITESPACE) e += width(e);
    if (e < n && e - i > 1) {
      // \s+(?!\S): leave the last whitespace char to prefix the next token.
      const last = (s.charCodeAt(e - 1) & 0xfc00) === 0xdc00 ? e - 2 : e - 1;
      if (last > i) { out.push(i, last); i = last; continue; }
    }
    out.push(i, e); i = e;
  }
}

const ASCII_CLASS = (() => {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) t[c] = charFlags(c);
  return t;
})();

/** Convert a regex source written for Oniguruma to a JS regex (\s, \w, \d as Unicode classes). */
export function onigToJs(src: string): RegExp {
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\' && i + 1 < src.length) {
      const d = src[i + 1]!;
      const inClass = isInClass(src, i);
      const wrap = (body: string) => (inClass ? body : `[${body}]`);
      if (d === 's') { out += wrap(WS); i++; continue; }
      if (d === 'S') { out += inClass ? '\\S' : `[^${WS}]`; i++; continue; }
      if (d === 'w') { out += wrap('\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}'); i++; continue; }
      if (d === 'd') { out += wrap('\\p{Nd}'); i++; continue; }
      out += c + d; i++; continue;
    }
    out += c;
  }
  return new RegExp(out, 'gu');
}

function isInClass(src: string, at: number): boolean {
  let depth = 0;
  for (let i = 0; i < at; i++) {
    if (src[i] === '\\') { i++; continue; }
    if (src[i] === '[') depth++;
    else if (src[i] === ']' && depth > 0) depth--;
  }
  return depth > 0;
}

/** ByteLevel: optional prefix space, GPT-2 regex split, then bytes → chars. */
export class ByteLevelPreTokenizer implements PreTokenizer {
  constructor(readonly addPrefixSpace: boolean, readonly useRegex: boolean) {}
  split(pieces: Piece[]): Piece[] {
    const out: Piece[] = [];
    for (const p of pieces) {
      const pre = this.addPrefixSpace && !p.text.startsWith(' ') ? 1 : 0;
      const s = pre ? ' ' + p.text : p.text;
      if (!this.useRegex) {
        out.push({ text: toByteLevel(s), start: p.start, end: p.end, raw: s, pre });
        continue;
      }
      const r: number[] = [];
      gpt2Split(s, r);
      for (let k = 0; k < r.length; k += 2) {
        const a = r[k]!, b = r[k + 1]!;
        const raw = s.slice(a, b);
        out.push({ text: toByteLevel(raw), raw, pre: pre && a === 0 ? 1 : 0, start: p.start + Math.max(0, a - pre), end: p.start + b - pre });
      }
    }
    return out;
  }
}

/** Whitespace: `\w+|[^\w\s]+` kept, the rest dropped. */
export class RegexKeepPreTokenizer implements PreTokenizer {
  constructor(private readonly re: RegExp, private readonly behavior: SplitBehavior, private readonly invert: boolean) {}
  split(pieces: Piece[]): Piece[] {
    const out: Piece[] = [];
    for (const p of pieces) splitPiece(p, regexMatches(this.re, p.text), this.behavior, this.invert, out);
    return out;
  }
}

/** Metaspace (SentencePiece style): spaces become '▁', a '▁' prefix, split before each '▁'. */
export class MetaspacePreTokenizer implements PreTokenizer {
  constructor(readonly replacement: string, readonly prependScheme: 'always' | 'first' | 'never', readonly splitOnIt: boolean) {}
  split(pieces: Piece[]): Piece[] {
    const out: Piece[] = [];
    pieces.forEach((p, idx) => {
      let s = p.text.replaceAll(' ', this.replacement);
      let pre = 0;
      if ((this.prependScheme === 'always' || (this.prependScheme === 'first' && idx === 0 && p.start === 0)) && !s.startsWith(this.replacement)) {
        s = this.replacement + s; pre = this.replacement.length;
      }
      const q: Piece = { text: s, start: p.start, end: p.end };
      if (!this.splitOnIt) { out.push(q); return; }
      const m: number[] = [];
      for (let i = s.indexOf(this.replacement); i >= 0; i = s.indexOf(this.replacement, i + 1)) m.push(i, i + this.replacement.length);
      const tmp: Piece[] = [];
      splitPiece(q, m, 'MergedWithNext', false, tmp);
      for (const t of tmp) out.push({ text: t.text, start: Math.max(p.start, t.start - pre), end: Math.max(p.start, t.end - pre) });
    });
    return out;
  }
}

export class SequencePreTokenizer implements PreTokenizer {
  constructor(readonly items: readonly PreTokenizer[]) {}
  split(pieces: Piece[]): Piece[] {
    for (const t of this.items) pieces = t.split(pieces);
    return pieces;
  }
}

function behaviorOf(b: unknown): SplitBehavior {
  const s = String(b ?? 'Isolated');
  const map: Record<string, SplitBehavior> = {
    removed: 'Removed', isolated: 'Isolated', mergedwithprevious: 'MergedWithPrevious', merged_with_previous: 'MergedWithPrevious',
    mergedwithnext: 'MergedWithNext', merged_with_next: 'MergedWithNext', contiguous: 'Contiguous',
  };
  const r = map[s.toLowerCase()];
  if (!r) throw new TokenizerConfigError(`unknown split behavior '${s}'`);
  return r;
}

/** Build a pre-tokenizer from its tokenizer.json description (null: none). */
export function preTokenizerFromJson(j: any): PreTokenizer | null {
  if (j === null || j === undefined) return null;
  switch (j.type) {
    case 'BertPreTokenizer': return new BertPreTokenizer();
    case 'ByteLevel': return new ByteLevelPreTokenizer(j.add_prefix_space ?? true, j.use_regex ?? true);
    case 'Whitespace': return new RegexKeepPreTokenizer(onigToJs('\\w+|[^\\w\\s]+'), 'Removed', true);
    case 'WhitespaceSplit': return new CharClassSplit(isWs, 'Removed');
    case 'Punctuation': return new CharClassSplit(isPunct, behaviorOf(j.behavior));
    case 'Digits': return new CharClassSplit((cp) => (charFlags(cp) & NUMBER) !== 0, j.individual_digits ? 'Isolated' : 'Contiguous');
    case 'CharDelimiterSplit': { const d = String(j.delimiter); return new CharClassSplit((cp) => String.fromCodePoint(cp) === d, 'Removed'); }
    case 'Split': {
      const re = j.pattern?.String !== undefined ? new RegExp(escapeRegex(j.pattern.String), 'gu') : j.pattern?.Regex !== undefined ? onigToJs(j.pattern.Regex) : null;
      if (!re) throw new TokenizerConfigError('Split pre-tokenizer needs a String or Regex pattern');
      return new RegexKeepPreTokenizer(re, behaviorOf(j.behavior), j.invert ?? false);
    }
    case 'Metaspace': {
      const scheme = j.prepend_scheme ?? (j.add_prefix_space === false ? 'never' : 'always');
      return new MetaspacePreTokenizer(j.replacement ?? '\u2581', scheme, j.split ?? true);
    }
    case 'Sequence': return new SequencePreTokenizer((j.pretokenizers ?? []).map(preTokenizerFromJson).filter((x: PreTokenizer | null): x is PreTokenizer => x !== null));
    default:
      throw new TokenizerConfigError(`pre-tokenizer type '${j.type}' is not supported`, 'use BertPreTokenizer, ByteLevel, Whitespace, WhitespaceSplit, Punctuation, Digits, CharDelimiterSplit, Split, Metaspace or Sequence');
  }
}
