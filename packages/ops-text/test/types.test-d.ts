// Type tests: the op factories carry column names and dtypes, so tsc rejects a wrong column or
// dtype, and fixed-size padding gives fixed-size list columns of the right length.
import { dt, fromRows, readManifest, type FixedSizeList, type Int32, type List } from '@modaflow/core';
import { decodeTokens, normalizeText, readText, tokenize } from '../src/index.ts';

const ds = readManifest('data')
  .map(readText({ column: 'text_path', format: 'json', field: 'caption', output: 'caption' }))
  .map(normalizeText({ column: 'caption', steps: ['nfkc', 'strip'] }))
  .map(tokenize({ column: 'caption', vocab: 'vocab.txt', maxLength: 128, padding: 'max_length' }));
const ids: FixedSizeList<Int32, 128> = ds.schema!.input_ids;
const mask: FixedSizeList<Int32, 128> = ds.schema!.attention_mask;
ds.select('id', 'input_ids', 'attention_mask', 'token_type_ids');
void ids; void mask;

const pairs = fromRows([{ q: 'a', p: 'b' }], { q: dt.utf8(), p: dt.utf8() })
  .map(tokenize({ column: 'q', pair: 'p', tokenizer: 'tokenizer.json', prefix: 'qa_', offsets: true }));
const lst: List<Int32> = pairs.schema!.qa_input_ids;
void lst;
pairs.select('qa_offsets', 'qa_token_type_ids');
pairs.map(decodeTokens({ column: 'qa_input_ids', tokenizer: 'tokenizer.json', output: 'back' })).select('back');
ds.map(decodeTokens({ column: 'input_ids', size: 128, vocab: 'vocab.txt' })).select('text');
fromRows([{ b: new Uint8Array(1) }], { b: dt.binary() }).map(readText({ column: 'b', from: 'bytes' })).select('text');

// @ts-expect-error the column does not exist
readManifest('data').map(tokenize({ column: 'captoin', vocab: 'vocab.txt' }));
// @ts-expect-error tokenize needs text, not token ids
ds.map(tokenize({ column: 'input_ids', vocab: 'vocab.txt' }));
// @ts-expect-error without max_length padding the ids are lists, not fixed-size
const notFixed: FixedSizeList<Int32, 128> = pairs.schema!.qa_input_ids;
void notFixed;
// @ts-expect-error no offsets column unless offsets: true
ds.select('offsets');
// @ts-expect-error decoding fixed-size ids needs their size
ds.map(decodeTokens({ column: 'input_ids', vocab: 'vocab.txt' }));
// @ts-expect-error a path column is utf8, not binary
readManifest('data').map(readText({ column: 'text_path', from: 'bytes' }));
// @ts-expect-error padding 'max_length' needs maxLength
tokenize({ column: 'a', vocab: 'v.txt', padding: 'max_length' });
