// The ops in a pipeline: readText from a manifest and from bytes/strings (JSON field, invalid UTF-8
// policy, missing files), normalizeText, tokenize (dtypes, padding, nulls, truncation errors under
// the error policy, worker threads) and decodeTokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { columnValues, dt, fromRows, readManifest, type DType } from '@modaflow/core';
import { readText, normalizeText, tokenize, decodeTokens, bertFromVocab, loadTokenizer } from '../src/index.ts';
import { BERT_VOCAB, DATASET, GPT2_JSON, captions, hfBert } from './helpers/oracle.ts';

const col = <T>(t: { getChild(n: string): unknown }, name: string, d: DType): T[] => columnValues(d, t.getChild(name) as never) as T[];
const bert = bertFromVocab(readFileSync(BERT_VOCAB, 'utf8'));

test('readText reads the manifest captions (JSON field) and tokenize matches the HF oracle', async () => {
  const t = await readManifest(DATASET)
    .map(readText({ column: 'text_path', format: 'json', field: 'caption', output: 'caption' }))
    .map(tokenize({ column: 'caption', vocab: BERT_VOCAB, maxLength: 32, padding: 'max_length' }))
    .select('id', 'caption', 'input_ids', 'attention_mask', 'token_type_ids')
    .compute({ workers: 0 });
  const caps = col<string>(t, 'caption', dt.utf8());
  assert.deepEqual([...caps].sort(), [...captions()].sort());
  const hf = await hfBert();
  hf.setTruncation(32);
  hf.setPadding({ maxLength: 32, padId: 0 });
  const encs = await hf.encodeBatch(caps);
  const L = dt.fixedSizeList(dt.int32(), 32);
  assert.equal(String(t.schema.fields.find((f) => f.name === 'input_ids')!.type), 'FixedSizeList[32]<Int32>');
  assert.deepEqual(col<number[]>(t, 'input_ids', L), encs.map((e) => e.getIds()));
  assert.deepEqual(col<number[]>(t, 'attention_mask', L), encs.map((e) => e.getAttentionMask()));
  assert.deepEqual(col<number[]>(t, 'token_type_ids', L), encs.map((e) => e.getTypeIds()));
});

test('readText: plain files, invalid UTF-8 (error or replace), missing fields and files are row errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mf-text-'));
  const f = (name: string, body: string | Uint8Array) => { const p = join(dir, name); writeFileSync(p, body); return p; };
  const rows = [
    { p: f('a.txt', 'héllo world\n') },
    { p: f('b.txt', new Uint8Array([0x61, 0xff, 0x62])) },
    { p: f('c.json', '{"text": "no caption"}') },
    { p: f('d.json', '{"caption": {"en": "nested"}}') },
    { p: join(dir, 'missing.txt') },
    { p: f('e.txt', '\ufeffBOM line\r\n') },
    { p: null },
  ];
  const ds = fromRows(rows, { p: dt.utf8() });
  const plain = await ds.map(readText({ column: 'p' })).run({ workers: 0, onError: 'quarantine' });
  const texts = col<string | null>(plain.table, 'text', dt.utf8());
  assert.deepEqual(texts, ['héllo world', '{"text": "no caption"}', '{"caption": {"en": "nested"}}', 'BOM line', null]);
  const q = plain.report.quarantine!;
  const codes = col<string>(q, 'code', dt.utf8());
  assert.deepEqual([...codes].sort(), ['MF_DECODE', 'MF_FILE_MISSING']);
  const replaced = await ds.map(readText({ column: 'p', invalidUtf8: 'replace' })).run({ workers: 0, onError: 'skip' });
  assert.ok(col<string | null>(replaced.table, 'text', dt.utf8()).includes('a\ufffdb'));
  const json = await ds.map(readText({ column: 'p', format: 'json', field: 'caption.en' })).run({ workers: 0, onError: 'skip' });
  assert.deepEqual(col<string | null>(json.table, 'text', dt.utf8()), ['nested', null]);
  assert.equal(json.report.skipped, 5);
  // Bytes and strings.
  const bytes = fromRows([{ b: new Uint8Array([0x7b, 0x22, 0x63, 0x61, 0x70, 0x74, 0x69, 0x6f, 0x6e, 0x22, 0x3a, 0x22, 0xc3, 0xa9, 0x22, 0x7d]) }], { b: dt.binary() });
  const tb = await bytes.map(readText({ column: 'b', from: 'bytes', format: 'json' })).compute({ workers: 0 });
  assert.deepEqual(col(tb, 'text', dt.utf8()), ['é']);
});

test('normalizeText: bert, unicode forms and whitespace steps', async () => {
  const t = await fromRows([{ s: 'Crème  BRÛLÉE\t中文\u0000 ﬁ' }, { s: null }], { s: dt.utf8() })
    .map(normalizeText({ column: 's', output: 'bert' }))
    .map(normalizeText({ column: 's', output: 'nfkc', steps: ['nfkc', 'collapse_whitespace', 'strip'] }))
    .compute({ workers: 0 });
  assert.deepEqual(col(t, 'bert', dt.utf8()), ['creme  brulee  中  文  ﬁ', null]);
  assert.deepEqual(col(t, 'nfkc', dt.utf8()), ['Crème BRÛLÉE 中文\u0000 fi', null]);
});

test('tokenize: list outputs, pairs, offsets, nulls, and a truncation error as a row error', async () => {
  const rows = [
    { a: 'Hello world', b: 'second text' },
    { a: null, b: 'x' },
    { a: 'A much longer first sentence about cats', b: 'y' },
  ];
  const ds = fromRows(rows, { a: dt.utf8(), b: dt.utf8() });
  const t = await ds.map(tokenize({ column: 'a', pair: 'b', vocab: BERT_VOCAB, offsets: true })).compute({ workers: 0 });
  const ids = col<number[] | null>(t, 'input_ids', dt.list(dt.int32()));
  assert.deepEqual(ids[0], bert.encode('Hello world', 'second text').ids);
  assert.equal(ids[1], null);
  const offs = col<number[][] | null>(t, 'offsets', dt.list(dt.fixedSizeList(dt.int32(), 2)));
  assert.deepEqual(offs[0]!.slice(0, 3), [[0, 0], [0, 5], [6, 11]]);
  // only_second cannot cut 'y' (1 token) enough: that row fails, the others stay.
  const r = await ds.map(tokenize({ column: 'a', pair: 'b', vocab: BERT_VOCAB, maxLength: 6, truncation: 'only_second' })).run({ workers: 0, onError: 'skip' });
  assert.equal(r.report.skipped, 1);
  assert.deepEqual(col<number[] | null>(r.table, 'input_ids', dt.list(dt.int32())), [[101, 7592, 2088, 102, 2117, 102], null]);
  await assert.rejects(ds.map(tokenize({ column: 'a', pair: 'b', vocab: BERT_VOCAB, maxLength: 6, truncation: 'only_second' })).compute({ workers: 0 }), /too short/);
});

test('tokenize: bad params are refused with a fix', () => {
  assert.throws(() => tokenize({ column: 'a', vocab: BERT_VOCAB, padding: 'max_length' } as never), /needs maxLength/);
  assert.throws(() => tokenize({ column: 'a' } as never), /exactly one of tokenizer/);
  assert.throws(() => tokenize({ column: 'a', vocab: BERT_VOCAB, maxLength: 0 }), /positive integer/);
  assert.throws(() => tokenize({ column: 'a', vocab: BERT_VOCAB, truncation: 'only_second' }), /needs a pair column/);
  assert.throws(() => loadTokenizer({ tokenizer: '/nonexistent/tokenizer.json' }), /cannot read tokenizer file/);
  assert.throws(() => loadTokenizer({ tokenizer: BERT_VOCAB }), /not valid JSON/);
});

test('tokenize + decodeTokens on worker threads, equal to in-process', async () => {
  const texts = [...captions(), 'Zürich 😀 [SEP] Œuvre', ''];
  const ds = fromRows(texts.map((s) => ({ s })), { s: dt.utf8() })
    .map(tokenize({ column: 's', vocab: BERT_VOCAB, maxLength: 24, padding: 'max_length', offsets: true }))
    .map(decodeTokens({ column: 'input_ids', size: 24, vocab: BERT_VOCAB, output: 'back' }));
  const inProc = await ds.compute({ workers: 0, batchSize: 5 });
  const pooled = await ds.compute({ workers: 2, batchSize: 5 });
  const L = dt.fixedSizeList(dt.int32(), 24);
  for (const c of ['input_ids', 'attention_mask', 'token_type_ids']) assert.deepEqual(col(pooled, c, L), col(inProc, c, L));
  const O = dt.fixedSizeList(dt.fixedSizeList(dt.int32(), 2), 24);
  assert.deepEqual(col(pooled, 'offsets', O), col(inProc, 'offsets', O));
  assert.deepEqual(col(pooled, 'back', dt.utf8()), col(inProc, 'back', dt.utf8()));
  // Decoding skips special tokens ([CLS], [SEP], [PAD], and [UNK] for the emoji); the text comes back normalized.
  assert.deepEqual(col(inProc, 'back', dt.utf8()).slice(-2), ['zurich œuvre', '']);
});

test('tokenize + decodeTokens with the GPT-2 tokenizer.json (byte-level BPE)', async () => {
  const texts = ['Zürich 😀 <|endoftext|>', '', 'A cat.'];
  const t = await fromRows(texts.map((s) => ({ s })), { s: dt.utf8() })
    .map(tokenize({ column: 's', tokenizer: GPT2_JSON, maxLength: 16, padding: 'max_length', padId: 50256 }))
    .map(decodeTokens({ column: 'input_ids', size: 16, tokenizer: GPT2_JSON, output: 'back' }))
    .compute({ workers: 0 });
  // Pads are <|endoftext|>, a special token, skipped by decode: the texts come back.
  assert.deepEqual(col(t, 'back', dt.utf8()), ['Zürich 😀 ', '', 'A cat.']);
  assert.deepEqual(col<number[]>(t, 'attention_mask', dt.fixedSizeList(dt.int32(), 16)).map((m) => m.reduce((a, b) => a + b, 0)), [7, 0, 3]);
});
