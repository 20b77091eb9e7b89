// Type tests: the op factories carry column names and dtypes, so tsc rejects a wrong column or dtype.
import { dt, fromRows, readManifest } from '@modaflow/core';
import { centerCrop, colorJitter, decodeImage, imageMetadata, normalize, randomResizedCrop, resize, toTensor, IMAGE_U8 } from '../src/index.ts';

const ds = readManifest('data')
  .map(decodeImage({ column: 'image_path', output: 'image' }))
  .map(resize({ column: 'image', size: 256 }))
  .map(centerCrop({ column: 'image', size: 224 }))
  .map(toTensor({ column: 'image', output: 'pixels', shape: [3, 224, 224] }))
  .map(normalize({ column: 'pixels', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], shape: [3, 224, 224] }));
ds.select('id', 'pixels');

const aug = fromRows([{ image: { data: new Uint8Array(3), shape: [1, 1, 3] } }], { image: IMAGE_U8 })
  .map(randomResizedCrop({ column: 'image', size: 32 }))
  .map(colorJitter({ column: 'image', brightness: 0.2 }))
  .map(toTensor({ column: 'image', output: 't' }))
  .map(normalize({ column: 't', mean: [0.5], std: [0.5] }));
aug.select('t');

readManifest('data').map(imageMetadata({ column: 'image_path' })).select('image_width', 'image_format');
fromRows([{ b: new Uint8Array(1) }], { b: dt.binary() }).map(decodeImage({ column: 'b', from: 'bytes', output: 'img' })).select('img');

// @ts-expect-error the column does not exist
readManifest('data').map(decodeImage({ column: 'image_pth', output: 'image' }));
// @ts-expect-error a path column is utf8, not binary
readManifest('data').map(decodeImage({ column: 'image_path', from: 'bytes' }));
// @ts-expect-error resize needs a decoded uint8 image, not a path
readManifest('data').map(resize({ column: 'image_path', size: 256 }));
// @ts-expect-error normalize needs a float32 tensor, not the uint8 image
readManifest('data').map(decodeImage({ column: 'image_path', output: 'image' })).map(normalize({ column: 'image', mean: [0.5], std: [0.5] }));
// @ts-expect-error a fixed-shape tensor is not the variable-shape one normalize expects without `shape`
ds.map(normalize({ column: 'pixels', mean: [0.5], std: [0.5] }));
// @ts-expect-error the metadata columns are prefixed: there is no 'width'
readManifest('data').map(imageMetadata({ column: 'image_path' })).select('width');
