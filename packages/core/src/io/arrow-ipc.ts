// Arrow IPC files (random-access "file" format and the "stream" format) as a source and a sink.
import * as arrow from 'apache-arrow';
import { open, readFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import type { Schema } from '../types/schema.ts';
import type { Source, SourceBatch, SourceReadOptions } from '../plan/logical-plan.ts';
import { fromArrowSchema } from '../types/arrow-types.ts';
import { recordBatchChunks } from '../exec/chunk.ts';
import { shardChunk } from './memory.ts';
import { IoError } from '../errors.ts';

async function openReader(path: string): Promise<arrow.RecordBatchReader> {
  try {
    const fh = await open(path, 'r');
    const r = await arrow.RecordBatchReader.from(fh);
    return (await r.open()) as arrow.RecordBatchReader;
  } catch (e) {
    throw new IoError('MF_IO', `cannot read Arrow IPC ${path}: ${(e as Error).message}`, { op: 'readArrow', fix: 'check that the file is an Arrow IPC file or stream', cause: e });
  }
}

class IpcSource implements Source {
  readonly name = 'readArrow';
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
      const r = await openReader(this.path);
      this.resolved = fromArrowSchema(r.schema);
      await r.cancel();
    }
    return this.resolved;
  }
  async *read(o: SourceReadOptions): AsyncGenerator<SourceBatch> {
    const schema = await this.resolveSchema();
    const r = await openReader(this.path);
    let first = 0;
    try {
      for await (const b of r) {
        for (const c of recordBatchChunks(b, first, o.batchSize, schema)) yield { chunk: shardChunk(c, o.shard) };
        first += b.numRows;
        if (o.limit !== undefined && first >= o.limit) break;
      }
    } finally {
      await r.cancel();
    }
  }
}

export function ipcSource(path: string, schema?: Schema): Source {
  return new IpcSource(path, schema);
}

/** Write record batches as an Arrow IPC file (or stream) incrementally. */
export async function writeIpc(path: string, schema: arrow.Schema, batches: AsyncIterable<arrow.RecordBatch>, format: 'file' | 'stream'): Promise<void> {
  const writer = format === 'file' ? new arrow.RecordBatchFileWriter() : new arrow.RecordBatchStreamWriter();
  const out = createWriteStream(path);
  const done = new Promise<void>((resolve, reject) => { out.on('finish', resolve); out.on('error', reject); });
  const piped = writer.toNodeStream().pipe(out);
  void piped;
  writer.reset(undefined, schema);
  try {
    for await (const b of batches) writer.write(b);
  } finally {
    writer.finish();
    writer.close();
  }
  await done.catch((e) => {
    throw new IoError('MF_IO', `cannot write ${path}: ${(e as Error).message}`, { op: 'write', fix: 'check the directory exists and is writable', cause: e });
  });
}

export async function readIpcTable(path: string): Promise<arrow.Table> {
  return arrow.tableFromIPC(await readFile(path));
}
