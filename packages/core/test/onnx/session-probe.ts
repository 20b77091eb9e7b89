// A test op that reports, per row, the thread it ran on and how many ONNX sessions that thread has
// created: counts sessions per worker through the real pool.
import { threadId } from 'node:worker_threads';
import { defineOp, dt, onnx } from '../../src/index.ts';
import type { Int32 } from '../../src/index.ts';

const def = defineOp<{ output: string }>({
  name: 'onnxtest.session-probe',
  module: import.meta.url,
  inputs: () => ({}),
  outputs: () => ({ thread: dt.int32(), sessions: dt.int32() }),
  kernel(input) {
    const created = onnx.sessionStats().created;
    return { columns: { thread: new Array(input.numRows).fill(threadId), sessions: new Array(input.numRows).fill(created) } };
  },
});

export const sessionProbe = () => def.call<{}, { thread: Int32; sessions: Int32 }>({ output: 'x' });
