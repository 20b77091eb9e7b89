import { readManifest } from '@modaflow/core';
import { decodeImage, resize, centerCrop, toTensor, normalize, imageMetadata } from './src/index.ts';
const ds = readManifest('../../examples/data/dataset')
  .map(imageMetadata({ column: 'image_path' }))
  .map(decodeImage({ column: 'image_path', output: 'image' }))
  .map(resize({ column: 'image', size: 256 }))
  .map(centerCrop({ column: 'image', size: 224 }))
  .map(toTensor({ column: 'image', output: 'pixels', shape: [3, 224, 224] }))
  .map(normalize({ column: 'pixels', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], shape: [3, 224, 224] }))
  .select('id', 'image_width', 'image_height', 'image_format', 'pixels');
console.log(ds.explain());
const t0 = performance.now();
const t = await ds.compute({ workers: Number(process.env.W ?? 0) });
console.log(performance.now() - t0, t.numRows, t.schema.fields.map((f) => `${f.name}:${f.type}`));
console.log(t.getChild('image_width')!.toArray(), t.report);
