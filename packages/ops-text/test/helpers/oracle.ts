// The HF `tokenizers` npm binding (Rust) as the oracle: builders for the BERT uncased tokenizer
// (as BertWordPieceTokenizer builds it from vocab.txt) and the GPT-2 tokenizer.json, plus the
// shared test corpus.
import * as tk from 'tokenizers';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures');
export const BERT_VOCAB = join(FIXTURES, 'bert-base-uncased-vocab.txt');
export const GPT2_JSON = join(FIXTURES, 'gpt2-tokenizer.json');
export const DATASET = join(import.meta.dirname, '..', '..', '..', '..', 'examples', 'data', 'dataset');

/** The HF BERT tokenizer from a vocab.txt: BertNormalizer, BertPreTokenizer, WordPiece, BertProcessing. */
export async function hfBert(lowercase = true): Promise<tk.Tokenizer> {
  const m = await tk.WordPiece.fromFile(BERT_VOCAB, { unkToken: '[UNK]' });
  const t = new tk.Tokenizer(m);
  t.setNormalizer(tk.bertNormalizer({ lowercase, cleanText: true, handleChineseChars: true }));
  t.setPreTokenizer(tk.bertPreTokenizer());
  t.setPostProcessor(tk.bertProcessing(['[SEP]', 102], ['[CLS]', 101]));
  t.setDecoder(tk.wordPieceDecoder('##', true));
  t.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  return t;
}

export function hfGpt2(): tk.Tokenizer {
  return tk.Tokenizer.fromFile(GPT2_JSON);
}

/** Captions of the sample dataset. */
export function captions(): string[] {
  const dir = join(DATASET, 'texts');
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
    .map((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { caption: string }).caption);
}

/** Lines that stress normalization and tokenization. */
export const EDGE_LINES: readonly string[] = [
  '',
  ' ',
  '   \t\n  ',
  'Hello, world!',
  "I can't believe it's not butter. They're here; we've gone, you'll see, I'd say, I'm fine.",
  '北京是中国的首都。我爱自然语言处理',
  '日本語のテキストとカタカナ、ひらがな',
  '한국어 문장입니다',
  'Crème brûlée, naïve café, Ångström, façade, São Paulo, Zürich, ŒUVRE',
  'ΟΔΟΣ Σίσυφος ΣΊΣΥΦΟΣ',
  'İstanbul ǅ ß ﬁ ẞ',
  'emoji 😀😃🎉 👩‍👩‍👧‍👦 🏳️‍🌈 flags 🇫🇷 skin 👍🏽',
  'control\u0000chars\u0001here\u0007\u001b[31m\u007f\u0085end\u200b\u200d\ufeff',
  'tabs\tand\nnewlines\r\nand\u00a0nbsp\u3000ideographic space',
  'supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis',
  'a'.repeat(99),
  'b'.repeat(100),
  'c'.repeat(101),
  'word'.repeat(60),
  'x'.repeat(2000),
  '[CLS] special [SEP] tokens [MASK] in [PAD] text [UNK]',
  '<|endoftext|>start and end<|endoftext|>',
  'numbers 3.14159 1,000,000 2024-11-27 $5.99 50% #hashtag @user',
  'URLs https://example.com/path?q=1&x=y and emails a.b@c.de',
  'mixed 中文English混合text 日本',
  '\u0301\u0300leading combining marks',
  'Ａｂｃ１２３ fullwidth ＡＢＣ',
  '   leading and trailing spaces   ',
  "quotes “curly” ‘single’ «guillemets» — dashes – and … ellipsis",
  'math ∑∫√∞ ≠ ≤ ≥ ± × ÷',
  'zero\u200bwidth joiner\u200ctest',
  'اللغة العربية من اليمين إلى اليسار',
  'עברית משמאל',
  'हिन्दी भाषा देवनागरी',
  'ไทย ภาษา',
  '\ud83d lone surrogate \udc00 here',
];

/** The corpus of the parity tests: captions plus the edge lines. */
export function corpus(): string[] {
  return [...captions(), ...EDGE_LINES];
}
