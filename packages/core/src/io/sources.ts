// The public source functions. Each returns a lazy Dataset; none of them touches a file.
import type * as arrow from 'apache-arrow';
import type { DType, ValueOf, Bool, Float64, Utf8, Int64, Binary } from '../types/dtype.ts';
import type { Schema, Simplify } from '../types/schema.ts';
import { Dataset, fromSource } from '../graph/dataset.ts';
import { rowsSource, arrowTableSource } from './memory.ts';
import { csvSource } from './csv.ts';
import type { CsvOptions } from './csv.ts';
import { ipcSource } from './arrow-ipc.ts';
import { parquetSource } from './parquet.ts';
import { manifestSource } from './manifest.ts';
import type { ManifestOptions, ManifestSchema } from './manifest.ts';

type InferDType<V> = [V] extends [number] ? Float64 : [V] extends [string] ? Utf8 : [V] extends [boolean] ? Bool : [V] extends [bigint] ? Int64 : [V] extends [Uint8Array] ? Binary : DType;
/** The schema fromRows infers from a row type (numbers → float64, strings → utf8, …). */
export type InferSchema<R> = Simplify<{ readonly [K in keyof R & string]: InferDType<Exclude<R[K], null | undefined>> }>;
/** Rows matching a schema (for fromRows with an explicit schema). */
export type RowsOf<S extends Schema> = readonly { readonly [K in keyof S]?: ValueOf<S[K]> | null }[];

/**
 * A dataset over JS row objects. With a schema the column dtypes are exact; without one they are
 * inferred (numbers become float64).
 * @example fromRows([{ id: 'a', x: 1 }], { id: dt.utf8(), x: dt.int32() })
 */
export function fromRows<const S extends Schema>(rows: RowsOf<S>, schema: S): Dataset<S>;
export function fromRows<R extends Record<string, unknown>>(rows: readonly R[]): Dataset<InferSchema<R>>;
export function fromRows(rows: readonly Record<string, unknown>[], schema?: Schema): Dataset<Schema> {
  return fromSource(rowsSource(rows, schema));
}

/** A dataset over an apache-arrow Table (tensor extension fields are recognized). */
export function fromArrow<S extends Schema = Schema>(table: arrow.Table): Dataset<S> {
  return fromSource(arrowTableSource(table));
}

/** A CSV file. Pass `schema` for a typed dataset; otherwise dtypes are inferred at plan time. */
export function readCsv<const S extends Schema = Schema>(path: string, opts: CsvOptions<S> = {}): Dataset<S> {
  return fromSource(csvSource(path, opts));
}

/** An Arrow IPC file or stream. */
export function readArrow<const S extends Schema = Schema>(path: string, opts: { schema?: S } = {}): Dataset<S> {
  return fromSource(ipcSource(path, opts.schema));
}

/** A Parquet file. */
export function readParquet<const S extends Schema = Schema>(path: string, opts: { schema?: S } = {}): Dataset<S> {
  return fromSource(parquetSource(path, opts.schema));
}

/**
 * A dataset in the standard layout: `root/metadata.csv` with id,image_path,text_path,audio_path,label;
 * paths are made absolute and confined to root (escapes and missing files are per-row errors).
 */
export function readManifest(root: string, opts: ManifestOptions = {}): Dataset<ManifestSchema> {
  return fromSource(manifestSource(root, opts));
}
