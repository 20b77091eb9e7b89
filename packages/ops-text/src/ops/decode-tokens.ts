// text.decode: token ids back to text with the tokenizer's decoder, for inspection and checks.
import { defineOp, dt, InvalidArgumentError, type DType, type FixedSizeList, type Int32, type List, type OpCall, type Utf8 } from '@modaflow/core';
import { loadTokenizer, type TokenizerSource } from '../tokenizer/load.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';

export interface DecodeTokensParams extends TokenizerSource {
  /** A list<int32> or fixed_size_list<int32> column of ids (e.g. input_ids). */
  readonly column: string;
  readonly output?: string;
  /** Leave out special tokens ([CLS], [PAD], <|endoftext|>, …); default true. */
  readonly skipSpecialTokens?: boolean;
  /** Fixed-size id columns: their size (the op must know the input dtype). */
  readonly size?: number;
}

export const decodeTokensDef = defineOp<DecodeTokensParams, Tokenizer>({
  name: 'text.decode',
  module: import.meta.url,
  description: 'token ids → text with the tokenizer decoder',
  inputs: (p) => ({ [p.column]: (p.size !== undefined ? dt.fixedSizeList(dt.int32(), p.size) : dt.list(dt.int32())) as DType }),
  outputs: (p) => ({ [p.output ?? 'text']: dt.utf8() }),
  properties: { costPerRow: 3 },
  validate(p) {
    if ((p.tokenizer === undefined) === (p.vocab === undefined)) {
      throw new InvalidArgumentError('MF_INVALID_ARGUMENT', 'give exactly one of tokenizer (tokenizer.json path) or vocab (vocab.txt path)', { op: 'text.decode', fix: "decodeTokens({ column: 'input_ids', vocab: 'vocab.txt' })" });
    }
  },
  init: (p) => loadTokenizer(p),
  kernel(input, p, ctx) {
    const vals = input.values(p.column) as (number[] | null)[];
    const skip = p.skipSpecialTokens ?? true;
    return { columns: { [p.output ?? 'text']: vals.map((v) => (v === null ? null : ctx.state.decode(v, skip))) } };
  },
});

/**
 * Decode token ids to text.
 *
 * @example
 * ds.map(decodeTokens({ column: 'input_ids', vocab: 'vocab.txt', output: 'decoded' }))
 */
export function decodeTokens<C extends string, O extends string = 'text'>(p: DecodeTokensParams & { column: C; output?: O; size?: undefined }): OpCall<{ [K in C]: List<Int32> }, { [K in O]: Utf8 }>;
export function decodeTokens<C extends string, const N extends number, O extends string = 'text'>(p: DecodeTokensParams & { column: C; output?: O; size: N }): OpCall<{ [K in C]: FixedSizeList<Int32, N> }, { [K in O]: Utf8 }>;
export function decodeTokens(p: DecodeTokensParams) {
  return decodeTokensDef.call(p);
}
