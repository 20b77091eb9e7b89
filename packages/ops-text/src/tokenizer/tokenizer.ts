// A Hugging Face-compatible tokenizer in TypeScript: added tokens, normalizer, pre-tokenizer,
// model, post-processor, truncation and padding, decoder — the same pipeline, in the same order,
// as the Rust `tokenizers` library, so ids match it exactly.
import { type Aligned, type Normalizer, identityAligned, normalizerFromJson, escapeRegex } from './normalizer.ts';
import { type Piece, type PreTokenizer, BertPreTokenizer, bertSplit, preTokenizerFromJson } from './pre-tokenizer.ts';
import { type Model, modelFromJson } from './model.ts';
import { type PostProcessor, defaultProcess, postProcessorFromJson } from './post-processor.ts';
import { type Decoder, decoderFromJson } from './decoder.ts';
import { type Encoding, truncateEncoding } from './encoding.ts';
import { utf8UnitLengths } from './byte-level.ts';
import { charFlags, LETTER, NUMBER, WHITESPACE, wellFormed } from './unicode.ts';
import { TokenizerConfigError } from './errors.ts';

export interface AddedToken {
  readonly id: number;
  readonly content: string;
  readonly singleWord: boolean;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
  readonly normalized: boolean;
  readonly special: boolean;
}

export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';
export type Direction = 'right' | 'left';

export interface TruncationOptions {
  readonly maxLength: number;
  readonly strategy?: TruncationStrategy;
  readonly direction?: Direction;
}

export interface PaddingOptions {
  /** 'longest': to the longest encoding of the batch; 'max_length': to maxLength. */
  readonly strategy: 'longest' | 'max_length';
  readonly maxLength?: number;
  readonly padToMultipleOf?: number;
  readonly padId?: number;
  readonly padTypeId?: number;
  readonly direction?: Direction;
}

export interface EncodeOptions {
  readonly addSpecialTokens?: boolean;
  readonly truncation?: TruncationOptions | null;
  /** Compute offsets (code points of the input, as HF's char offsets). Costs time. */
  readonly offsets?: boolean;
}

/** A padded (or not) encoding with its attention mask. */
export interface PaddedEncoding extends Encoding {
  attentionMask: number[];
}

/** A row whose truncation settings cannot be met (HF's TruncationError). */
export class TruncationError extends Error {
  override name = 'TruncationError';
}

interface Matcher {
  readonly re: RegExp;
  readonly byContent: Map<string, AddedToken>;
}

/** A matched segment of the input: text to tokenize, or an added token. */
interface Segment { start: number; end: number; token: AddedToken | null }

function isWordChar(cp: number): boolean {
  return (charFlags(cp) & (LETTER | NUMBER)) !== 0 || cp === 95;
}

function buildMatcher(tokens: readonly AddedToken[]): Matcher | null {
  if (!tokens.length) return null;
  const sorted = [...tokens].sort((a, b) => b.content.length - a.content.length);
  return {
    re: new RegExp(sorted.map((t) => escapeRegex(t.content)).join('|'), 'gu'),
    byContent: new Map(tokens.map((t) => [t.content, t])),
  };
}

/** Split s around added tokens (leftmost-longest), honouring single_word / lstrip / rstrip. */
function splitAdded(s: string, m: Matcher | null): Segment[] | null {
  if (!m || s.length === 0) return null;
  m.re.lastIndex = 0;
  let match = m.re.exec(s);
  if (match === null) return null;
  const segs: Segment[] = [];
  let last = 0;
  for (; match !== null; match = m.re.exec(s)) {
    const t = m.byContent.get(match[0])!;
    let a = match.index, b = a + match[0].length;
    if (t.singleWord) {
      const before = a > 0 ? s.codePointAt(a - 1 - ((s.charCodeAt(a - 1) & 0xfc00) === 0xdc00 && a > 1 ? 1 : 0))! : -1;
      const after = b < s.length ? s.codePointAt(b)! : -1;
      if ((before >= 0 && isWordChar(before)) || (after >= 0 && isWordChar(after))) continue;
    }
    if (t.lstrip) while (a > last && charFlags(s.charCodeAt(a - 1)) & WHITESPACE) a--;
    if (t.rstrip) while (b < s.length && charFlags(s.charCodeAt(b)) & WHITESPACE) b++;
    if (a > last) segs.push({ start: last, end: a, token: null });
    segs.push({ start: a, end: b, token: t });
    last = b;
    m.re.lastIndex = b;
  }
  if (last < s.length) segs.push({ start: last, end: s.length, token: null });
  return segs;
}

/** Code point index of every UTF-16 offset 0..s.length (null when s has no surrogates). */
function codePointIndex(s: string): Int32Array | null {
  let has = false;
  for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); if (c >= 0xd800 && c <= 0xdfff) { has = true; break; } }
  if (!has) return null;
  const out = new Int32Array(s.length + 1);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    out[i] = n;
    const c = s.charCodeAt(i);
    if (!(c >= 0xdc00 && c <= 0xdfff && i > 0 && (s.charCodeAt(i - 1) & 0xfc00) === 0xd800)) n++;
    else out[i] = n - 1;
  }
  out[s.length] = n;
  return out;
}


export interface TokenizerParts {
  readonly normalizer: Normalizer | null;
  readonly preTokenizer: PreTokenizer | null;
  readonly model: Model;
  readonly postProcessor: PostProcessor | null;
  readonly decoder: Decoder | null;
  readonly addedTokens: readonly AddedToken[];
}

/**
 * A tokenizer: encode text (and text pairs) to ids with HF semantics, decode ids to text.
 *
 * @example
 * const tok = Tokenizer.fromJson(JSON.parse(readFileSync('tokenizer.json', 'utf8')));
 * tok.encode('Hello world').ids; // GPT-2: [15496, 995]
 */
export class Tokenizer {
  readonly normalizer: Normalizer | null;
  readonly preTokenizer: PreTokenizer | null;
  readonly model: Model;
  readonly postProcessor: PostProcessor | null;
  readonly decoder: Decoder | null;
  readonly addedTokens: readonly AddedToken[];
  private readonly rawMatcher: Matcher | null;
  private readonly normMatcher: Matcher | null;
  private readonly addedById = new Map<number, AddedToken>();
  private readonly addedByContent = new Map<string, AddedToken>();
  private readonly bertFast: boolean;

  constructor(p: TokenizerParts) {
    this.normalizer = p.normalizer;
    this.preTokenizer = p.preTokenizer;
    this.model = p.model;
    this.postProcessor = p.postProcessor;
    this.decoder = p.decoder;
    this.addedTokens = p.addedTokens;
    for (const t of p.addedTokens) { this.addedById.set(t.id, t); this.addedByContent.set(t.content, t); }
    // HF matches non-normalized added tokens on the raw text and normalized ones after normalizing.
    this.rawMatcher = buildMatcher(p.addedTokens.filter((t) => !t.normalized));
    this.normMatcher = buildMatcher(p.addedTokens.filter((t) => t.normalized));
    this.bertFast = p.preTokenizer instanceof BertPreTokenizer;
  }

  /** Build from a parsed Hugging Face tokenizer.json. */
  static fromJson(j: any): Tokenizer {
    if (!j || typeof j !== 'object' || !j.model) throw new TokenizerConfigError('not a tokenizer.json: no "model"');
    const addedTokens: AddedToken[] = (j.added_tokens ?? []).map((t: any) => ({
      id: t.id, content: t.content, singleWord: !!t.single_word, lstrip: !!t.lstrip, rstrip: !!t.rstrip,
      normalized: t.normalized ?? !t.special, special: !!t.special,
    }));
    return new Tokenizer({
      normalizer: normalizerFromJson(j.normalizer),
      preTokenizer: preTokenizerFromJson(j.pre_tokenizer),
      model: modelFromJson(j.model),
      postProcessor: postProcessorFromJson(j.post_processor),
      decoder: decoderFromJson(j.decoder),
      addedTokens,
    });
  }

  tokenToId(token: string): number | undefined {
    return this.addedByContent.get(token)?.id ?? this.model.tokenToId(token);
  }

  idToToken(id: number): string | undefined {
    return this.addedById.get(id)?.content ?? this.model.idToToken(id);
  }

  /** Number of special tokens the post-processor adds to a single input or a pair. */
  addedTokenCount(isPair: boolean): number {
    return this.postProcessor?.addedTokens(isPair) ?? 0;
  }

  /** Tokenize pieces of normalized text into ids (no offsets): the hot path. */
  private modelIds(norm: string, ids: number[], cap: number, words: number[] | null): void {
    let pieces: Piece[];
    if (this.bertFast) { pieces = []; bertSplit(norm, 0, pieces); }
    else pieces = this.preTokenizer ? this.preTokenizer.split([{ text: norm, start: 0, end: norm.length }]) : [{ text: norm, start: 0, end: norm.length }];
    for (const p of pieces) {
      if (ids.length >= cap) return;
      this.model.tokenize(p.text, ids);
      if (words) words.push(ids.length);
    }
  }

  private normalizedIds(seg: string, ids: number[], cap: number, words: number[] | null): void {
    const norm = this.normalizer ? this.normalizer.apply(seg) : seg;
    const sub = splitAdded(norm, this.normMatcher);
    if (!sub) { this.modelIds(norm, ids, cap, words); return; }
    for (const s of sub) {
      if (ids.length >= cap) return;
      if (s.token) { ids.push(s.token.id); if (words) words.push(ids.length); }
      else this.modelIds(norm.slice(s.start, s.end), ids, cap, words);
    }
  }

  /**
   * The model-level encoding of one sequence: no special tokens, no truncation. With a `cap`, stop
   * after the pre-tokenized word that brings the count to `cap` or more: HF does this when
   * truncating to the right (found by probing the oracle), and it decides which side of a
   * longest_first pair gets the odd token.
   */
  encodeSequence(text: string, typeId: number, withOffsets = false, cap = Infinity, capFrom: Direction = 'right'): Encoding {
    text = wellFormed(text);
    if (withOffsets) return this.encodeSequenceWithOffsets(text, typeId, cap, capFrom);
    const ids: number[] = [];
    const words = capFrom === 'left' && cap !== Infinity ? [0] : null;
    const rcap = words ? Infinity : cap;
    const segs = splitAdded(text, this.rawMatcher);
    if (!segs) this.normalizedIds(text, ids, rcap, words);
    else for (const s of segs) {
      if (ids.length >= rcap) break;
      if (s.token) { ids.push(s.token.id); if (words) words.push(ids.length); }
      else this.normalizedIds(text.slice(s.start, s.end), ids, rcap, words);
    }
    const e: Encoding = { ids, typeIds: new Array(ids.length).fill(typeId), special: new Array(ids.length).fill(0) };
    if (words) capLeft(e, words, cap);
    return e;
  }

  private encodeSequenceWithOffsets(text: string, typeId: number, cap0: number, capFrom: Direction): Encoding {
    const ids: number[] = [], starts: number[] = [], ends: number[] = [];
    const words = capFrom === 'left' && cap0 !== Infinity ? [0] : null;
    const cap = words ? Infinity : cap0;
    const segs = splitAdded(text, this.rawMatcher) ?? [{ start: 0, end: text.length, token: null }];
    for (const s of segs) {
      if (ids.length >= cap) break;
      if (s.token) { ids.push(s.token.id); starts.push(s.start); ends.push(s.end); if (words) words.push(ids.length); continue; }
      const base = identityAligned(text.slice(s.start, s.end));
      const al = this.normalizer ? this.normalizer.applyAligned(base) : base;
      const norm = al.text;
      const sub = splitAdded(norm, this.normMatcher) ?? [{ start: 0, end: norm.length, token: null }];
      for (const t of sub) {
        if (ids.length >= cap) break;
        if (t.token) {
          ids.push(t.token.id);
          if (words) words.push(ids.length);
          starts.push(s.start + al.starts[t.start]!); ends.push(s.start + al.ends[t.end - 1]!);
          continue;
        }
        const piece0: Piece = { text: norm.slice(t.start, t.end), start: t.start, end: t.end };
        const pieces = this.preTokenizer ? this.preTokenizer.split([piece0]) : [piece0];
        for (const p of pieces) {
          if (ids.length >= cap) break;
          this.pieceWithOffsets(p, al, s.start, ids, starts, ends);
          if (words) words.push(ids.length);
        }
      }
    }
    const cp = codePointIndex(text);
    if (cp) for (let i = 0; i < starts.length; i++) { starts[i] = cp[starts[i]!]!; ends[i] = cp[ends[i]!]!; }
    const e: Encoding = { ids, typeIds: new Array(ids.length).fill(typeId), special: new Array(ids.length).fill(0), starts, ends };
    if (words) capLeft(e, words, cap0);
    return e;
  }

  private pieceWithOffsets(p: Piece, al: Aligned, base: number, ids: number[], starts: number[], ends: number[]): void {
    const tokEnds: number[] = [];
    const n0 = ids.length;
    this.model.tokenize(p.text, ids, tokEnds);
    // Map a position of the piece text to a position of the normalized text.
    let toNorm: (k: number, isEnd: boolean) => number;
    if (p.raw !== undefined) {
      // Byte-level: piece positions are bytes of `raw`; a token inside a char maps to the whole char.
      const lens = utf8UnitLengths(p.raw);
      const byteToUnitStart: number[] = [], byteToUnitEnd: number[] = [];
      for (let u = 0; u < p.raw.length; u++) {
        for (let b = 0; b < lens[u]!; b++) { byteToUnitStart.push(u); byteToUnitEnd.push(u + (lens[u]! === 4 ? 2 : 1)); }
      }
      const pre = p.pre ?? 0;
      toNorm = (k, isEnd) => {
        const u = isEnd ? (k === 0 ? 0 : byteToUnitEnd[k - 1]!) : (k >= byteToUnitStart.length ? p.raw!.length : byteToUnitStart[k]!);
        return Math.min(p.end, Math.max(p.start, p.start + u - pre));
      };
    } else {
      toNorm = (k) => Math.min(p.end, p.start + k);
    }
    let prev = 0;
    for (let i = n0; i < ids.length; i++) {
      const e = tokEnds[i - n0]!;
      let a = toNorm(prev, false), b = toNorm(e, true);
      if (p.raw !== undefined && (p.pre ?? 0) === 1 && prev === 0) a = p.start;
      prev = e;
      // Normalized range → original range.
      if (b <= a) { starts.push(base + (al.starts[a] ?? al.ends[a - 1] ?? 0)); ends.push(base + (al.starts[a] ?? al.ends[a - 1] ?? 0)); continue; }
      starts.push(base + al.starts[a]!); ends.push(base + al.ends[b - 1]!);
    }
  }

  /** Encode one input (and its pair), with special tokens and truncation; no padding. */
  encode(text: string, pair: string | null = null, o: EncodeOptions = {}): Encoding {
    const withOffsets = o.offsets ?? false;
    const t = o.truncation;
    const cap = t ? t.maxLength : Infinity;
    const dir = t?.direction ?? 'right';
    const a = this.encodeSequence(text, 0, withOffsets, cap, dir);
    const b = pair === null ? null : this.encodeSequence(pair, 1, withOffsets, cap, dir);
    return this.postProcess(a, b, o);
  }

  /** Truncate model encodings and add special tokens (HF Tokenizer::post_process). */
  postProcess(a: Encoding, b: Encoding | null, o: EncodeOptions = {}): Encoding {
    const addSpecial = o.addSpecialTokens ?? true;
    const t = o.truncation;
    if (t) {
      const added = addSpecial ? this.addedTokenCount(b !== null) : 0;
      if (t.maxLength < added) throw new TruncationError(`max_length ${t.maxLength} is smaller than the ${added} special tokens added`);
      truncate(a, b, t.maxLength - added, t.strategy ?? 'longest_first', t.direction ?? 'right');
    }
    const tokens = a.starts && this.postProcessor ? [a.ids.map((id) => this.idToToken(id) ?? ''), b ? b.ids.map((id) => this.idToToken(id) ?? '') : []] : [[], []];
    return this.postProcessor ? this.postProcessor.process(a, b, addSpecial, tokens) : defaultProcess(a, b);
  }

  /** Encode a batch and pad it; row i of the result is input i. */
  encodeBatch(texts: readonly string[], pairs: readonly string[] | null = null, o: EncodeOptions & { padding?: PaddingOptions | null } = {}): PaddedEncoding[] {
    const encs = texts.map((t, i) => this.encode(t, pairs ? pairs[i]! : null, o));
    return pad(encs, o.padding ?? null);
  }

  /** Ids back to text (HF decode: added tokens by content, special ones skipped when asked). */
  decode(ids: readonly number[], skipSpecialTokens = true): string {
    const tokens: string[] = [];
    for (const id of ids) {
      const added = this.addedById.get(id);
      if (added) { if (!(skipSpecialTokens && added.special)) tokens.push(added.content); continue; }
      const t = this.model.idToToken(id);
      if (t !== undefined) tokens.push(t);
    }
    return this.decoder ? this.decoder.chain(tokens).join('') : tokens.join(' ');
  }
}

/** Keep the shortest run of whole words at the end that has at least `cap` tokens. */
function capLeft(e: Encoding, words: number[], cap: number): void {
  const total = e.ids.length;
  if (total <= cap) return;
  let keepFrom = 0;
  for (let k = words.length - 1; k >= 0; k--) if (total - words[k]! >= cap) { keepFrom = words[k]!; break; }
  truncateEncoding(e, total - keepFrom, 'left');
}

/** HF truncate_encodings: cut a (and b) so that together they fit maxLength. */
export function truncate(a: Encoding, b: Encoding | null, maxLength: number, strategy: TruncationStrategy, direction: Direction): void {
  if (maxLength === 0) { truncateEncoding(a, 0, direction); if (b) truncateEncoding(b, 0, direction); return; }
  const total = a.ids.length + (b ? b.ids.length : 0);
  if (total <= maxLength) return;
  const toRemove = total - maxLength;
  if (strategy === 'longest_first') {
    if (!b) { truncateEncoding(a, total - toRemove, direction); return; }
    let n1 = a.ids.length, n2 = b.ids.length;
    let swap = false;
    if (n1 > n2) { swap = true; [n1, n2] = [n2, n1]; }
    if (n1 > maxLength) n2 = n1;
    else n2 = Math.max(n1, maxLength - n1);
    if (n1 + n2 > maxLength) { n1 = Math.floor(maxLength / 2); n2 = n1 + (maxLength % 2); }
    if (swap) [n1, n2] = [n2, n1];
    truncateEncoding(a, n1, direction);
    truncateEncoding(b, n2, direction);
    return;
  }
  const target = strategy === 'only_first' ? a : b;
  if (!target) throw new TruncationError('truncation only_second needs a text pair (second sequence not provided)');
  const len = target.ids.length;
  if (len > toRemove) truncateEncoding(target, len - toRemove, direction);
  else throw new TruncationError(`the ${strategy === 'only_first' ? 'first' : 'second'} sequence (${len} tokens) is too short to remove ${toRemove} tokens and respect max_length`);
}

/** HF pad_encodings: pad every encoding to the batch's longest or a fixed length. */
export function pad(encs: Encoding[], p: PaddingOptions | null): PaddedEncoding[] {
  let target = 0;
  if (p) {
    if (p.strategy === 'max_length') target = p.maxLength ?? 0;
    else for (const e of encs) if (e.ids.length > target) target = e.ids.length;
    const m = p.padToMultipleOf ?? 0;
    if (m > 0 && target % m > 0) target += m - (target % m);
  }
  return encs.map((e) => {
    const out = e as PaddedEncoding;
    out.attentionMask = new Array(e.ids.length).fill(1);
    const n = target - e.ids.length;
    if (!p || n <= 0) return out;
    const padId = p.padId ?? 0, padType = p.padTypeId ?? 0;
    const fill = (a: number[] | undefined, v: number) => {
      if (!a) return;
      const extra = new Array(n).fill(v);
      if ((p.direction ?? 'right') === 'right') a.push(...extra);
      else a.unshift(...extra);
    };
    fill(out.ids, padId); fill(out.typeIds, padType); fill(out.special, 1); fill(out.attentionMask, 0);
    fill(out.starts, 0); fill(out.ends, 0); fill(out.seq, -1);
    return out;
  });
}
