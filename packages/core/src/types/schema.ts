// Schemas: a record from column name to dtype, at the type level and at runtime. Insertion order
// of the keys is the column order.
import type { DType, ValueOf } from './dtype.ts';
import { dtypeToString } from './dtype.ts';

/** A schema: column name → dtype. */
export type Schema = { readonly [name: string]: DType };

/** The row object of a schema; every column may be null. */
export type RowOf<S extends Schema> = { -readonly [K in keyof S]: ValueOf<S[K]> | null };

/** Simplify an intersection for readable hovers and exact type tests. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** S with the columns of O added (or replaced, when a name already exists). */
export type Extend<S extends Schema, O extends Schema> = { readonly [K in keyof (Omit<S, keyof O> & O)]: (Omit<S, keyof O> & O)[K] };

/** S restricted to the columns K. */
export type SelectCols<S extends Schema, K extends keyof S> = Simplify<Pick<S, K>>;

/** S without the columns K. */
export type DropCols<S extends Schema, K extends keyof S> = Simplify<Omit<S, K>>;

/** S with columns renamed by the mapping M (old name → new name). */
export type RenameCols<S extends Schema, M extends { readonly [K in keyof S]?: string }> = AsSchema<{
  readonly [K in keyof S as K extends keyof M ? (M[K] extends string ? M[K] : K) : K]: S[K];
}>;

/** T, seen by the compiler as a Schema. */
export type AsSchema<T> = T extends Schema ? T : never;

/** Column names of S as strings. */
export type ColumnName<S extends Schema> = keyof S & string;

/** Runtime schema: an ordered list of fields. */
export interface FieldSpec {
  readonly name: string;
  readonly dtype: DType;
}

export function schemaFields(s: Schema): FieldSpec[] {
  return Object.keys(s).map((name) => ({ name, dtype: s[name]! }));
}

export function schemaToString(s: Schema): string {
  return Object.entries(s)
    .map(([k, v]) => `${k}: ${dtypeToString(v)}`)
    .join(', ');
}
