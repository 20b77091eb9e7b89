// Parity with the HF `tokenizers` binding (the oracle): ids, type ids, attention masks and offsets
// must be equal on the corpus (captions + edge lines), for single texts, pairs, every truncation
// strategy and padding mode, and for random strings (fast-check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import type * as tk from 'tokenizers';
import { Tokenizer, bertFromVocab } from '../src/index.ts';
import { BERT_VOCAB, GPT2_JSON, corpus, hfBert, hfGpt2 } from './helpers/oracle.ts';

const bertOurs = bertFromVocab(readFileSync(BERT_VOCAB, 'utf8'));
const gpt2Ours = Tokenizer.fromJson(JSON.parse(readFileSync(GPT2_JSON, 'utf8')));
// One oracle per tokenizer (loading GPT-2 takes a while); each test resets what it sets.
const hfB = await hfBert();
const hfG = hfGpt2();
const fresh = (t: tk.Tokenizer) => async () => { t.disableTruncation(); t.disablePadding(); return t; };

interface Got { ids: number[]; typeIds: number[]; mask: number[]; offsets?: number[][] }

async function oracleBatch(t: tk.Tokenizer, inputs: (string | [string, string])[]): Promise<Got[]> {
  // The binding's encodeBatch takes single strings only; pairs go through encode(a, b).
  const encs = inputs.every((x) => typeof x === 'string')
    ? await t.encodeBatch(inputs as string[])
    : await Promise.all(inputs.map((x) => (typeof x === 'string' ? t.encode(x) : t.encode(x[0], x[1]))));
  return encs.map((e) => ({ ids: e.getIds(), typeIds: e.getTypeIds(), mask: e.getAttentionMask(), offsets: e.getOffsets() }));
}

function oursBatch(t: Tokenizer, inputs: (string | [string, string])[], o: Parameters<Tokenizer['encodeBatch']>[2] = {}): Got[] {
  const a = inputs.map((x) => (typeof x === 'string' ? x : x[0]));
  const b = inputs.some((x) => typeof x !== 'string') ? inputs.map((x) => (typeof x === 'string' ? '' : x[1])) : null;
  return t.encodeBatch(a, b, { offsets: true, ...o }).map((e) => ({
    ids: e.ids, typeIds: e.typeIds, mask: e.attentionMask, offsets: e.starts!.map((s, i) => [s, e.ends![i]!]),
  }));
}

function assertSame(ours: Got[], theirs: Got[], inputs: unknown[], what: string, offsets = true): void {
  assert.equal(ours.length, theirs.length);
  for (let i = 0; i < ours.length; i++) {
    const ctx = `${what}, input ${JSON.stringify(inputs[i]).slice(0, 120)}`;
    assert.deepEqual(ours[i]!.ids, theirs[i]!.ids, `ids: ${ctx}`);
    assert.deepEqual(ours[i]!.typeIds, theirs[i]!.typeIds, `type ids: ${ctx}`);
    assert.deepEqual(ours[i]!.mask, theirs[i]!.mask, `attention mask: ${ctx}`);
    if (offsets) assert.deepEqual(ours[i]!.offsets, theirs[i]!.offsets, `offsets: ${ctx}`);
  }
}

const lines = corpus();
const pairs: [string, string][] = lines.map((l, i) => [l, lines[(i * 7 + 3) % lines.length]!]);

for (const [name, ours, make] of [
  ['bert-base-uncased', bertOurs, fresh(hfB)],
  ['gpt2', gpt2Ours, fresh(hfG)],
] as const) {
  test(`${name}: single texts equal the HF oracle (ids, type ids, mask, offsets)`, async () => {
    const hf = await make();
    assertSame(oursBatch(ours, lines), await oracleBatch(hf, lines), lines, name);
  });

  test(`${name}: text pairs equal the HF oracle`, async () => {
    const hf = await make();
    assertSame(oursBatch(ours, pairs), await oracleBatch(hf, pairs), pairs, name);
  });

  for (const strategy of ['longest_first', 'only_first', 'only_second'] as const) {
    for (const direction of ['right', 'left'] as const) {
      test(`${name}: truncation ${strategy} (${direction}) with padding equals the HF oracle`, async () => {
        const hf = await make();
        const hfStrategy = { longest_first: 'LongestFirst', only_first: 'OnlyFirst', only_second: 'OnlySecond' }[strategy];
        for (const maxLength of [5, 16, 33]) {
          hf.setTruncation(maxLength, { strategy: hfStrategy as tk.TruncationStrategy, direction });
          hf.setPadding({ maxLength, padId: 0, direction: 'right' });
          // HF fails the whole batch on an input it cannot truncate; compare row by row.
          for (const input of pairs) {
            let theirs: Got[] | null = null;
            try { theirs = await oracleBatch(hf, [input]); } catch { theirs = null; }
            let mine: Got[] | null = null;
            try {
              mine = oursBatch(ours, [input], { truncation: { maxLength, strategy, direction }, padding: { strategy: 'max_length', maxLength, padId: 0 } });
            } catch { mine = null; }
            if (theirs === null) { assert.equal(mine, null, `HF refused ${JSON.stringify(input).slice(0, 80)} at ${maxLength}, we did not`); continue; }
            assert.ok(mine, `we refused ${JSON.stringify(input).slice(0, 80)} at ${maxLength}, HF did not`);
            assertSame(mine, theirs, [input], `${strategy}/${direction}/${maxLength}`);
          }
        }
      });
    }
  }

  test(`${name}: batch-longest padding (left, multiple of 8) equals the HF oracle`, async () => {
    const hf = await make();
    hf.setPadding({ padId: 7, padTypeId: 1, direction: 'left', padToMultipleOf: 8 });
    const inputs = lines.slice(0, 20);
    assertSame(oursBatch(ours, inputs, { padding: { strategy: 'longest', padId: 7, padTypeId: 1, direction: 'left', padToMultipleOf: 8 } }),
      await oracleBatch(hf, inputs), inputs, 'longest');
  });

  test(`${name}: decode equals the HF oracle`, async () => {
    const hf = await make();
    for (const l of lines) {
      const ids = ours.encode(l).ids;
      for (const skip of [true, false]) assert.equal(ours.decode(ids, skip), await hf.decode(ids, skip), `decode ${JSON.stringify(l).slice(0, 80)} skip=${skip}`);
    }
  });
}

test('bert cased path (lowercase false) equals the HF oracle', async () => {
  const hf = await hfBert(false);
  const ours = bertFromVocab(readFileSync(BERT_VOCAB, 'utf8'), { lowercase: false });
  assertSame(oursBatch(ours, lines), await oracleBatch(hf, lines), lines, 'cased');
});

test('a tokenizer.json saved by HF (BERT) loads and equals the oracle', async () => {
  const hf = await hfBert();
  const file = join(mkdtempSync(join(tmpdir(), 'mf-tok-')), 'tokenizer.json');
  hf.save(file);
  const ours = Tokenizer.fromJson(JSON.parse(readFileSync(file, 'utf8')));
  assertSame(oursBatch(ours, pairs), await oracleBatch(hf, pairs), pairs, 'bert tokenizer.json');
});

// Fragments that exercise every class boundary: letters, digits, punctuation, contractions,
// whitespace kinds, accents, CJK, emoji, controls, special tokens.
const FRAGMENTS = [
  'the', 'cat', 'Dog', 'running', 'unaffable', 'x', ' ', '  ', '\t', '\n', '\u00a0', '\u3000', "'s", "'ll", "'", '.', ',', '!?', '--',
  '3', '42', '3.5', 'é', 'É', 'ñ', 'ü', '\u0301', '中', '国', 'の', 'カ', '한', '😀', '👍🏽', '\u200d', '\u0000', '\u0007', '\u007f', '\ufeff',
  '[SEP]', '[CLS]', '<|endoftext|>', 'ǅ', 'ß', 'Σ', 'İ', 'ﬁ', '١', '_', '@', 'https://a.b/c', 'zzzzzzzzzzzz', 'Ⅻ', '\ufffd',
];
const textArb = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 24 }).map((a) => a.join(''));
const anyTextArb = fc.string({ unit: 'grapheme', maxLength: 40 });

for (const [name, ours, make] of [
  ['bert-base-uncased', bertOurs, fresh(hfB)],
  ['gpt2', gpt2Ours, fresh(hfG)],
] as const) {
  test(`${name}: random texts and pairs equal the HF oracle (fast-check)`, async () => {
    const hf = await make();
    await fc.assert(fc.asyncProperty(fc.oneof(textArb, anyTextArb), fc.option(fc.oneof(textArb, anyTextArb), { nil: undefined }), async (a, b) => {
      const input: string | [string, string] = b === undefined ? a : [a, b];
      assertSame(oursBatch(ours, [input]), await oracleBatch(hf, [input]), [input], `${name} random`);
    }), { numRuns: 400 });
  });
}

test('RoBERTa and template post-processors (on the GPT-2 model) equal the HF oracle', async () => {
  const base = JSON.parse(readFileSync(GPT2_JSON, 'utf8'));
  const eot = ['<|endoftext|>', 50256];
  const variants = [
    { type: 'RobertaProcessing', sep: eot, cls: eot, trim_offsets: true, add_prefix_space: false },
    {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<|endoftext|>', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '<|endoftext|>', type_id: 1 } }],
      special_tokens: { '<|endoftext|>': { id: '<|endoftext|>', ids: [50256], tokens: ['<|endoftext|>'] } },
    },
  ];
  const { Tokenizer: HfTokenizer } = await import('tokenizers');
  for (const pp of variants) {
    const json = JSON.stringify({ ...base, post_processor: pp });
    const hf = HfTokenizer.fromString(json);
    const ours = Tokenizer.fromJson(JSON.parse(json));
    for (const inputs of [lines.slice(0, 16), pairs.slice(0, 16)]) assertSame(oursBatch(ours, inputs), await oracleBatch(hf, inputs), inputs, pp.type);
    hf.setTruncation(9);
    for (const input of pairs.slice(0, 16)) {
      assertSame(oursBatch(ours, [input], { truncation: { maxLength: 9 } }), await oracleBatch(hf, [input]), [input], `${pp.type} truncated`);
    }
  }
});
