// Text tokenization throughput: modaflow's TypeScript tokenizers against the Hugging Face
// `tokenizers` Rust binding (its encodeBatch, same settings), in the same process on the same
// corpus. WordPiece bert-base-uncased at max_length 128 (truncation + padding to max_length) on
// ≥10 MB of captions, and GPT-2 byte-level BPE. "Per core": the binding runs with
// TOKENIZERS_PARALLELISM=false (one thread); its default multi-threaded figure is reported too.
// Ours produces the op's flat int32 columns; the binding's ids and masks are read out as JS arrays.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { bertFromVocab, encodeColumns, Tokenizer } from '@modaflow/ops-text';
import { compare, report, type Comparison } from './harness.ts';

const root = join(import.meta.dirname, '..', '..');
const fixtures = join(root, 'packages', 'ops-text', 'test', 'fixtures');
// The binding is ops-text's devDependency (the oracle of its tests); load it from there.
interface HfEncoding { getIds(): number[]; getAttentionMask(): number[] }
interface HfTokenizer {
  encodeBatch(texts: string[]): Promise<HfEncoding[]>;
  setNormalizer(n: unknown): void; setPreTokenizer(p: unknown): void; setPostProcessor(p: unknown): void;
  addSpecialTokens(t: string[]): void; setTruncation(n: number): void; setPadding(o: { maxLength: number; padId: number }): void;
}
/** The part of the binding's API the benchmark uses. */
interface HfBinding {
  Tokenizer: { new (model: unknown): HfTokenizer; fromFile(path: string): HfTokenizer };
  WordPiece: { fromFile(vocab: string, o: { unkToken: string }): Promise<unknown> };
  bertNormalizer(o: { lowercase: boolean }): unknown;
  bertPreTokenizer(): unknown;
  bertProcessing(sep: [string, number], cls: [string, number]): unknown;
}
const tk = createRequire(join(root, 'packages', 'ops-text', 'package.json'))('tokenizers') as HfBinding;

const MB = 1024 * 1024;
const utf8Bytes = (xs: readonly string[]) => xs.reduce((n, s) => n + Buffer.byteLength(s), 0);

/** The sample captions repeated to ≥ size bytes (what the issue asks for: a real caption corpus). */
function captionCorpus(size: number): string[] {
  const dir = join(root, 'examples', 'data', 'dataset', 'texts');
  const caps = readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')).caption as string);
  const out: string[] = [];
  let n = 0;
  while (n < size) { const c = caps[out.length % caps.length]!; out.push(c); n += Buffer.byteLength(c); }
  return out;
}

/**
 * Captions of varied words: the repeated sample has only ~100 distinct words, which flatters any
 * word cache. Words are drawn Zipf-like from the whole BERT vocabulary (plus casing, punctuation and
 * a few accented / CJK words), deterministically.
 */
function variedCorpus(size: number, vocab: string): string[] {
  const words = vocab.split('\n').filter((w) => /^[a-z]+$/.test(w));
  const extra = ['Café', 'naïve', 'Zürich', '北京', 'São', 'crème', '东京'];
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const out: string[] = [];
  let n = 0;
  while (n < size) {
    const len = 6 + Math.floor(rnd() * 14);
    const ws: string[] = [];
    for (let i = 0; i < len; i++) {
      const r = rnd();
      let w = r < 0.02 ? extra[Math.floor(rnd() * extra.length)]! : words[Math.floor(words.length * rnd() ** 3)]!;
      if (i === 0) w = w[0]!.toUpperCase() + w.slice(1);
      ws.push(w + (rnd() < 0.08 ? ',' : ''));
    }
    const c = ws.join(' ') + '.';
    out.push(c);
    n += Buffer.byteLength(c);
  }
  return out;
}

const BATCH = 1024;

/** What the tokenize op's kernel does per record batch: texts → flat padded int32 columns. */
function oursRun(t: Tokenizer, texts: readonly string[], maxLength: number, padId: number): number {
  let tokens = 0;
  for (let i = 0; i < texts.length; i += BATCH) {
    const c = encodeColumns(t, texts.slice(i, i + BATCH), null, { truncation: { maxLength }, padding: 'max_length', maxLength, padId });
    for (let k = 0; k < c.attentionMask.length; k++) tokens += c.attentionMask[k]!;
  }
  return tokens;
}

/** The binding's encodeBatch alone, ids left in Rust: a lower bound of its cost. */
async function hfEncodeOnly(t: HfTokenizer, texts: readonly string[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < texts.length; i += BATCH) n += (await t.encodeBatch(texts.slice(i, i + BATCH) as string[])).length;
  return n;
}

async function hfRun(t: HfTokenizer, texts: readonly string[]): Promise<number> {
  let tokens = 0;
  for (let i = 0; i < texts.length; i += BATCH) {
    const encs = await t.encodeBatch(texts.slice(i, i + BATCH) as string[]);
    for (const e of encs) { e.getIds(); tokens += e.getAttentionMask().reduce((a: number, b: number) => a + b, 0); }
  }
  return tokens;
}

async function hfBert(maxLength: number) {
  const m = await tk.WordPiece.fromFile(join(fixtures, 'bert-base-uncased-vocab.txt'), { unkToken: '[UNK]' });
  const t = new tk.Tokenizer(m);
  t.setNormalizer(tk.bertNormalizer({ lowercase: true }));
  t.setPreTokenizer(tk.bertPreTokenizer());
  t.setPostProcessor(tk.bertProcessing(['[SEP]', 102], ['[CLS]', 101]));
  t.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  t.setTruncation(maxLength);
  t.setPadding({ maxLength, padId: 0 });
  return t;
}

async function main(): Promise<void> {
  const vocab = readFileSync(join(fixtures, 'bert-base-uncased-vocab.txt'), 'utf8');
  const bert = bertFromVocab(vocab);
  const gpt2 = Tokenizer.fromJson(JSON.parse(readFileSync(join(fixtures, 'gpt2-tokenizer.json'), 'utf8')));
  const hfB = await hfBert(128);
  const hfG = tk.Tokenizer.fromFile(join(fixtures, 'gpt2-tokenizer.json'));
  hfG.setTruncation(128);
  hfG.setPadding({ maxLength: 128, padId: 50256 });

  const results: Comparison[] = [];
  const cases: [string, string[], () => number, () => Promise<number>, () => Promise<number>][] = [];
  // TEXT_BENCH_MB scales the corpora down for a quick check (default: 10 MB as the issue asks).
  const size = Number(process.env.TEXT_BENCH_MB ?? 10) * MB;
  const caps = captionCorpus(size);
  const varied = variedCorpus(size, vocab);
  const gcaps = captionCorpus(size / 5);
  cases.push([`bert-base-uncased WordPiece, captions ×N (${caps.length} texts), max_length 128`, caps, () => oursRun(bert, caps, 128, 0), () => hfRun(hfB, caps), () => hfEncodeOnly(hfB, caps)]);
  cases.push([`bert-base-uncased WordPiece, varied captions (${varied.length} texts), max_length 128`, varied, () => oursRun(bert, varied, 128, 0), () => hfRun(hfB, varied), () => hfEncodeOnly(hfB, varied)]);
  cases.push([`gpt2 byte-level BPE, captions ×N (${gcaps.length} texts), max_length 128`, gcaps, () => oursRun(gpt2, gcaps, 128, 50256), () => hfRun(hfG, gcaps), () => hfEncodeOnly(hfG, gcaps)]);

  for (const [name, texts, ours, theirs, theirsEncodeOnly] of cases) {
    const bytes = utf8Bytes(texts);
    const tokens = ours();
    const hfTokens = await theirs();
    if (tokens !== hfTokens) throw new Error(`${name}: token counts differ (ours ${tokens}, HF ${hfTokens})`);
    const variants = [
      ['false', theirs, '1 thread: per core'], ['true', theirs, 'default threads'], ['false', theirsEncodeOnly, '1 thread, encodeBatch only: ids not read out'],
    ] as const;
    for (const [parallel, baseline, label] of variants) {
      process.env.TOKENIZERS_PARALLELISM = parallel;
      const r = await compare(`${name} vs HF tokenizers (${label})`, ours, baseline, { runs: 5, warmup: 1 });
      results.push({
        ...r,
        extra: {
          MB: bytes / MB,
          tokens,
          'ours MB/s': bytes / MB / (r.contender.median / 1000),
          'HF MB/s': bytes / MB / (r.baseline.median / 1000),
          'ours Mtok/s': tokens / 1e6 / (r.contender.median / 1000),
          'HF Mtok/s': tokens / 1e6 / (r.baseline.median / 1000),
        },
      });
    }
  }
  report('text', results);
}

await main();
