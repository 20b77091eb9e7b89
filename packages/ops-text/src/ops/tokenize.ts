// text.tokenize: text (and optional text pairs) → input_ids, attention_mask, token_type_ids (and
// offsets), with the Hugging Face tokenizer a tokenizer.json or a BERT vocab.txt describes.
// Truncation and padding follow HF `tokenizers` exactly; ids are tested equal to it.
import {
  defineOp, dt, InvalidArgumentError,
  type FixedSizeList, type Int32, type List, type OpCall, type Utf8,
} from '@modaflow/core';
import { loadTokenizer, type TokenizerSource } from '../tokenizer/load.ts';
import type { Tokenizer, TruncationStrategy } from '../tokenizer/tokenizer.ts';
import { encodeColumns, type TokenColumns } from '../tokenizer/columns.ts';
import { int32FixedListData, int32ListData, pairFixedListData, pairListData } from '../util/columns.ts';

export interface TokenizeParams extends TokenizerSource {
  /** The text column (utf8). */
  readonly column: string;
  /** The second text of a pair (utf8), e.g. question / passage. */
  readonly pair?: string;
  /** Add the model's special tokens ([CLS] … [SEP]); default true. */
  readonly addSpecialTokens?: boolean;
  /** Maximum length in tokens, special tokens included. Needed for truncation and 'max_length' padding. */
  readonly maxLength?: number;
  /** Truncation strategy when maxLength is set (default 'longest_first'); false: never truncate. */
  readonly truncation?: TruncationStrategy | false;
  /** Which end truncation cuts (default 'right'). */
  readonly truncationSide?: 'right' | 'left';
  /**
   * 'none' (default): lists of each row's length; 'longest': pad to the longest row of the record
   * batch; 'max_length': pad to maxLength, outputs become fixed-size lists.
   */
  readonly padding?: 'none' | 'longest' | 'max_length';
  readonly padToMultipleOf?: number;
  /** Pad id; default the vocabulary's [PAD] / <pad> id, else 0. */
  readonly padId?: number;
  readonly padTypeId?: number;
  readonly paddingSide?: 'right' | 'left';
  /** Also output `offsets`: per token [start, end) in code points of its input text (specials: [0, 0]). */
  readonly offsets?: boolean;
  /** Prefix of the output column names (default ''): `${prefix}input_ids`, … */
  readonly prefix?: string;
}

export interface TokenizeState {
  readonly tok: Tokenizer;
  readonly padId: number;
}

const STRATEGIES = new Set(['longest_first', 'only_first', 'only_second']);

function names(p: TokenizeParams) {
  const x = p.prefix ?? '';
  return { ids: `${x}input_ids`, mask: `${x}attention_mask`, types: `${x}token_type_ids`, offsets: `${x}offsets` };
}

function fixedLength(p: TokenizeParams): number | null {
  return p.padding === 'max_length' ? p.maxLength! : null;
}

export const tokenizeDef = defineOp<TokenizeParams, TokenizeState>({
  name: 'text.tokenize',
  module: import.meta.url,
  description: 'tokenize text (and pairs) with a Hugging Face tokenizer.json or BERT vocab.txt',
  inputs: (p) => ({ [p.column]: dt.utf8(), ...(p.pair !== undefined ? { [p.pair]: dt.utf8() } : {}) }),
  outputs: (p) => {
    const n = names(p);
    const L = fixedLength(p);
    const ids = L === null ? dt.list(dt.int32()) : dt.fixedSizeList(dt.int32(), L);
    return {
      [n.ids]: ids, [n.mask]: ids, [n.types]: ids,
      ...(p.offsets ? { [n.offsets]: L === null ? dt.list(dt.fixedSizeList(dt.int32(), 2)) : dt.fixedSizeList(dt.fixedSizeList(dt.int32(), 2), L) } : {}),
    };
  },
  // Batch-longest padding makes a row's length depend on its batch neighbours.
  properties: (p) => ({ costPerRow: 5, rowLocal: p.padding !== 'longest' }),
  validate(p) {
    const bad = (msg: string, fix: string): never => { throw new InvalidArgumentError('MF_INVALID_ARGUMENT', msg, { op: 'text.tokenize', fix }); };
    if (typeof p.column !== 'string' || !p.column) bad('column is required', "pass the text column: tokenize({ column: 'caption', vocab: '…/vocab.txt' })");
    if ((p.tokenizer === undefined) === (p.vocab === undefined)) bad('give exactly one of tokenizer (tokenizer.json path) or vocab (vocab.txt path)', "tokenize({ column, tokenizer: 'tokenizer.json' }) or tokenize({ column, vocab: 'vocab.txt', lowercase: true })");
    if (p.maxLength !== undefined && !(Number.isInteger(p.maxLength) && p.maxLength > 0)) bad(`maxLength ${p.maxLength} is not a positive integer`, 'pass e.g. maxLength: 128');
    if (p.truncation !== undefined && p.truncation !== false && !STRATEGIES.has(p.truncation)) bad(`truncation '${p.truncation}' is unknown`, "use 'longest_first', 'only_first', 'only_second' or false");
    if ((p.truncation === 'only_second') && p.pair === undefined) bad("truncation 'only_second' needs a pair column", 'pass pair: <column>, or use longest_first / only_first');
    if (p.padding !== undefined && !['none', 'longest', 'max_length'].includes(p.padding)) bad(`padding '${p.padding}' is unknown`, "use 'none', 'longest' or 'max_length'");
    if (p.padding === 'max_length' && p.maxLength === undefined) bad("padding 'max_length' needs maxLength", 'pass maxLength: 128');
    if (p.padding === 'max_length' && p.truncation === false) bad("padding 'max_length' with truncation false could give rows longer than maxLength, which a fixed-size column cannot hold", "keep truncation on, or use padding: 'longest'");
    if (p.padding === 'max_length' && p.padToMultipleOf !== undefined && p.maxLength! % p.padToMultipleOf !== 0) bad(`maxLength ${p.maxLength} is not a multiple of padToMultipleOf ${p.padToMultipleOf}`, 'make maxLength a multiple of padToMultipleOf');
    if (p.padToMultipleOf !== undefined && !(Number.isInteger(p.padToMultipleOf) && p.padToMultipleOf > 0)) bad(`padToMultipleOf ${p.padToMultipleOf} is not a positive integer`, 'pass e.g. padToMultipleOf: 8');
    for (const s of ['truncationSide', 'paddingSide'] as const) {
      if (p[s] !== undefined && p[s] !== 'right' && p[s] !== 'left') bad(`${s} '${p[s]}' is not 'right' or 'left'`, "use 'right' or 'left'");
    }
  },
  init(p) {
    const tok = loadTokenizer(p);
    const padId = p.padId ?? tok.tokenToId('[PAD]') ?? tok.tokenToId('<pad>') ?? 0;
    if (p.maxLength !== undefined && p.truncation !== false) {
      const need = (p.addSpecialTokens ?? true) ? tok.addedTokenCount(p.pair !== undefined) : 0;
      if (p.maxLength < need) {
        throw new InvalidArgumentError('MF_INVALID_ARGUMENT', `maxLength ${p.maxLength} is smaller than the ${need} special tokens the tokenizer adds`, { op: 'text.tokenize', fix: `use maxLength ≥ ${need + 1}` });
      }
    }
    return { tok, padId };
  },
  kernel(input, p, ctx) {
    const { tok, padId } = ctx.state;
    const texts = input.values(p.column) as (string | null)[];
    const pairs = p.pair !== undefined ? (input.values(p.pair) as (string | null)[]) : null;
    const truncation = p.maxLength !== undefined && p.truncation !== false
      ? { maxLength: p.maxLength, strategy: p.truncation || 'longest_first', direction: p.truncationSide ?? 'right' } as const
      : null;
    const c = encodeColumns(tok, texts, pairs, {
      addSpecialTokens: p.addSpecialTokens ?? true, truncation, offsets: p.offsets ?? false,
      padding: p.padding ?? 'none', ...(p.maxLength !== undefined ? { maxLength: p.maxLength } : {}),
      ...(p.padToMultipleOf !== undefined ? { padToMultipleOf: p.padToMultipleOf } : {}),
      padId, padTypeId: p.padTypeId ?? 0, paddingSide: p.paddingSide ?? 'right',
    });
    for (const e of c.errors) ctx.rowError(e.row, e.message, { column: p.column, code: 'MF_ROW_ERROR' });
    return { columns: assemble(p, c) };
  },
});

function assemble(p: TokenizeParams, c: TokenColumns) {
  const nm = names(p);
  const L = fixedLength(p);
  const { rowOffsets, valid } = c;
  const col = (v: Int32Array) => (L !== null ? int32FixedListData(L, v, valid) : int32ListData(rowOffsets, v, valid));
  return {
    [nm.ids]: col(c.ids), [nm.mask]: col(c.attentionMask), [nm.types]: col(c.typeIds),
    ...(c.offsets ? { [nm.offsets]: L !== null ? pairFixedListData(L, c.offsets, valid) : pairListData(rowOffsets, c.offsets, valid) } : {}),
  };
}

type Ids<L> = L extends number ? FixedSizeList<Int32, L> : List<Int32>;
type Pair = FixedSizeList<Int32, 2>;
type TokenizeOut<X extends string, L, Off extends boolean> =
  { [K in `${X}input_ids` | `${X}attention_mask` | `${X}token_type_ids`]: Ids<L> } &
  (Off extends true ? { [K in `${X}offsets`]: L extends number ? FixedSizeList<Pair, L> : List<Pair> } : {});

/**
 * Tokenize a text column (and optionally a pair column) into model inputs.
 *
 * With `padding: 'max_length'` the outputs are `fixed_size_list<int32>[maxLength]`; otherwise
 * `list<int32>`.
 *
 * @example
 * ds.map(tokenize({ column: 'caption', vocab: 'bert-base-uncased-vocab.txt', maxLength: 128, padding: 'max_length' }))
 * // → input_ids, attention_mask, token_type_ids: fixed_size_list<int32>[128]
 */
export function tokenize<C extends string, X extends string = '', const L extends number = number, Q extends string = never, Off extends boolean = false>(
  p: TokenizeParams & { column: C; pair?: Q; prefix?: X; maxLength: L; padding: 'max_length'; offsets?: Off },
): OpCall<{ [K in C | Q]: Utf8 }, TokenizeOut<X, L, Off>>;
export function tokenize<C extends string, X extends string = '', Q extends string = never, Off extends boolean = false>(
  p: TokenizeParams & { column: C; pair?: Q; prefix?: X; padding?: 'none' | 'longest'; offsets?: Off },
): OpCall<{ [K in C | Q]: Utf8 }, TokenizeOut<X, undefined, Off>>;
export function tokenize(p: TokenizeParams) {
  return tokenizeDef.call(p);
}
