// Child-process script for batches.test.ts: writes a loader's batches to stdout as an Arrow IPC
// stream, the way a Node producer feeds a Python training process through a pipe.
import { writeBatchStream } from '../../src/index.ts';
import { multimodal } from './loader-fixtures.ts';

const n = Number(process.argv[2] ?? 20);
await writeBatchStream(multimodal(n).batches({ batchSize: 4, shuffle: 'full', seed: 7, bucketBy: 'tokens', output: 'arrow' }), '-');
