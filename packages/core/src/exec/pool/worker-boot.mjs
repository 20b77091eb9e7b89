// Worker entry when modaflow runs from TypeScript sources (under tsx). Registering tsx's ESM hooks
// first and then importing worker.ts as ESM gives the worker one copy of @modaflow/core and
// apache-arrow, shared with the op modules it imports; letting piscina load worker.ts directly goes
// through tsx's CommonJS hook and loads a second (CommonJS) copy of both.
import { workerData } from 'node:worker_threads';

const api = workerData && workerData.tsxEsmApi;
if (api) {
  (await import(api)).register();
  globalThis[Symbol.for('modaflow/tsx-esm')] = true;
}
const mod = await import(new URL('./worker.ts', import.meta.url).href);
export default mod.default;
