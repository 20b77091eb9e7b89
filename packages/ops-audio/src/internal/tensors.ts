// Reading waveform / spectrogram rows out of variable-shape tensor columns without copying, and
// collecting per-row results for an output tensor column.
import { dt, getValue, InvalidArgumentError, type Float32, type Int32, type KernelInput, type VariableShapeTensor } from '@modaflow/core';

/** A waveform column: float32 [channels, samples]. */
export type Waveform = VariableShapeTensor<Float32, 2>;
/** A spectrogram-like column: float32 [channels, bins, frames]. */
export type Spectrogram = VariableShapeTensor<Float32, 3>;
export type { Float32, Int32 };

export const WAVEFORM = dt.varTensor(dt.float32(), 2) as Waveform;
export const SPECTROGRAM = dt.varTensor(dt.float32(), 3) as Spectrogram;

export interface Row {
  readonly data: Float32Array;
  readonly shape: number[];
}

/** Rows of a float32 tensor column of the given ndim (null where null). */
export function readRows(input: KernelInput, column: string, ndim: 2 | 3): (Row | null)[] {
  const t = ndim === 2 ? WAVEFORM : SPECTROGRAM;
  const d = input.data(column);
  const out: (Row | null)[] = new Array(input.numRows);
  for (let i = 0; i < input.numRows; i++) out[i] = getValue(t, d, i) as Row | null;
  return out;
}

/** Values of an int32 (or other numeric) column as numbers, null where null. */
export function readNumbers(input: KernelInput, column: string): (number | null)[] {
  return input.values(column).map((v) => (v === null || v === undefined ? null : Number(v)));
}

/** Collects one tensor per row (null for rows left unset). */
export class TensorColumn {
  private readonly rows: (Row | null)[];
  constructor(private readonly ndim: 2 | 3, n: number) {
    this.rows = new Array(n).fill(null);
  }
  set(i: number, data: Float32Array, shape: number[]): void {
    if (shape.length !== this.ndim) throw new RangeError(`tensor of rank ${shape.length} in a rank-${this.ndim} column`);
    this.rows[i] = { data, shape };
  }
  /**
   * The rows as tensor values; the executor builds the Arrow column from them with the declared
   * dtype (one contiguous copy, which assembling the buffer here would cost as well).
   */
  build(): (Row | null)[] {
    return this.rows;
  }
}

/** Throws a clear error for a bad numeric parameter. */
export function need(cond: boolean, op: string, what: string, fix: string): void {
  if (!cond) throw new InvalidParam(op, what, fix);
}

class InvalidParam extends InvalidArgumentError {
  constructor(op: string, what: string, fix: string) {
    super('MF_INVALID_ARGUMENT', what, { op, fix });
  }
}

/** The reason text of a row error: what went wrong and the fix. */
export function reason(message: string, fix: string): string {
  return `${message} — fix: ${fix}`;
}
