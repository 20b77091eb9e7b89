// The README demo: one lazy, typed pipeline over the sample dataset's three modalities.
// Images are decoded, resized and normalized as torchvision does; speech is resampled to 16 kHz and
// turned into log-mel features as torchaudio does; captions are tokenized with the BERT vocabulary
// as Hugging Face tokenizers does; the missing audio of sample_012 becomes an explicit mask.
import { readManifest, col, dt, formatReport, fromArrow, shutdownPools } from '@modaflow/core';
import { decodeImage, resize, centerCrop, toTensor } from '@modaflow/ops-image';
import { decodeAudio, resample, logMel } from '@modaflow/ops-audio';
import { readText, tokenize } from '@modaflow/ops-text';
import { maskMissing } from '@modaflow/ops-fusion';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { progressBar } from './progress-bar.ts';

const data = (p: string) => fileURLToPath(new URL(`./data/${p}`, import.meta.url));

const ds = readManifest(data('dataset'))
  .filter(col('label').ne('unknown'))
  // image: torchvision Resize(256) → CenterCrop(224) → ToTensor → Normalize(ImageNet)
  .map(decodeImage({ column: 'image_path', output: 'image' }))
  .map(resize({ column: 'image', size: 256 }))
  .map(centerCrop({ column: 'image', size: 224 }))
  .map(toTensor({ column: 'image', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], shape: [3, 224, 224] }))
  // audio: 22.05 kHz WAV → mono 16 kHz → 64-band log-mel (n_fft 400, hop 160)
  .map(decodeAudio({ column: 'audio_path', output: 'audio', mono: true }))
  .map(resample({ column: 'audio', sampleRateColumn: 'audio_sample_rate', to: 16000 }))
  .map(logMel({ column: 'audio', output: 'mel', sampleRateColumn: 'audio_sample_rate', sampleRate: 16000, nFft: 400, hopLength: 160, nMels: 64 }))
  // text: {"caption": ...} → BERT WordPiece ids, padded to 32
  .map(readText({ column: 'text_path', output: 'caption', format: 'json', field: 'caption' }))
  .map(tokenize({ column: 'caption', vocab: data('tokenizers/bert-base-uncased-vocab.txt'), maxLength: 32, padding: 'max_length' }))
  // a missing modality is a null; make it an explicit mask for the model
  .map(maskMissing({ columns: { mel: dt.varTensor(dt.float32(), 3) } }))
  .select('id', 'label', 'image', 'mel', 'mel_present', 'input_ids', 'attention_mask');

console.log(ds.explain());
console.log();

const table = await ds.compute({ onError: 'quarantine', progress: progressBar() });
const rows = table.toArray().map((r, i) => {
  const row = r.toJSON() as { id: string; label: string; mel_present: boolean };
  return {
    id: row.id,
    label: row.label,
    image: shapeOf(table, 'image', i),
    mel: shapeOf(table, 'mel', i),
    mel_present: row.mel_present,
    tokens: Array.from(table.getChild('attention_mask')!.get(i) as Iterable<number>).reduce((a, b) => a + b, 0),
  };
});
console.table(rows);
console.log(formatReport(table.report));
console.log();

// What the run cost: per stage and per barrier on this thread, the bottleneck marked, per-op rows
// and time. (The steps and op parameters were printed with the plan above: left out here.)
const analyzed = ds.explain({ analyze: true });
const [physical = '', perOp = ''] = analyzed.slice(analyzed.indexOf('== Physical plan (analyzed')).split(/(?=^== Per op)/m);
console.log([
  ...physical.trimEnd().split('\n').filter((l) => !/^ {2}(Map|Filter|Project) /.test(l)),
  ...perOp.trimEnd().split('\n').map((l) => l.replace(/^(\s*Map [\w.-]+)\(.*\)( {2}\[rows)/, '$1$2')),
].join('\n'));
console.log();

// The result is Arrow: write it as Parquet (pyarrow, pandas, DuckDB read it, tensors included).
const out = join(mkdtempSync(join(tmpdir(), 'modaflow-demo-')), 'sample.parquet');
await fromArrow(table).write(out);
console.log(`wrote ${out}`);
await shutdownPools();

/** The shape of a tensor cell, from the Arrow tensor extension metadata or the cell itself. */
function shapeOf(t: typeof table, name: string, i: number): string {
  const meta = t.schema.fields.find((f) => f.name === name)!.metadata;
  const v = t.getChild(name)!.get(i) as { shape?: Iterable<number> } | null;
  if (v === null) return 'null';
  const shape = meta.get('ARROW:extension:name') === 'arrow.fixed_shape_tensor'
    ? (JSON.parse(meta.get('ARROW:extension:metadata')!) as { shape: number[] }).shape
    : Array.from(v.shape!);
  return shape.join('×');
}
