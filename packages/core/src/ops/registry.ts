// The op registry: (module, name) → definition. defineOp registers at module load, so importing a
// module is how a worker thread finds the ops it needs (piscina's handler-by-module idea).
import type { OpDef, TableOpDef } from './define-op.ts';
import { RegistryError } from '../errors.ts';

// Kept on globalThis under a Symbol.for key so two copies of @modaflow/core in one process (a
// dev copy and a built copy) share one registry.
const KEY = Symbol.for('modaflow/op-registry');
interface Registry {
  ops: Map<string, OpDef<unknown, unknown, unknown>>;
  tableOps: Map<string, TableOpDef<unknown>>;
}
const g = globalThis as unknown as { [KEY]?: Registry };
const registry: Registry = (g[KEY] ??= { ops: new Map(), tableOps: new Map() });

function check(kind: string, name: string, module: string, existing: { module: string } | undefined): boolean {
  if (!existing) return true;
  if (existing.module === module) return false;
  throw new RegistryError('MF_OP_DUPLICATE', `${kind} '${name}' is defined twice: in ${existing.module} and in ${module}`, {
    op: name,
    fix: 'give one of them another name (op names are global; namespace them, e.g. myproject.op)',
  });
}

export function registerOp(def: OpDef<unknown, unknown, unknown>): void {
  if (check('op', def.name, def.module, registry.ops.get(def.name))) registry.ops.set(def.name, def);
}

export function registerTableOp(def: TableOpDef<unknown>): void {
  if (check('table op', def.name, def.module, registry.tableOps.get(def.name))) registry.tableOps.set(def.name, def);
}

/** The op registered under `name`; importing `module` first when it is not registered yet. */
export async function resolveOp(name: string, module: string): Promise<OpDef<unknown, unknown, unknown>> {
  let def = registry.ops.get(name);
  if (!def) {
    await importOpModule(name, module);
    def = registry.ops.get(name);
  }
  if (!def) {
    throw new RegistryError('MF_OP_NOT_FOUND', `op '${name}' is not defined by ${module}`, {
      op: name,
      fix: 'check that the module calls defineOp with this name at top level',
    });
  }
  return def;
}

export async function resolveTableOp(name: string, module: string): Promise<TableOpDef<unknown>> {
  let def = registry.tableOps.get(name);
  if (!def) {
    await importOpModule(name, module);
    def = registry.tableOps.get(name);
  }
  if (!def) {
    throw new RegistryError('MF_OP_NOT_FOUND', `table op '${name}' is not defined by ${module}`, {
      op: name,
      fix: 'check that the module calls defineTableOp with this name at top level',
    });
  }
  return def;
}

/** Synchronous lookup (the builder validates plans without I/O). */
export function getOp(name: string): OpDef<unknown, unknown, unknown> | undefined {
  return registry.ops.get(name);
}

export function getTableOp(name: string): TableOpDef<unknown> | undefined {
  return registry.tableOps.get(name);
}

export function listOps(): string[] {
  return [...registry.ops.keys()].sort();
}

async function importOpModule(name: string, module: string): Promise<void> {
  try {
    await import(module);
  } catch (e) {
    throw new RegistryError('MF_OP_NOT_FOUND', `cannot import module ${module} for op '${name}': ${(e as Error).message}`, {
      op: name,
      fix: 'make sure the module path is importable from the worker (use import.meta.url in defineOp)',
      cause: e,
    });
  }
}
