// Laws of tokenization, padding and truncation (fast-check): they hold for any text, not only the
// corpus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { columnValues, dt, fromRows } from '@modaflow/core';
import { Tokenizer, bertFromVocab, tokenize } from '../src/index.ts';
import { BertNormalizer } from '../src/tokenizer/normalizer.ts';
import { BERT_VOCAB, GPT2_JSON } from './helpers/oracle.ts';

const vocabText = readFileSync(BERT_VOCAB, 'utf8');
const bert = bertFromVocab(vocabText);
const gpt2 = Tokenizer.fromJson(JSON.parse(readFileSync(GPT2_JSON, 'utf8')));
const PAD = 0;

const words = vocabText.split('\n').filter((w) => /^[a-z]{2,}$/.test(w));
const FRAG = ['the', 'cat', ' ', '  ', '\t', 'é', '中', '😀', ',', '.', "'s", 'Running', 'x'.repeat(30), '[SEP]', '\u0000', 'ǅ', '42'];
const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.array(fc.constantFrom(...FRAG), { maxLength: 30 }).map((a) => a.join('')));
const tokenizers = fc.constantFrom(['bert', bert] as const, ['gpt2', gpt2] as const);
const strategy = fc.constantFrom('longest_first', 'only_first', 'only_second') as fc.Arbitrary<'longest_first' | 'only_first' | 'only_second'>;
const side = fc.constantFrom('right', 'left') as fc.Arbitrary<'right' | 'left'>;

function tryEncode(t: Tokenizer, a: string, b: string | null, o: Parameters<Tokenizer['encode']>[2]) {
  try { return t.encode(a, b, o); } catch (e) { if ((e as Error).name === 'TruncationError') return null; throw e; }
}

test('law: with truncation every encoding fits maxLength, and an input that fits is not cut', () => {
  fc.assert(fc.property(tokenizers, text, fc.option(text, { nil: null }), fc.integer({ min: 3, max: 40 }), strategy, side, ([, t], a, b, maxLength, s, dir) => {
    const full = t.encode(a, b);
    const cut = tryEncode(t, a, b, { truncation: { maxLength, strategy: s, direction: dir } });
    if (cut === null) return; // only_* could not cut enough: refused, never over-long
    assert.ok(cut.ids.length <= maxLength, `${cut.ids.length} > ${maxLength}`);
    if (full.ids.length <= maxLength) assert.deepEqual(cut.ids, full.ids);
  }), { numRuns: 300 });
});

test('law: truncating a single text keeps a prefix (right) or a suffix (left) of its tokens', () => {
  fc.assert(fc.property(text, fc.integer({ min: 3, max: 30 }), side, (a, maxLength, dir) => {
    const inner = (ids: number[]) => ids.slice(1, -1); // without [CLS] … [SEP]
    const full = inner(bert.encode(a).ids);
    const cut = inner(bert.encode(a, null, { truncation: { maxLength, direction: dir } }).ids);
    assert.equal(cut.length, Math.min(full.length, maxLength - 2));
    assert.deepEqual(cut, dir === 'right' ? full.slice(0, cut.length) : full.slice(full.length - cut.length));
  }), { numRuns: 300 });
});

test('law: padding adds pad tokens only, at the chosen side; the mask counts the real tokens', () => {
  fc.assert(fc.property(tokenizers, fc.array(text, { minLength: 1, maxLength: 6 }), side, fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }), ([, t], texts, dir, multiple) => {
    const plain = texts.map((x) => t.encode(x).ids);
    const padded = t.encodeBatch(texts, null, { padding: { strategy: 'longest', padId: PAD, direction: dir, ...(multiple ? { padToMultipleOf: multiple } : {}) } });
    const longest = Math.max(...plain.map((p) => p.length));
    const target = multiple && longest % multiple ? longest + multiple - (longest % multiple) : longest;
    padded.forEach((e, i) => {
      const real = plain[i]!.length;
      assert.equal(e.ids.length, target);
      assert.equal(e.attentionMask.reduce((s, x) => s + x, 0), real);
      const pads = new Array(target - real).fill(PAD);
      assert.deepEqual(e.ids, dir === 'right' ? [...plain[i]!, ...pads] : [...pads, ...plain[i]!]);
      assert.deepEqual(e.attentionMask, dir === 'right' ? [...new Array(real).fill(1), ...pads.map(() => 0)] : [...pads.map(() => 0), ...new Array(real).fill(1)]);
    });
  }), { numRuns: 150 });
});

test('law: decode(encode(x)) is the normalized x for text made of vocabulary words (BERT uncased)', () => {
  const norm = new BertNormalizer({ lowercase: true });
  const cased = fc.tuple(fc.constantFrom(...words), fc.boolean()).map(([w, up]) => (up ? w[0]!.toUpperCase() + w.slice(1) : w));
  fc.assert(fc.property(fc.array(cased, { minLength: 0, maxLength: 20 }), (ws) => {
    const x = ws.join(' ');
    assert.equal(bert.decode(bert.encode(x).ids), norm.apply(x));
  }), { numRuns: 300 });
});

test('law: byte-level BPE is lossless: decode(encode(x)) = x (GPT-2)', () => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (x) => {
    assert.equal(gpt2.decode(gpt2.encode(x).ids, false), x);
  }), { numRuns: 300 });
});

test('law: tokenizing a batch equals tokenizing row by row, whatever the batch size (the op)', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fc.option(text, { nil: null, freq: 6 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 5 }), fc.boolean(), async (texts, batchSize, fixed) => {
    const ds = fromRows(texts.map((s) => ({ s })), { s: dt.utf8() });
    const op = fixed
      ? tokenize({ column: 's', vocab: BERT_VOCAB, maxLength: 12, padding: 'max_length' })
      : tokenize({ column: 's', vocab: BERT_VOCAB, maxLength: 12 });
    const d = fixed ? dt.fixedSizeList(dt.int32(), 12) : dt.list(dt.int32());
    const whole = await ds.map(op).compute({ workers: 0, batchSize: 1000 });
    const split = await ds.map(op).compute({ workers: 0, batchSize });
    for (const c of ['input_ids', 'attention_mask', 'token_type_ids']) {
      assert.deepEqual(columnValues(d, split.getChild(c)!), columnValues(d, whole.getChild(c)!));
    }
    const rowByRow = texts.map((s) => (s === null ? null : bert.encode(s, null, { truncation: { maxLength: 12 } }).ids));
    const ids = columnValues(d, whole.getChild('input_ids')!) as (number[] | null)[];
    assert.deepEqual(ids.map((r) => (r === null ? null : r.slice(0, r.lastIndexOf(102) + 1))), rowByRow);
  }), { numRuns: 40 });
});
