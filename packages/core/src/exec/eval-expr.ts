// Vectorized evaluation of expression trees over a chunk. Null semantics follow SQL: comparisons
// and arithmetic with a null operand give null; a filter keeps only rows whose predicate is true;
// AND/OR use three-valued logic.
import type { DType } from '../types/dtype.ts';
import { dt, isInteger } from '../types/dtype.ts';
import type { ExprNode } from '../graph/expr.ts';
import { inferDType, weakLiteralType } from '../graph/expr.ts';
import type { Chunk } from './chunk.ts';
import { columnValues } from './column.ts';
import { ExprError } from '../errors.ts';

export interface Evaluated {
  readonly dtype: DType;
  readonly values: unknown[];
}

export function evalExpr(n: ExprNode, chunk: Chunk, op = 'expression'): Evaluated {
  const dtype = inferDType(n, chunk.schema, op);
  return { dtype, values: evalNode(n, chunk, dtype, op) };
}

function fill(n: number, v: unknown): unknown[] {
  return new Array(n).fill(v);
}

function evalNode(n: ExprNode, c: Chunk, dtype: DType, op: string): unknown[] {
  const len = c.length;
  switch (n.e) {
    case 'col': return columnValues(dtype, c.columns[n.name]!);
    case 'lit': return fill(len, coerceLiteral(n.value, dtype));
    case 'cmp': {
      const lt = inferDType(n.left, c.schema, op);
      const rt = n.right.e === 'lit' && n.right.dtype === null ? weakLiteralType(lt, n.right.value) : inferDType(n.right, c.schema, op);
      const l = evalNode(n.left, c, lt, op);
      const r = evalNode(n.right, c, rt, op);
      const out = new Array(len);
      for (let i = 0; i < len; i++) {
        const a = l[i], b = r[i];
        out[i] = a === null || b === null ? null : compare(n.op, a, b);
      }
      return out;
    }
    case 'and': case 'or': {
      const parts = n.args.map((a) => evalNode(a, c, dt.bool(), op));
      const out = new Array(len);
      const isAnd = n.e === 'and';
      for (let i = 0; i < len; i++) {
        let sawNull = false;
        let decided: boolean | null = null;
        for (const p of parts) {
          const v = p[i];
          if (v === null) sawNull = true;
          else if (v === !isAnd) { decided = !isAnd; break; }
        }
        out[i] = decided !== null ? decided : sawNull ? null : isAnd;
      }
      return out;
    }
    case 'not': {
      const v = evalNode(n.arg, c, dt.bool(), op);
      return v.map((x) => (x === null ? null : !x));
    }
    case 'isNull': {
      const t = inferDType(n.arg, c.schema, op);
      const v = evalNode(n.arg, c, t, op);
      return v.map((x) => (x === null) !== n.negate);
    }
    case 'isIn': {
      const t = inferDType(n.arg, c.schema, op);
      const v = evalNode(n.arg, c, t, op);
      const set = new Set(n.values.map((x) => (typeof x === 'bigint' && !isBig(t) ? Number(x) : typeof x === 'number' && isBig(t) && Number.isInteger(x) ? BigInt(x) : x)));
      return v.map((x) => (x === null ? null : set.has(x)));
    }
    case 'arith': {
      const lt = inferDType(n.left, c.schema, op);
      const rt = n.right.e === 'lit' && n.right.dtype === null ? weakLiteralType(lt, n.right.value) : inferDType(n.right, c.schema, op);
      const l = evalNode(n.left, c, lt, op);
      const r = evalNode(n.right, c, rt, op);
      const out = new Array(len);
      const big = isBig(dtype);
      for (let i = 0; i < len; i++) {
        const a = l[i], b = r[i];
        if (a === null || b === null) { out[i] = null; continue; }
        out[i] = big ? bigArith(n.op, BigInt(a as bigint), BigInt(b as bigint)) : numArith(n.op, Number(a), Number(b), dtype);
      }
      return out;
    }
    case 'cast': {
      const t = inferDType(n.arg, c.schema, op);
      const v = evalNode(n.arg, c, t, op);
      return v.map((x) => (x === null ? null : castValue(x, t, n.dtype, op)));
    }
  }
}

function isBig(t: DType): boolean {
  return t.kind === 'int64' || t.kind === 'uint64' || t.kind === 'timestamp';
}

function coerceLiteral(v: unknown, t: DType): unknown {
  if (v === null) return null;
  if (isBig(t) && typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (!isBig(t) && typeof v === 'bigint') return Number(v);
  return v;
}

function compare(op: string, a: unknown, b: unknown): boolean {
  // bigint and number compare correctly with < and >; == is used only across the two kinds.
  const eq = typeof a === typeof b ? a === b : a == b; // eslint-disable-line eqeqeq
  switch (op) {
    case 'eq': return eq;
    case 'ne': return !eq;
    case 'lt': return (a as number) < (b as number);
    case 'le': return (a as number) <= (b as number);
    case 'gt': return (a as number) > (b as number);
    case 'ge': return (a as number) >= (b as number);
  }
  return false;
}

const INT_RANGE: Record<string, [number, number]> = {
  int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647],
  uint8: [0, 255], uint16: [0, 65535], uint32: [0, 4294967295],
};

function wrapInt(x: number, t: DType): number {
  const r = INT_RANGE[t.kind];
  if (!r) return x;
  const span = r[1] - r[0] + 1;
  let v = Math.trunc(x);
  v = ((((v - r[0]) % span) + span) % span) + r[0];
  return v;
}

function numArith(op: string, a: number, b: number, t: DType): number | null {
  let v: number;
  switch (op) {
    case 'add': v = a + b; break;
    case 'sub': v = a - b; break;
    case 'mul': v = a * b; break;
    case 'div': return a / b;
    case 'mod':
      if (isInteger(t) && b === 0) return null;
      v = a % b; break;
    default: v = NaN;
  }
  return isInteger(t) ? wrapInt(v, t) : t.kind === 'float32' ? Math.fround(v) : v;
}

function bigArith(op: string, a: bigint, b: bigint): bigint | null {
  switch (op) {
    case 'add': return BigInt.asIntN(64, a + b);
    case 'sub': return BigInt.asIntN(64, a - b);
    case 'mul': return BigInt.asIntN(64, a * b);
    case 'mod': return b === 0n ? null : a % b;
  }
  return null;
}

function castValue(x: unknown, from: DType, to: DType, op: string): unknown {
  if (from.kind === to.kind) return x;
  switch (to.kind) {
    case 'utf8':
      return typeof x === 'string' ? x : typeof x === 'bigint' || typeof x === 'number' || typeof x === 'boolean' ? String(x) : JSON.stringify(x);
    case 'bool':
      if (typeof x === 'string') return x === 'true' ? true : x === 'false' ? false : null;
      return Boolean(x);
    case 'float32': case 'float64': {
      const v = typeof x === 'string' ? (x.trim() === '' ? NaN : Number(x)) : Number(x);
      return to.kind === 'float32' ? Math.fround(v) : v;
    }
    case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint16': case 'uint32': {
      const v = typeof x === 'string' ? Number(x) : typeof x === 'boolean' ? Number(x) : Number(x);
      if (!Number.isFinite(v)) return null;
      return wrapInt(v, to);
    }
    case 'int64': case 'uint64': case 'timestamp': {
      try {
        if (typeof x === 'number') return Number.isFinite(x) ? BigInt(Math.trunc(x)) : null;
        if (typeof x === 'boolean') return x ? 1n : 0n;
        if (typeof x === 'string') return BigInt(x.trim());
        return BigInt(x as bigint);
      } catch {
        return null;
      }
    }
    default:
      throw new ExprError('MF_EXPR', `cast from ${from.kind} to ${to.kind} is not supported`, { op, fix: 'cast through utf8 or a numeric dtype, or use an op' });
  }
}

/** Indices of rows where the predicate is true (null counts as false). */
export function predicateIndices(values: readonly unknown[]): Uint32Array {
  let n = 0;
  for (const v of values) if (v === true) n++;
  const out = new Uint32Array(n);
  let j = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === true) out[j++] = i;
  return out;
}
