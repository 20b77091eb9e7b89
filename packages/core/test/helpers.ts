// Shared test helpers: table → plain rows (bigints kept), and a temp directory per test file.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Rows of a table as plain objects, using modaflow's value conventions (bigint, Tensor). */
export { tableRows as rowsOf } from '../src/index.ts';

export function tempDir(prefix = 'modaflow-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
