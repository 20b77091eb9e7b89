// Loading tokenizers from files, cached per thread: a tokenizer.json parses in tens of ms and its
// word cache warms up over a run, so every op instance in a worker shares one.
import { readFileSync } from 'node:fs';
import { Tokenizer, type AddedToken } from './tokenizer.ts';
import { BertNormalizer } from './normalizer.ts';
import { BertPreTokenizer } from './pre-tokenizer.ts';
import { WordPiece, parseVocabTxt } from './model.ts';
import { BertProcessing } from './post-processor.ts';
import { WordPieceDecoder } from './decoder.ts';
import { TokenizerConfigError } from './errors.ts';

/** Where a tokenizer comes from: a tokenizer.json, or a BERT vocab.txt with its casing. */
export interface TokenizerSource {
  /** Path of a Hugging Face tokenizer.json. */
  readonly tokenizer?: string;
  /** Path of a BERT vocab.txt (WordPiece, one token per line). */
  readonly vocab?: string;
  /** vocab.txt only: lowercase (true for *-uncased models, false for *-cased). Default true. */
  readonly lowercase?: boolean;
  /** vocab.txt only: strip accents; defaults to `lowercase`, as in BERT. */
  readonly stripAccents?: boolean;
}

const BERT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

/** A BERT WordPiece tokenizer from a vocab.txt, as HF's BertWordPieceTokenizer / BertTokenizerFast builds it. */
export function bertFromVocab(vocabText: string, o: { lowercase?: boolean; stripAccents?: boolean } = {}): Tokenizer {
  const vocab = parseVocabTxt(vocabText);
  const need = (t: string) => {
    const id = vocab.get(t);
    if (id === undefined) throw new TokenizerConfigError(`the vocabulary has no '${t}' token`, 'pass a BERT vocab.txt (with [CLS], [SEP], [UNK])');
    return id;
  };
  const added: AddedToken[] = BERT_SPECIALS.filter((t) => vocab.has(t)).map((t) => ({
    id: vocab.get(t)!, content: t, singleWord: false, lstrip: false, rstrip: false, normalized: false, special: true,
  }));
  const lowercase = o.lowercase ?? true;
  return new Tokenizer({
    normalizer: new BertNormalizer({ cleanText: true, handleChineseChars: true, lowercase, stripAccents: o.stripAccents ?? null }),
    preTokenizer: new BertPreTokenizer(),
    model: new WordPiece(vocab, { unkToken: '[UNK]', prefix: '##', maxInputCharsPerWord: 100 }),
    postProcessor: new BertProcessing(need('[SEP]'), need('[CLS]')),
    decoder: new WordPieceDecoder('##', true),
    addedTokens: added,
  });
}

const cache = new Map<string, Tokenizer>();

/** Load (once per thread) the tokenizer a source names. */
export function loadTokenizer(src: TokenizerSource): Tokenizer {
  const key = JSON.stringify([src.tokenizer ?? null, src.vocab ?? null, src.lowercase ?? null, src.stripAccents ?? null]);
  let t = cache.get(key);
  if (t) return t;
  if ((src.tokenizer === undefined) === (src.vocab === undefined)) {
    throw new TokenizerConfigError('give exactly one of `tokenizer` (a tokenizer.json path) or `vocab` (a vocab.txt path)');
  }
  const file = (src.tokenizer ?? src.vocab)!;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TokenizerConfigError(`cannot read tokenizer file '${file}': ${(e as Error).message}`, 'pass an existing path (absolute, or relative to the working directory)');
  }
  if (src.tokenizer !== undefined) {
    let j: unknown;
    try { j = JSON.parse(text); } catch (e) {
      throw new TokenizerConfigError(`'${file}' is not valid JSON: ${(e as Error).message}`, 'pass a Hugging Face tokenizer.json');
    }
    t = Tokenizer.fromJson(j);
  } else {
    t = bertFromVocab(text, { ...(src.lowercase !== undefined ? { lowercase: src.lowercase } : {}), ...(src.stripAccents !== undefined ? { stripAccents: src.stripAccents } : {}) });
  }
  cache.set(key, t);
  return t;
}
