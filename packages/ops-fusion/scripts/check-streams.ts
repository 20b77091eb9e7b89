// Checks alignAsof and interpolate on the real IMU (200 Hz) + camera (20 Hz) streams against pandas
// (merge_asof) and numpy (interp), by running scripts/check-streams.py. A manual check, not a test:
// CI has no Python and the streams are not in the repository.
//   node --import tsx packages/ops-fusion/scripts/check-streams.ts [/work/shared/data/streams]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readCsv, dt, columnValues, fromArrowSchema } from '@modaflow/core';
import type { Dataset, Schema } from '@modaflow/core';
import type * as arrow from 'apache-arrow';
import { alignAsof, interpolate, convertTimeUnit } from '../src/index.ts';

const dir = process.argv[2] ?? '/work/shared/data/streams';
const TS_COL = '#timestamp [ns]';

/** A stream with its '#timestamp [ns]' int64 column turned into a timestamp[ns] column 't'. */
function stream(file: string): Dataset<Schema> {
  return readCsv(join(dir, file))
    .map(convertTimeUnit({ column: TS_COL, input: 'int64', from: 'ns', to: 'ns', output: 't' }) as never)
    .drop(TS_COL as never) as unknown as Dataset<Schema>;
}

function col(t: arrow.Table, name: string): unknown[] {
  return columnValues(fromArrowSchema(t.schema)[name]!, t.getChild(name)!);
}

const py = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'check-streams.py'), dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
if (py.status !== 0) {
  console.error(`check-streams.py failed (status ${py.status}): ${py.stderr}`);
  process.exit(1);
}
const ref = JSON.parse(py.stdout) as { pandas: string; imuRows: number; camRows: number; channels: string[]; linear: number[][] } & Record<string, (number | null)[]>;

const imuRaw = stream('imu0.csv');
const imuTable = await imuRaw.compute();
const imuRows = imuTable.numRows;
let failures = 0;
const cam = stream('cam0.csv');
for (const [direction, strict] of (['backward', 'forward', 'nearest'] as const).flatMap((d) => [[d, false], [d, true]] as const)) {
  const out = await alignAsof(cam, imuRaw, { on: 't', direction, tolerance: '6ms', rightKeyAs: 't_imu', allowExactMatches: !strict }).compute();
  const want = ref[`${direction}${strict ? 'Strict' : ''}`]!;
  // Recover the matched IMU row from its timestamp (IMU times are unique).
  const imuT = col(imuTable, 't') as bigint[];
  const byT = new Map(imuT.map((t, i) => [t, i]));
  const got = (col(out, 't_imu') as (bigint | null)[]).map((t) => (t === null ? null : byT.get(t)!));
  const bad = got.filter((g, i) => g !== want[i]).length;
  failures += bad;
  console.log(`alignAsof ${direction.padEnd(8)} tolerance 6ms, exact matches ${strict ? 'no ' : 'yes'}: ${got.filter((g) => g !== null).length}/${got.length} camera frames matched, ${bad} differ from pandas ${ref.pandas}`);
}
const chans = ref.channels;
const lin = await interpolate(cam, imuRaw, { on: 't', columns: chans as never }).compute();
let worst = 0;
chans.forEach((c, k) => {
  (col(lin, c) as number[]).forEach((y, i) => { worst = Math.max(worst, Math.abs(y - ref.linear[k]![i]!) / Math.max(1, Math.abs(ref.linear[k]![i]!))); });
});
if (worst > 1e-12) failures++;
console.log(`interpolate linear (${chans.length} IMU channels at ${ref.camRows} camera times, ${imuRows} IMU rows): max relative difference vs numpy.interp ${worst.toExponential(2)}`);
console.log(failures ? `FAILED (${failures})` : 'OK');
process.exit(failures ? 1 : 0);
