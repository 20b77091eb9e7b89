// The models of the tokenizer.json format: WordPiece (BERT), BPE (GPT-2, RoBERTa, byte-level or
// not) and WordLevel. A model turns one pre-tokenized piece into ids; the tokens of a piece always
// tile it, so each is described by its end (UTF-16 units of the piece text) alone. Results are
// cached per distinct piece: captions repeat words, and the cache is what makes this fast.
import { TokenizerConfigError } from './errors.ts';

export interface Model {
  /** Tokenize one piece: push ids, and when `ends` is given each token's end within the piece. */
  tokenize(text: string, ids: number[], ends?: number[]): void;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  readonly vocabSize: number;
}

const CACHE_MAX = 200_000;

interface Cached { readonly ids: readonly number[]; readonly ends: readonly number[] }

abstract class CachedModel implements Model {
  protected readonly vocab: Map<string, number>;
  protected readonly inverse: string[];
  private cache = new Map<string, Cached>();

  constructor(vocab: Map<string, number>) {
    this.vocab = vocab;
    this.inverse = [];
    for (const [t, id] of vocab) this.inverse[id] = t;
  }

  get vocabSize(): number { return this.vocab.size; }
  tokenToId(token: string): number | undefined { return this.vocab.get(token); }
  idToToken(id: number): string | undefined { return this.inverse[id]; }

  protected abstract compute(text: string, ids: number[], ends: number[]): void;

  tokenize(text: string, ids: number[], ends?: number[]): void {
    let c = this.cache.get(text);
    if (c === undefined) {
      const i: number[] = [], e: number[] = [];
      this.compute(text, i, e);
      c = { ids: i, ends: e };
      if (this.cache.size >= CACHE_MAX) this.cache = new Map();
      this.cache.set(text, c);
    }
    for (let k = 0; k < c.ids.length; k++) ids.push(c.ids[k]!);
    if (ends) for (let k = 0; k < c.ends.length; k++) ends.push(c.ends[k]!);
  }
}

function codePointCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!(c >= 0xdc00 && c <= 0xdfff && i > 0 && (s.charCodeAt(i - 1) & 0xfc00) === 0xd800)) n++;
  }
  return n;
}

/** Greedy longest-match-first WordPiece, as BERT's. */
export class WordPiece extends CachedModel {
  readonly unkToken: string;
  readonly prefix: string;
  readonly maxChars: number;
  private readonly unkId: number;

  constructor(vocab: Map<string, number>, o: { unkToken?: string; prefix?: string; maxInputCharsPerWord?: number } = {}) {
    super(vocab);
    this.unkToken = o.unkToken ?? '[UNK]';
    this.prefix = o.prefix ?? '##';
    this.maxChars = o.maxInputCharsPerWord ?? 100;
    const u = vocab.get(this.unkToken);
    if (u === undefined) throw new TokenizerConfigError(`WordPiece unk token '${this.unkToken}' is not in the vocabulary`);
    this.unkId = u;
  }

  protected compute(s: string, ids: number[], ends: number[]): void {
    if (s.length === 0) return;
    if (s.length > this.maxChars && codePointCount(s) > this.maxChars) { ids.push(this.unkId); ends.push(s.length); return; }
    const n0 = ids.length;
    let start = 0;
    while (start < s.length) {
      let end = s.length;
      let found = -1;
      while (start < end) {
        const sub = start > 0 ? this.prefix + s.slice(start, end) : s.slice(start, end);
        const id = this.vocab.get(sub);
        if (id !== undefined) { found = id; break; }
        // Step back one code point.
        end -= end - 2 >= start && (s.charCodeAt(end - 1) & 0xfc00) === 0xdc00 && (s.charCodeAt(end - 2) & 0xfc00) === 0xd800 ? 2 : 1;
      }
      if (found < 0) {
        ids.length = n0; ends.length = n0;
        ids.push(this.unkId); ends.push(s.length);
        return;
      }
      ids.push(found); ends.push(end);
      start = end;
    }
  }
}

/** A binary min-heap of (rank, pos) packed in one float: rank * 2^24 + pos. */
class MergeHeap {
  private readonly a: number[] = [];
  get size(): number { return this.a.length; }
  push(v: number): void {
    const a = this.a;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= v) break;
      a[i] = a[p]!; i = p;
    }
    a[i] = v;
  }
  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length) {
      let i = 0;
      const n = a.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && a[r]! < a[l]! ? r : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!; i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

const POS = 1 << 24;

/** Byte-pair encoding with HF's merge order: lowest rank first, leftmost on ties. */
export class Bpe extends CachedModel {
  private readonly mergeRank = new Map<number, number>();
  private readonly mergeNew = new Map<number, number>();
  private readonly stride: number;
  readonly unkToken: string | null;
  readonly prefix: string;
  readonly suffix: string;
  readonly fuseUnk: boolean;
  readonly byteFallback: boolean;
  readonly ignoreMerges: boolean;

  constructor(vocab: Map<string, number>, merges: readonly (readonly [string, string])[], o: {
    unkToken?: string | null; prefix?: string | null; suffix?: string | null; fuseUnk?: boolean; byteFallback?: boolean; ignoreMerges?: boolean;
  } = {}) {
    super(vocab);
    this.unkToken = o.unkToken ?? null;
    this.prefix = o.prefix ?? '';
    this.suffix = o.suffix ?? '';
    this.fuseUnk = o.fuseUnk ?? false;
    this.byteFallback = o.byteFallback ?? false;
    this.ignoreMerges = o.ignoreMerges ?? false;
    let maxId = 0;
    for (const id of vocab.values()) if (id > maxId) maxId = id;
    this.stride = maxId + 1;
    merges.forEach(([a, b], rank) => {
      const ia = vocab.get(a), ib = vocab.get(b);
      if (ia === undefined || ib === undefined) throw new TokenizerConfigError(`BPE merge '${a} ${b}' uses a token missing from the vocabulary`);
      const merged = a + (this.prefix && b.startsWith(this.prefix) ? b.slice(this.prefix.length) : b);
      const nid = vocab.get(merged);
      if (nid === undefined) throw new TokenizerConfigError(`BPE merge '${a} ${b}' makes '${merged}', which is not in the vocabulary`);
      const key = ia * this.stride + ib;
      if (!this.mergeRank.has(key)) { this.mergeRank.set(key, rank); this.mergeNew.set(key, nid); }
    });
  }

  protected compute(w: string, ids: number[], ends: number[]): void {
    if (w.length === 0) return;
    if (this.ignoreMerges) {
      const id = this.vocab.get(w);
      if (id !== undefined) { ids.push(id); ends.push(w.length); return; }
    }
    // Initial symbols: one per char (or its fallback bytes / unk).
    const sym: number[] = [];
    const symEnd: number[] = [];
    let unkId = -1, unkEnd = 0;
    const unkTokenId = this.unkToken !== null ? this.vocab.get(this.unkToken) : undefined;
    for (let i = 0; i < w.length; ) {
      const cp = w.codePointAt(i)!;
      const wd = cp > 0xffff ? 2 : 1;
      const end = i + wd;
      let s = w.slice(i, end);
      if (i > 0 && this.prefix) s = this.prefix + s;
      if (end === w.length && this.suffix) s = s + this.suffix;
      const id = this.vocab.get(s);
      if (id !== undefined) {
        if (unkId >= 0) { sym.push(unkId); symEnd.push(unkEnd); unkId = -1; }
        sym.push(id); symEnd.push(end);
      } else {
        let handled = false;
        if (this.byteFallback) {
          const bytes = new TextEncoder().encode(s);
          const fb: number[] = [];
          for (const b of bytes) {
            const t = this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
            if (t === undefined) break;
            fb.push(t);
          }
          if (fb.length === bytes.length) {
            if (unkId >= 0) { sym.push(unkId); symEnd.push(unkEnd); unkId = -1; }
            // Fallback bytes share the char's span; the last one ends it.
            for (let k = 0; k < fb.length; k++) { sym.push(fb[k]!); symEnd.push(k === fb.length - 1 ? end : i); }
            handled = true;
          }
        }
        if (!handled && unkTokenId !== undefined) {
          if (unkId >= 0 && this.fuseUnk) unkEnd = end;
          else {
            if (unkId >= 0) { sym.push(unkId); symEnd.push(unkEnd); }
            unkId = unkTokenId; unkEnd = end;
          }
        }
      }
      i = end;
    }
    if (unkId >= 0) { sym.push(unkId); symEnd.push(unkEnd); }
    const n = sym.length;
    if (n > 1) this.mergeAll(sym, symEnd, n);
    for (let k = 0; k < n; k++) if (sym[k]! >= 0) { ids.push(sym[k]!); ends.push(symEnd[k]!); }
  }

  /** Merge in place; merged-away symbols become -1. */
  private mergeAll(sym: number[], symEnd: number[], n: number): void {
    const next = new Int32Array(n), prev = new Int32Array(n);
    for (let i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; }
    const heap = new MergeHeap();
    const stride = this.stride;
    for (let i = 0; i + 1 < n; i++) {
      const r = this.mergeRank.get(sym[i]! * stride + sym[i + 1]!);
      if (r !== undefined) heap.push(r * POS + i);
    }
    while (heap.size) {
      const top = heap.pop();
      const rank = Math.floor(top / POS);
      const i = top - rank * POS;
      if (sym[i]! < 0) continue;
      const j = next[i]!;
      if (j < 0) continue;
      const key = sym[i]! * stride + sym[j]!;
      if (this.mergeRank.get(key) !== rank) continue;
      sym[i] = this.mergeNew.get(key)!;
      symEnd[i] = symEnd[j]!;
      sym[j] = -1;
      const k = next[j]!;
      next[i] = k;
      if (k >= 0) prev[k] = i;
      const p = prev[i]!;
      if (p >= 0) {
        const r = this.mergeRank.get(sym[p]! * stride + sym[i]!);
        if (r !== undefined) heap.push(r * POS + p);
      }
      if (k >= 0) {
        const r = this.mergeRank.get(sym[i]! * stride + sym[k]!);
        if (r !== undefined) heap.push(r * POS + i);
      }
    }
  }
}

/** Whole pieces looked up in a vocabulary, unknown → unk. */
export class WordLevel extends CachedModel {
  private readonly unkId: number | undefined;
  constructor(vocab: Map<string, number>, unkToken: string | null) {
    super(vocab);
    this.unkId = unkToken === null ? undefined : vocab.get(unkToken);
  }
  protected compute(s: string, ids: number[], ends: number[]): void {
    const id = this.vocab.get(s) ?? this.unkId;
    if (id === undefined) throw new TokenizerConfigError(`WordLevel: '${s}' is not in the vocabulary and there is no unk token`);
    ids.push(id); ends.push(s.length);
  }
}

function vocabMap(v: unknown): Map<string, number> {
  if (!v || typeof v !== 'object') throw new TokenizerConfigError('model.vocab is missing');
  if (Array.isArray(v)) throw new TokenizerConfigError('model.vocab is a list (a Unigram model?); only WordPiece, BPE and WordLevel are supported');
  return new Map(Object.entries(v as Record<string, number>));
}

/** Build a model from its tokenizer.json description. */
export function modelFromJson(j: any): Model {
  if (!j || typeof j !== 'object') throw new TokenizerConfigError('tokenizer.json has no model');
  const type = j.type ?? (j.merges ? 'BPE' : j.continuing_subword_prefix !== undefined ? 'WordPiece' : undefined);
  switch (type) {
    case 'WordPiece':
      return new WordPiece(vocabMap(j.vocab), { unkToken: j.unk_token, prefix: j.continuing_subword_prefix, maxInputCharsPerWord: j.max_input_chars_per_word });
    case 'BPE': {
      if (j.dropout !== null && j.dropout !== undefined && j.dropout !== 0) {
        throw new TokenizerConfigError('BPE dropout is random; a preprocessing tokenizer must be deterministic', 'set model.dropout to null');
      }
      const merges: [string, string][] = (j.merges ?? []).map((m: string | [string, string]) => {
        if (Array.isArray(m)) return [m[0], m[1]];
        const k = m.indexOf(' ');
        if (k < 0) throw new TokenizerConfigError(`BPE merge '${m}' is not 'a b'`);
        return [m.slice(0, k), m.slice(k + 1)];
      });
      return new Bpe(vocabMap(j.vocab), merges, {
        unkToken: j.unk_token, prefix: j.continuing_subword_prefix, suffix: j.end_of_word_suffix,
        fuseUnk: j.fuse_unk, byteFallback: j.byte_fallback, ignoreMerges: j.ignore_merges,
      });
    }
    case 'WordLevel': return new WordLevel(vocabMap(j.vocab), j.unk_token ?? null);
    default:
      throw new TokenizerConfigError(`model type '${type}' is not supported`, 'use a tokenizer.json with a WordPiece, BPE or WordLevel model');
  }
}

/** Parse a BERT vocab.txt: one token per line, id = line number. */
export function parseVocabTxt(text: string): Map<string, number> {
  const m = new Map<string, number>();
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  // As HF's WordPiece.from_file: each line right-trimmed; a repeated token keeps its last line.
  lines.forEach((l, i) => { m.set(l.replace(/[\p{White_Space}]+$/u, ''), i); });
  return m;
}
