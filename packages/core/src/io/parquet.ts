// Parquet through parquet-wasm (arrow-rs compiled to WebAssembly): the Arrow schema, tensor
// extension metadata included, is stored in the file, so pyarrow and DuckDB read it back.
import * as arrow from 'apache-arrow';
import { readFile, writeFile } from 'node:fs/promises';
import { openAsBlob } from 'node:fs';
import { createRequire } from 'node:module';
import type { Schema } from '../types/schema.ts';
import type { Source, SourceBatch, SourceReadOptions } from '../plan/logical-plan.ts';
import { fromArrowSchema } from '../types/arrow-types.ts';
import { recordBatchChunks } from '../exec/chunk.ts';
import { shardChunk } from './memory.ts';
import { IoError } from '../errors.ts';

type ParquetWasm = typeof import('parquet-wasm/node');
let pw: ParquetWasm | null = null;
function parquetWasm(): ParquetWasm {
  // The node build of parquet-wasm is CommonJS and loads its wasm synchronously.
  pw ??= createRequire(import.meta.url)('parquet-wasm/node') as ParquetWasm;
  return pw;
}

export async function readParquetTable(path: string, columns?: readonly string[]): Promise<arrow.Table> {
  let file: Buffer | Blob;
  try {
    // A projection reads the file as a Blob (the reader fetches the column chunks it needs);
    // otherwise the whole file is decoded from memory.
    file = columns ? await openAsBlob(path) : await readFile(path);
  } catch (e) {
    throw new IoError('MF_IO', `cannot read ${path}: ${(e as Error).message}`, { op: 'readParquet', fix: 'check the path', cause: e });
  }
  try {
    const p = parquetWasm();
    // parquet-wasm 0.8's synchronous readParquet ignores `columns` (it decodes every column);
    // its ParquetFile reader honours it, so a projection decodes only the columns it needs.
    if (file instanceof Blob) {
      const pf = await p.ParquetFile.fromFile(file);
      try {
        return arrow.tableFromIPC((await pf.read({ columns: [...columns!] })).intoIPCStream());
      } finally {
        pf.free(); // (its WebAssembly memory is not the garbage collector's)
      }
    }
    return arrow.tableFromIPC(p.readParquet(new Uint8Array(file)).intoIPCStream());
  } catch (e) {
    throw new IoError('MF_IO', `cannot decode Parquet ${path}: ${String(e)}`, { op: 'readParquet', fix: 'check that the file is a valid Parquet file', cause: e });
  }
}

class ParquetSource implements Source {
  readonly name = 'readParquet';
  readonly knownSchema: Schema | null;
  readonly path: string;
  private resolved: Schema | null = null;
  constructor(path: string, schema?: Schema) {
    this.path = path;
    this.knownSchema = schema ?? null;
  }
  describe(): string { return this.path; }
  async resolveSchema(): Promise<Schema> {
    if (this.knownSchema) return this.knownSchema;
    if (!this.resolved) {
      const p = parquetWasm();
      const buf = await readFile(this.path).catch((e) => { throw new IoError('MF_IO', `cannot read ${this.path}: ${(e as Error).message}`, { op: 'readParquet', cause: e }); });
      const meta = p.readSchema(new Uint8Array(buf));
      this.resolved = fromArrowSchema(arrow.tableFromIPC(meta.intoIPCStream()).schema);
    }
    return this.resolved;
  }
  async *read(o: SourceReadOptions): AsyncGenerator<SourceBatch> {
    const full = await this.resolveSchema();
    // Only the columns the plan needs are decoded (the planner pushes them down).
    const cols = o.columns?.filter((c) => c in full);
    const schema = cols ? Object.fromEntries(cols.map((c) => [c, full[c]!])) : full;
    const t = await readParquetTable(this.path, cols);
    let first = 0;
    for (const b of t.batches) {
      for (const c of recordBatchChunks(b, first, o.batchSize, schema)) yield { chunk: shardChunk(c, o.shard) };
      first += b.numRows;
      if (o.limit !== undefined && first >= o.limit) break;
    }
  }
}

export function parquetSource(path: string, schema?: Schema): Source {
  return new ParquetSource(path, schema);
}

/** Write a table as Parquet (snappy). */
export async function writeParquetFile(path: string, table: arrow.Table): Promise<void> {
  const p = parquetWasm();
  const wt = p.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
  const props = new p.WriterPropertiesBuilder().setCompression(p.Compression.SNAPPY).build();
  const bytes = p.writeParquet(wt, props);
  try {
    await writeFile(path, bytes);
  } catch (e) {
    throw new IoError('MF_IO', `cannot write ${path}: ${(e as Error).message}`, { op: 'write', fix: 'check the directory exists and is writable', cause: e });
  }
}
