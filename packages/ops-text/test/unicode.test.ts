// Our char classes against the oracle's, code point by code point: every code point where HF's
// (older) Unicode tables differ from ICU, plus a stride over the whole range. The full sweep is
// scripts/gen-unicode-tables.ts (about a minute); this keeps the generated tables honest in CI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tk from 'tokenizers';
import { BertNormalizer } from '../src/tokenizer/normalizer.ts';
import { BertPreTokenizer, gpt2Split } from '../src/tokenizer/pre-tokenizer.ts';
import { BYTE_TO_CHAR } from '../src/tokenizer/byte-level.ts';
import * as T from '../src/tokenizer/unicode-tables.ts';

function sample(): number[] {
  const cps = new Set<number>();
  for (let cp = 0; cp < 0x110000; cp += 61) cps.add(cp);
  for (let cp = 0; cp < 0x3000; cp++) cps.add(cp);
  const ranges = [T.HF_CONTROL, T.HF_NOT_CONTROL, T.HF_PUNCT, T.HF_NOT_PUNCT, T.HF_LETTER, T.HF_NOT_LETTER, T.HF_NUMBER, T.HF_NOT_NUMBER];
  for (const r of ranges) for (let k = 0; k < r.length; k += 2) for (let cp = r[k]!; cp <= r[k + 1]!; cp++) cps.add(cp);
  for (const k of Object.keys(T.HF_STRIP_ACCENTS)) cps.add(Number(k));
  return [...cps].filter((cp) => cp < 0xd800 || cp > 0xdfff).sort((a, b) => a - b);
}

const cps = sample();
const toBytes = (s: string) => Array.from(new TextEncoder().encode(s), (b) => BYTE_TO_CHAR[b]).join('');

test(`BERT normalizer (uncased and cased) equals the oracle on ${cps.length} code points`, () => {
  for (const lowercase of [true, false]) {
    const hf = tk.bertNormalizer({ lowercase });
    const ours = new BertNormalizer({ lowercase });
    for (const cp of cps) {
      const s = 'a' + String.fromCodePoint(cp) + 'B';
      assert.equal(ours.apply(s), hf.normalizeString(s), `U+${cp.toString(16)} lowercase=${lowercase}`);
    }
  }
});

test('BERT pre-tokenizer and GPT-2 split equal the oracle on the sample', () => {
  const hfBert = tk.bertPreTokenizer();
  const hfBl = tk.byteLevelPreTokenizer(false, true);
  const ours = new BertPreTokenizer();
  for (const cp of cps) {
    const c = String.fromCodePoint(cp);
    const s = 'a' + c + 'b';
    assert.deepEqual(ours.split([{ text: s, start: 0, end: s.length }]).map((p) => p.text), hfBert.preTokenizeString(s).map((x) => x[0]), `bert U+${cp.toString(16)}`);
    for (const g of ['x' + c + 'x', '1' + c + '1', ' ' + c + ' ']) {
      const r: number[] = [];
      gpt2Split(g, r);
      const mine: string[] = [];
      for (let k = 0; k < r.length; k += 2) mine.push(toBytes(g.slice(r[k], r[k + 1])));
      assert.deepEqual(mine, hfBl.preTokenizeString(g).map((x) => x[0]), `gpt2 U+${cp.toString(16)} in ${JSON.stringify(g)}`);
    }
  }
});
