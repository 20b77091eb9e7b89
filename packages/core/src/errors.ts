// One error hierarchy with stable codes. Every message names the op, the column and the row where
// they are known, and says what to do about it (`fix`).

export type ErrorCode =
  | 'MF_COLUMN_NOT_FOUND'
  | 'MF_DTYPE_MISMATCH'
  | 'MF_SCHEMA'
  | 'MF_INVALID_ARGUMENT'
  | 'MF_CSV_PARSE'
  | 'MF_PATH_ESCAPE'
  | 'MF_FILE_MISSING'
  | 'MF_IO'
  | 'MF_OP_FAILED'
  | 'MF_ROW_ERROR'
  | 'MF_OP_NOT_FOUND'
  | 'MF_OP_DUPLICATE'
  | 'MF_OP_OUTPUT'
  | 'MF_NOT_SERIALIZABLE'
  | 'MF_EXPR'
  | 'MF_ABORTED'
  | 'MF_WORKER'
  | 'MF_DECODE'
  | 'MF_LIMIT_EXCEEDED'
  | 'MF_MODEL'
  | 'MF_OPTIMIZER';

export interface ErrorContext {
  /** Op name, e.g. `image.decode`, or the plan node (`filter`, `readCsv`). */
  op?: string;
  column?: string;
  /** Source row id (0-based row of the source) when known. */
  row?: number;
  /** What the user can do about it. */
  fix?: string;
  cause?: unknown;
}

/** Base class of every error modaflow throws. `code` is stable across versions. */
export class ModaflowError extends Error {
  override name = 'ModaflowError';
  readonly code: ErrorCode;
  readonly op: string | undefined;
  readonly column: string | undefined;
  readonly row: number | undefined;
  readonly fix: string | undefined;
  /** The message without the op/column/row/fix decoration. */
  readonly reason: string;

  constructor(code: ErrorCode, reason: string, ctx: ErrorContext = {}) {
    super(formatMessage(code, reason, ctx), ctx.cause === undefined ? undefined : { cause: ctx.cause });
    this.code = code;
    this.reason = reason;
    this.op = ctx.op;
    this.column = ctx.column;
    this.row = ctx.row;
    this.fix = ctx.fix;
  }

  /** A copy with more context (e.g. the executor adding the op name and row). */
  withContext(ctx: ErrorContext): ModaflowError {
    const merged: ErrorContext = {
      op: this.op ?? ctx.op,
      column: this.column ?? ctx.column,
      row: this.row ?? ctx.row,
      fix: this.fix ?? ctx.fix,
      cause: this.cause ?? ctx.cause,
    };
    const e = new (this.constructor as new (c: ErrorCode, r: string, x: ErrorContext) => ModaflowError)(this.code, this.reason, merged);
    return e;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.reason, op: this.op, column: this.column, row: this.row, fix: this.fix };
  }
}

function formatMessage(code: ErrorCode, reason: string, ctx: ErrorContext): string {
  const where = [
    ctx.op !== undefined ? `op ${ctx.op}` : '',
    ctx.column !== undefined ? `column '${ctx.column}'` : '',
    ctx.row !== undefined ? `row ${ctx.row}` : '',
  ].filter(Boolean);
  return `[${code}] ${where.length ? where.join(', ') + ': ' : ''}${reason}${ctx.fix ? ` — fix: ${ctx.fix}` : ''}`;
}

/** A column a plan step reads does not exist. */
export class ColumnNotFoundError extends ModaflowError {
  override name = 'ColumnNotFoundError';
}
/** A column exists but its dtype is not what the op or expression needs. */
export class DTypeMismatchError extends ModaflowError {
  override name = 'DTypeMismatchError';
}
/** Schema-level problem: duplicate names, a schema that does not match the data, bad casts. */
export class SchemaError extends ModaflowError {
  override name = 'SchemaError';
}
/** A caller passed an invalid option or parameter. */
export class InvalidArgumentError extends ModaflowError {
  override name = 'InvalidArgumentError';
}
/** A CSV file could not be parsed; line and column are in the message. */
export class CsvParseError extends ModaflowError {
  override name = 'CsvParseError';
  readonly line: number | undefined;
  constructor(code: ErrorCode, reason: string, ctx: ErrorContext & { line?: number } = {}) {
    super(code, reason, ctx);
    this.line = ctx.line;
  }
}
/** A path from the data points outside the dataset root, or to a missing file. */
export class PathError extends ModaflowError {
  override name = 'PathError';
}
/** Reading or writing a file failed. */
export class IoError extends ModaflowError {
  override name = 'IoError';
}
/** An op failed on a row or a batch. */
export class OpError extends ModaflowError {
  override name = 'OpError';
}
/** Op registry problems: unknown op, duplicate definition. */
export class RegistryError extends ModaflowError {
  override name = 'RegistryError';
}
/** An expression is malformed or cannot be evaluated on the given columns. */
export class ExprError extends ModaflowError {
  override name = 'ExprError';
}
/** The run was cancelled through its AbortSignal. */
export class AbortError extends ModaflowError {
  override name = 'AbortError';
}
/** A worker thread failed or died. */
export class WorkerError extends ModaflowError {
  override name = 'WorkerError';
}

/** Wraps anything thrown by user code into a ModaflowError with context. */
export function toModaflowError(e: unknown, ctx: ErrorContext, code: ErrorCode = 'MF_OP_FAILED'): ModaflowError {
  if (e instanceof ModaflowError) return e.withContext(ctx);
  const msg = e instanceof Error ? e.message : String(e);
  return new OpError(code, msg, { ...ctx, cause: e });
}
