// @modaflow/ops-text public API.
export * from './encode/index.ts';
export { readText, readTextDef, type ReadTextParams } from './ops/read-text.ts';
export { normalizeText, normalizeTextDef, type NormalizeParams, type NormalizeStep } from './ops/normalize-text.ts';
export { tokenize, tokenizeDef, type TokenizeParams } from './ops/tokenize.ts';
export { decodeTokens, decodeTokensDef, type DecodeTokensParams } from './ops/decode-tokens.ts';
export { Tokenizer, TruncationError, type EncodeOptions, type PaddingOptions, type TruncationOptions, type TruncationStrategy, type PaddedEncoding } from './tokenizer/tokenizer.ts';
export type { Encoding } from './tokenizer/encoding.ts';
export { encodeColumns, type ColumnsOptions, type TokenColumns } from './tokenizer/columns.ts';
export { loadTokenizer, bertFromVocab, type TokenizerSource } from './tokenizer/load.ts';
export { TokenizerConfigError } from './tokenizer/errors.ts';
