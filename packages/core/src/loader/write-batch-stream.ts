// Hand-off to Python: a loader's Arrow batches written as one Arrow IPC stream (a file, stdout or any
// writable), one IPC record batch per training batch, so `pyarrow.ipc.open_stream` yields them in
// training order. The writer waits for the sink to drain, so a slow reader slows the loader down
// instead of filling memory.
import * as arrow from 'apache-arrow';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { IoError } from '../errors.ts';
import type { ArrowBatch } from './batch-options.ts';
import type { BatchLoader } from './batch-loader.ts';

/** Counters of a written stream. */
export interface WrittenStream {
  readonly batches: number;
  readonly rows: number;
  readonly bytes: number;
}

/**
 * Write every batch of an `output: 'arrow'` loader as an Arrow IPC stream to a path, to stdout
 * (`'-'`) or to a writable stream. Returns what was written.
 * @example await writeBatchStream(ds.batches({ batchSize: 32, output: 'arrow' }), '-');
 */
export async function writeBatchStream(loader: BatchLoader<ArrowBatch>, target: string | Writable): Promise<WrittenStream> {
  const toStdout = target === '-';
  const out: Writable = typeof target === 'string' ? (toStdout ? process.stdout : createWriteStream(target)) : target;
  const ownsSink = typeof target === 'string' && !toStdout;
  const where = typeof target === 'string' ? (toStdout ? 'stdout' : target) : 'the stream';
  let failed: Error | undefined;
  const onError = (e: Error): void => { failed ??= e; };
  out.on('error', onError);
  const writer = new arrow.RecordBatchStreamWriter();
  let bytes = 0;
  const pump = (async () => {
    for await (const buf of writer as AsyncIterable<Uint8Array>) {
      bytes += buf.byteLength;
      if (failed) continue;
      if (!out.write(buf)) await Promise.race([once(out, 'drain'), once(out, 'error')]);
    }
  })();
  let batches = 0, rows = 0;
  try {
    let started = false;
    for await (const b of loader) {
      if (failed) break;
      if (!started) { writer.reset(undefined, b.recordBatch.schema); started = true; }
      writer.write(b.recordBatch);
      batches++;
      rows += b.size;
      // Let the pump hand the bytes to the sink before computing more.
      await new Promise<void>((r) => setImmediate(r));
      if (out.writableNeedDrain) await Promise.race([once(out, 'drain'), once(out, 'error')]);
    }
    if (!started && !failed) writer.reset(undefined, await loader.arrowSchema());
  } finally {
    writer.finish();
    writer.close();
    await pump;
    if (ownsSink) {
      out.end();
      if (!failed) await Promise.race([once(out, 'finish'), once(out, 'error')]).catch(() => {});
    }
    out.off('error', onError);
  }
  if (failed) {
    throw new IoError('MF_IO', `cannot write the batch stream to ${where}: ${failed.message}`, { op: 'writeBatchStream', fix: 'check that the path is writable, or that the reading process is still running', cause: failed });
  }
  return { batches, rows, bytes };
}
