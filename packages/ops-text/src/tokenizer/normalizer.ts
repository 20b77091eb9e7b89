// Normalizers of the Hugging Face tokenizer.json format, in TypeScript. Each has a plain path
// (string → string, the hot path for ids) and an aligned path that also maps every output UTF-16
// unit back to a range of the input, which offsets need. Char-local normalizers (BERT, lowercase,
// strip accents) align exactly; Unicode composition (NFC/NFKC) aligns per base char + marks.
import { charFlags, CJK, CONTROL, hfStripAccents, isPrintableAscii, WHITESPACE } from './unicode.ts';
import { TokenizerConfigError } from './errors.ts';

/** A normalized string with, for each UTF-16 unit, the original [start, end) in UTF-16 units. */
export interface Aligned {
  readonly text: string;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

export interface Normalizer {
  apply(s: string): string;
  applyAligned(a: Aligned): Aligned;
}

/** The identity alignment of a raw string. */
export function identityAligned(s: string): Aligned {
  const n = s.length;
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  for (let i = 0; i < n; i++) { starts[i] = i; ends[i] = i + 1; }
  // A surrogate pair's two units both cover the whole char, so a token never cuts one in half.
  for (let i = 0; i + 1 < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) { const d = s.charCodeAt(i + 1); if (d >= 0xdc00 && d <= 0xdfff) { ends[i] = i + 2; starts[i + 1] = i; i++; } }
  }
  return { text: s, starts, ends };
}

/** A normalizer that maps each code point independently (null: keep it unchanged). */
abstract class CharMapNormalizer implements Normalizer {
  private readonly cache = new Map<number, string | null>();
  protected abstract mapUncached(cp: number): string | null;

  protected map(cp: number): string | null {
    let r = this.cache.get(cp);
    if (r === undefined) {
      r = this.mapUncached(cp);
      if (this.cache.size < 50_000) this.cache.set(cp, r);
    }
    return r;
  }

  apply(s: string): string {
    let out: string | null = null;
    let last = 0;
    for (let i = 0; i < s.length; ) {
      const cp = s.codePointAt(i)!;
      const w = cp > 0xffff ? 2 : 1;
      const r = this.map(cp);
      if (r !== null) {
        out = (out ?? '') + s.slice(last, i) + r;
        last = i + w;
      }
      i += w;
    }
    return out === null ? s : out + s.slice(last);
  }

  applyAligned(a: Aligned): Aligned {
    const s = a.text;
    const parts: string[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    for (let i = 0; i < s.length; ) {
      const cp = s.codePointAt(i)!;
      const w = cp > 0xffff ? 2 : 1;
      const r = this.map(cp);
      const out = r === null ? s.slice(i, i + w) : r;
      const st = a.starts[i]!, en = a.ends[i + w - 1]!;
      for (let k = 0; k < out.length; k++) { starts.push(st); ends.push(en); }
      parts.push(out);
      i += w;
    }
    return { text: parts.join(''), starts: Int32Array.from(starts), ends: Int32Array.from(ends) };
  }
}

/** Per-char lowercase as Rust's char::to_lowercase: no final-sigma context rule. */
function lowerChar(c: string): string {
  return c.toLowerCase();
}

function stripMarks(s: string, marks: RegExp): string {
  return s.replace(marks, '');
}
const MN_RE = /\p{Mn}/gu;
const M_RE = /\p{M}/gu;

/** BertNormalizer: clean control chars, space out CJK, strip accents, lowercase. */
export class BertNormalizer extends CharMapNormalizer {
  readonly cleanText: boolean;
  readonly handleChineseChars: boolean;
  readonly stripAccents: boolean;
  readonly lowercase: boolean;

  constructor(o: { cleanText?: boolean; handleChineseChars?: boolean; stripAccents?: boolean | null; lowercase?: boolean } = {}) {
    super();
    this.cleanText = o.cleanText ?? true;
    this.handleChineseChars = o.handleChineseChars ?? true;
    this.lowercase = o.lowercase ?? true;
    // As in HF: strip_accents unset follows lowercase.
    this.stripAccents = o.stripAccents ?? this.lowercase;
  }

  protected mapUncached(cp: number): string | null {
    const f = charFlags(cp);
    if (this.cleanText) {
      if (cp === 0 || cp === 0xfffd || (f & CONTROL)) return '';
      if (f & WHITESPACE) return cp === 0x20 ? null : ' ';
    }
    const c = String.fromCodePoint(cp);
    let r = c;
    if (this.handleChineseChars && (f & CJK)) r = ' ' + c + ' ';
    if (this.stripAccents) r = r === c ? (hfStripAccents(cp) ?? stripMarks(r.normalize('NFD'), MN_RE)) : stripMarks(r.normalize('NFD'), MN_RE);
    if (this.lowercase) r = lowerChar(r);
    return r === c ? null : r;
  }

  override apply(s: string): string {
    // Most captions are printable ASCII: nothing to clean, no CJK, no accents.
    if (isPrintableAscii(s)) return this.lowercase ? s.toLowerCase() : s;
    return super.apply(s);
  }
}

export class LowercaseNormalizer extends CharMapNormalizer {
  protected mapUncached(cp: number): string | null {
    const c = String.fromCodePoint(cp);
    const r = lowerChar(c);
    return r === c ? null : r;
  }
  override apply(s: string): string {
    // Whole-string toLowerCase differs from per-char lowercase only for the final sigma.
    return s.indexOf('\u03a3') < 0 ? s.toLowerCase() : super.apply(s);
  }
}

/** HF StripAccents: removes combining marks (it does not decompose; put NFD before it). */
export class StripAccentsNormalizer extends CharMapNormalizer {
  protected mapUncached(cp: number): string | null {
    return /\p{M}/u.test(String.fromCodePoint(cp)) ? '' : null;
  }
  override apply(s: string): string {
    return stripMarks(s, M_RE);
  }
}

/** NFC / NFD / NFKC / NFKD. Aligned per base char with its following marks. */
export class UnicodeNormalizer implements Normalizer {
  constructor(readonly form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD') {}
  apply(s: string): string {
    return s.normalize(this.form);
  }
  applyAligned(a: Aligned): Aligned {
    const s = a.text;
    const whole = s.normalize(this.form);
    const parts: string[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    const re = /\P{M}\p{M}*|\p{M}+/gsu;
    let m: RegExpExecArray | null;
    while ((m = re.exec(s)) !== null) {
      const out = m[0].normalize(this.form);
      const st = a.starts[m.index]!, en = a.ends[m.index + m[0].length - 1]!;
      for (let k = 0; k < out.length; k++) { starts.push(st); ends.push(en); }
      parts.push(out);
    }
    const text = parts.join('');
    if (text !== whole) {
      // Composition across clusters (Hangul jamo, some compatibility sequences): align the whole
      // string proportionally rather than return a text that differs from the plain path.
      const n = whole.length, m0 = s.length;
      const st2 = new Int32Array(n), en2 = new Int32Array(n);
      for (let k = 0; k < n; k++) {
        const j = Math.min(m0 - 1, Math.floor((k * m0) / Math.max(1, n)));
        st2[k] = a.starts[j]!; en2[k] = a.ends[j]!;
      }
      return { text: whole, starts: st2, ends: en2 };
    }
    return { text, starts: Int32Array.from(starts), ends: Int32Array.from(ends) };
  }
}

/** Strip leading/trailing whitespace. */
export class StripNormalizer implements Normalizer {
  constructor(readonly left: boolean, readonly right: boolean) {}
  private bounds(s: string): [number, number] {
    let a = 0, b = s.length;
    if (this.left) while (a < b && charFlags(s.codePointAt(a)!) & WHITESPACE) a++;
    if (this.right) while (b > a && charFlags(s.charCodeAt(b - 1)) & WHITESPACE) b--;
    return [a, b];
  }
  apply(s: string): string {
    const [a, b] = this.bounds(s);
    return s.slice(a, b);
  }
  applyAligned(x: Aligned): Aligned {
    const [a, b] = this.bounds(x.text);
    return { text: x.text.slice(a, b), starts: x.starts.slice(a, b), ends: x.ends.slice(a, b) };
  }
}

/** Replace a literal string or a regex with content. */
export class ReplaceNormalizer implements Normalizer {
  private readonly re: RegExp;
  constructor(pattern: { String?: string; Regex?: string }, readonly content: string) {
    const src = pattern.String !== undefined ? escapeRegex(pattern.String) : pattern.Regex;
    if (src === undefined) throw new TokenizerConfigError('Replace normalizer needs a String or Regex pattern');
    this.re = new RegExp(src, 'gu');
  }
  apply(s: string): string {
    return s.replace(this.re, () => this.content);
  }
  applyAligned(a: Aligned): Aligned {
    const s = a.text;
    const parts: string[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    let last = 0;
    const push = (text: string, st: number, en: number) => {
      parts.push(text);
      for (let k = 0; k < text.length; k++) { starts.push(st); ends.push(en); }
    };
    for (const m of s.matchAll(this.re)) {
      for (let i = last; i < m.index; i++) { parts.push(s[i]!); starts.push(a.starts[i]!); ends.push(a.ends[i]!); }
      if (m[0].length > 0) push(this.content, a.starts[m.index]!, a.ends[m.index + m[0].length - 1]!);
      last = m.index + m[0].length;
    }
    for (let i = last; i < s.length; i++) { parts.push(s[i]!); starts.push(a.starts[i]!); ends.push(a.ends[i]!); }
    return { text: parts.join(''), starts: Int32Array.from(starts), ends: Int32Array.from(ends) };
  }
}

/** Prepend a string to non-empty input. */
export class PrependNormalizer implements Normalizer {
  constructor(readonly prepend: string) {}
  apply(s: string): string {
    return s.length ? this.prepend + s : s;
  }
  applyAligned(a: Aligned): Aligned {
    if (!a.text.length) return a;
    const n = this.prepend.length;
    const starts = new Int32Array(n + a.text.length), ends = new Int32Array(n + a.text.length);
    starts.fill(a.starts[0]!, 0, n); ends.fill(a.ends[0]!, 0, n);
    starts.set(a.starts, n); ends.set(a.ends, n);
    return { text: this.prepend + a.text, starts, ends };
  }
}

export class SequenceNormalizer implements Normalizer {
  constructor(readonly items: readonly Normalizer[]) {}
  apply(s: string): string {
    for (const n of this.items) s = n.apply(s);
    return s;
  }
  applyAligned(a: Aligned): Aligned {
    for (const n of this.items) a = n.applyAligned(a);
    return a;
  }
}

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Build a normalizer from its tokenizer.json description (null: none). */
export function normalizerFromJson(j: any): Normalizer | null {
  if (j === null || j === undefined) return null;
  switch (j.type) {
    case 'BertNormalizer':
      return new BertNormalizer({ cleanText: j.clean_text, handleChineseChars: j.handle_chinese_chars, stripAccents: j.strip_accents, lowercase: j.lowercase });
    case 'Lowercase': return new LowercaseNormalizer();
    case 'StripAccents': return new StripAccentsNormalizer();
    case 'NFC': case 'NFD': case 'NFKC': case 'NFKD': return new UnicodeNormalizer(j.type);
    case 'Strip': return new StripNormalizer(j.strip_left ?? true, j.strip_right ?? true);
    case 'Replace': return new ReplaceNormalizer(j.pattern ?? {}, j.content ?? '');
    case 'Prepend': return new PrependNormalizer(j.prepend ?? '');
    case 'Sequence': return new SequenceNormalizer((j.normalizers ?? []).map(normalizerFromJson).filter((n: Normalizer | null): n is Normalizer => n !== null));
    default:
      throw new TokenizerConfigError(`normalizer type '${j.type}' is not supported`, 'use a tokenizer.json with BertNormalizer, Lowercase, StripAccents, NFC/NFD/NFKC/NFKD, Strip, Replace, Prepend or Sequence normalizers');
  }
}
