// Expressions are data, not closures: `col('x').gt(3)` builds a tree the planner can inspect,
// print, move and send to workers. The TypeScript type carries the result dtype D and the set of
// columns R the expression reads, so a filter over a missing column fails `tsc`.
import type { Bool, DType, Float64, Int64, Utf8 } from '../types/dtype.ts';
import { dt, dtypeToString, isFloat, isInteger, isNumeric } from '../types/dtype.ts';
import type { Schema } from '../types/schema.ts';
import { ColumnNotFoundError, DTypeMismatchError, ExprError } from '../errors.ts';

export type CmpOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export type ArithOp = 'add' | 'sub' | 'mul' | 'div' | 'mod';

export type ExprNode =
  | { readonly e: 'col'; readonly name: string }
  | { readonly e: 'lit'; readonly value: unknown; readonly dtype: DType | null }
  | { readonly e: 'cmp'; readonly op: CmpOp; readonly left: ExprNode; readonly right: ExprNode }
  | { readonly e: 'and' | 'or'; readonly args: readonly ExprNode[] }
  | { readonly e: 'not'; readonly arg: ExprNode }
  | { readonly e: 'arith'; readonly op: ArithOp; readonly left: ExprNode; readonly right: ExprNode }
  | { readonly e: 'isNull'; readonly arg: ExprNode; readonly negate: boolean }
  | { readonly e: 'isIn'; readonly arg: ExprNode; readonly values: readonly unknown[] }
  | { readonly e: 'cast'; readonly arg: ExprNode; readonly dtype: DType };

/** A dtype not known at compile time (an untyped `col('x')`). */
export type AnyDType = DType;

/** A literal usable on the right of a comparison or arithmetic. */
export type Literal = number | string | boolean | bigint | null;

declare const exprDType: unique symbol;
declare const exprRefs: unique symbol;

/** An expression producing dtype D from the columns R. */
export class Expr<D extends DType = DType, R extends string = string> {
  declare readonly [exprDType]?: D;
  declare readonly [exprRefs]?: R;
  readonly node: ExprNode;

  constructor(node: ExprNode) {
    this.node = node;
    Object.freeze(this);
  }

  eq<R2 extends string = never>(other: Expr<DType, R2> | Literal): Expr<Bool, R | R2> { return cmp('eq', this, other); }
  ne<R2 extends string = never>(other: Expr<DType, R2> | Literal): Expr<Bool, R | R2> { return cmp('ne', this, other); }
  lt<R2 extends string = never>(other: Expr<DType, R2> | Literal): Expr<Bool, R | R2> { return cmp('lt', this, other); }
  le<R2 extends string = never>(other: Expr<DType, R2> | Literal): Expr<Bool, R | R2> { return cmp('le', this, other); }
  gt<R2 extends string = never>(other: Expr<DType, R2> | Literal): Expr<Bool, R | R2> { return cmp('gt', this, other); }
  ge<R2 extends string = never>(other: Expr<DType, R2> | Literal): Expr<Bool, R | R2> { return cmp('ge', this, other); }

  and<R2 extends string>(other: Expr<Bool, R2>): Expr<Bool, R | R2> { return new Expr({ e: 'and', args: [this.node, other.node] }); }
  or<R2 extends string>(other: Expr<Bool, R2>): Expr<Bool, R | R2> { return new Expr({ e: 'or', args: [this.node, other.node] }); }
  not(): Expr<Bool, R> { return new Expr({ e: 'not', arg: this.node }); }

  add<R2 extends string = never>(other: Expr<DType, R2> | number | bigint): Expr<D, R | R2> { return arith('add', this, other); }
  sub<R2 extends string = never>(other: Expr<DType, R2> | number | bigint): Expr<D, R | R2> { return arith('sub', this, other); }
  mul<R2 extends string = never>(other: Expr<DType, R2> | number | bigint): Expr<D, R | R2> { return arith('mul', this, other); }
  /** True division: always float64. */
  div<R2 extends string = never>(other: Expr<DType, R2> | number | bigint): Expr<Float64, R | R2> { return arith('div', this, other); }
  mod<R2 extends string = never>(other: Expr<DType, R2> | number | bigint): Expr<D, R | R2> { return arith('mod', this, other); }

  isNull(): Expr<Bool, R> { return new Expr({ e: 'isNull', arg: this.node, negate: false }); }
  isNotNull(): Expr<Bool, R> { return new Expr({ e: 'isNull', arg: this.node, negate: true }); }
  isIn(values: readonly Literal[]): Expr<Bool, R> { return new Expr({ e: 'isIn', arg: this.node, values: [...values] }); }
  cast<T extends DType>(to: T): Expr<T, R> { return new Expr({ e: 'cast', arg: this.node, dtype: to }); }

  toString(): string { return exprToString(this.node); }
  toJSON(): ExprNode { return this.node; }
}

function toNode(v: Expr<DType, string> | Literal, weakFor?: ExprNode): ExprNode {
  if (v instanceof Expr) return v.node;
  if (typeof v === 'function' || (typeof v === 'object' && v !== null)) {
    throw new ExprError('MF_EXPR', `expected an expression or a literal, got ${Object.prototype.toString.call(v)}`, {
      fix: "use col('name') or a literal (number, string, boolean, bigint, null)",
    });
  }
  // A bare number next to a column is a "weak" literal: it takes the other side's dtype at plan time.
  return { e: 'lit', value: v, dtype: weakFor && typeof v === 'number' ? null : literalDType(v) };
}

function literalDType(v: Literal): DType | null {
  switch (typeof v) {
    case 'number': return dt.float64();
    case 'string': return dt.utf8();
    case 'boolean': return dt.bool();
    case 'bigint': return dt.int64();
    default: return null;
  }
}

function cmp(op: CmpOp, a: Expr<DType, string>, b: Expr<DType, string> | Literal): Expr<Bool, never> {
  return new Expr({ e: 'cmp', op, left: a.node, right: toNode(b, a.node) });
}

function arith(op: ArithOp, a: Expr<DType, string>, b: Expr<DType, string> | number | bigint): Expr<never, never> {
  return new Expr({ e: 'arith', op, left: a.node, right: toNode(b, a.node) });
}

/** A column reference. Untyped: the dtype is checked when the plan is built against its input. */
export function col<N extends string>(name: N): Expr<AnyDType, N> {
  if (typeof name !== 'string' || name.length === 0) {
    throw new ExprError('MF_EXPR', `col() needs a column name, got ${String(name)}`, { fix: "write col('name')" });
  }
  return new Expr({ e: 'col', name });
}

/** A literal; pass a dtype to pin it (`lit(3, dt.int32())`). */
export function lit(value: string): Expr<Utf8, never>;
export function lit(value: boolean): Expr<Bool, never>;
export function lit(value: bigint): Expr<Int64, never>;
export function lit(value: number): Expr<Float64, never>;
export function lit<T extends DType>(value: Literal, dtype: T): Expr<T, never>;
export function lit(value: Literal, dtype?: DType): Expr<DType, never> {
  return new Expr({ e: 'lit', value, dtype: dtype ?? literalDType(value) });
}

/** Conjunction of several predicates. */
export function and<R extends string>(...preds: Expr<Bool, R>[]): Expr<Bool, R> {
  return new Expr({ e: 'and', args: preds.map((p) => p.node) });
}
export function or<R extends string>(...preds: Expr<Bool, R>[]): Expr<Bool, R> {
  return new Expr({ e: 'or', args: preds.map((p) => p.node) });
}

/** Columns an expression reads. */
export function exprColumns(n: ExprNode, out: Set<string> = new Set()): Set<string> {
  switch (n.e) {
    case 'col': out.add(n.name); break;
    case 'lit': break;
    case 'cmp': case 'arith': exprColumns(n.left, out); exprColumns(n.right, out); break;
    case 'and': case 'or': for (const a of n.args) exprColumns(a, out); break;
    case 'not': case 'isNull': case 'isIn': case 'cast': exprColumns(n.arg, out); break;
  }
  return out;
}

function litToString(v: unknown): string {
  if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`;
  if (typeof v === 'bigint') return `${v}`;
  return String(v);
}

const CMP_SYM: Record<CmpOp, string> = { eq: '=', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' };
const ARITH_SYM: Record<ArithOp, string> = { add: '+', sub: '-', mul: '*', div: '/', mod: '%' };

/** SQL-like text of an expression, for explain(). */
export function exprToString(n: ExprNode): string {
  switch (n.e) {
    case 'col': return /^[A-Za-z_][A-Za-z0-9_]*$/.test(n.name) ? n.name : `"${n.name}"`;
    case 'lit': return litToString(n.value);
    case 'cmp': return `${exprToString(n.left)} ${CMP_SYM[n.op]} ${exprToString(n.right)}`;
    case 'arith': return `(${exprToString(n.left)} ${ARITH_SYM[n.op]} ${exprToString(n.right)})`;
    case 'and': case 'or': return n.args.map((a) => (a.e === 'and' || a.e === 'or' ? `(${exprToString(a)})` : exprToString(a))).join(n.e === 'and' ? ' AND ' : ' OR ');
    case 'not': return `NOT (${exprToString(n.arg)})`;
    case 'isNull': return `${exprToString(n.arg)} IS ${n.negate ? 'NOT ' : ''}NULL`;
    case 'isIn': return `${exprToString(n.arg)} IN (${n.values.map(litToString).join(', ')})`;
    case 'cast': return `CAST(${exprToString(n.arg)} AS ${dtypeToString(n.dtype)})`;
  }
}

/** Split a predicate into its top-level conjuncts. */
export function splitConjunction(n: ExprNode): ExprNode[] {
  if (n.e === 'and') return n.args.flatMap(splitConjunction);
  return [n];
}

/** Join conjuncts back into one predicate. */
export function joinConjunction(parts: readonly ExprNode[]): ExprNode {
  if (parts.length === 1) return parts[0]!;
  return { e: 'and', args: parts };
}

function numericResult(a: DType, b: DType, op: ArithOp): DType {
  if (op === 'div') return dt.float64();
  if (a.kind === b.kind) return a;
  const big = (t: DType) => t.kind === 'int64' || t.kind === 'uint64';
  if (big(a) && big(b)) return dt.int64();
  return dt.float64();
}

/** The dtype an expression produces over a schema; throws naming the column when it cannot. */
export function inferDType(n: ExprNode, schema: Schema, op = 'expression'): DType {
  switch (n.e) {
    case 'col': {
      const t = schema[n.name];
      if (!t) {
        throw new ColumnNotFoundError('MF_COLUMN_NOT_FOUND', `column '${n.name}' does not exist; available: ${Object.keys(schema).join(', ') || '(none)'}`, {
          op, column: n.name, fix: 'check the spelling, or add the column before this step',
        });
      }
      return t;
    }
    case 'lit': return n.dtype ?? dt.float64();
    case 'cmp': {
      const l = inferDType(n.left, schema, op);
      const r = inferDType(n.right, schema, op);
      const lr = n.right.e === 'lit' ? n.right : null;
      const compatible =
        (isNumeric(l) && (isNumeric(r) || lr?.value === null)) ||
        l.kind === r.kind ||
        (lr !== null && lr.value === null) ||
        (l.kind === 'timestamp' && (isInteger(r) || r.kind === 'float64'));
      if (!compatible) {
        throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `cannot compare ${dtypeToString(l)} with ${dtypeToString(r)} in ${exprToString(n)}`, {
          op, fix: 'cast one side so both have comparable dtypes',
        });
      }
      return dt.bool();
    }
    case 'and': case 'or': case 'not': {
      const args = n.e === 'not' ? [n.arg] : n.args;
      for (const a of args) {
        const t = inferDType(a, schema, op);
        if (t.kind !== 'bool') {
          throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `${n.e.toUpperCase()} needs bool operands, got ${dtypeToString(t)} in ${exprToString(a)}`, {
            op, fix: 'compare the value first, e.g. col(x).gt(0)',
          });
        }
      }
      return dt.bool();
    }
    case 'arith': {
      const l = inferDType(n.left, schema, op);
      const r = n.right.e === 'lit' && n.right.dtype === null ? weakLiteralType(l, n.right.value) : inferDType(n.right, schema, op);
      if (!isNumeric(l) || !isNumeric(r)) {
        throw new DTypeMismatchError('MF_DTYPE_MISMATCH', `arithmetic needs numeric operands, got ${dtypeToString(l)} and ${dtypeToString(r)} in ${exprToString(n)}`, {
          op, fix: 'cast the operands to a numeric dtype',
        });
      }
      return numericResult(l, r, n.op);
    }
    case 'isNull': inferDType(n.arg, schema, op); return dt.bool();
    case 'isIn': inferDType(n.arg, schema, op); return dt.bool();
    case 'cast': inferDType(n.arg, schema, op); return n.dtype;
  }
}

/** The dtype a bare number takes next to a column of dtype `other`. */
export function weakLiteralType(other: DType, value: unknown): DType {
  if (isFloat(other)) return other;
  if (isInteger(other) && typeof value === 'number' && Number.isInteger(value)) return other;
  return dt.float64();
}
