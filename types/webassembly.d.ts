// The WebAssembly globals Node 20 provides. TypeScript declares them only in lib.dom, which this
// workspace does not load (Node code must not see DOM globals), and @types/node 20 does not
// declare them; this is the subset our WASM kernels use. Every package's tsconfig gets it through
// tsconfig.base.json "files"; keep WebAssembly types out of exported signatures.
declare namespace WebAssembly {
  type ImportValue = Function | Global | Memory | Table | number | bigint;
  type Imports = Record<string, Record<string, ImportValue>>;
  type Exports = Record<string, Function | Global | Memory | Table>;
  interface MemoryDescriptor { initial: number; maximum?: number; shared?: boolean }
  interface GlobalDescriptor { value: 'i32' | 'i64' | 'f32' | 'f64'; mutable?: boolean }
  interface TableDescriptor { element: 'anyfunc' | 'externref'; initial: number; maximum?: number }
  class Module {
    constructor(bytes: ArrayBufferView | ArrayBuffer);
    static exports(m: Module): { name: string; kind: string }[];
    static imports(m: Module): { module: string; name: string; kind: string }[];
  }
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Exports;
  }
  class Memory {
    constructor(d: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  class Global {
    constructor(d: GlobalDescriptor, value?: number | bigint);
    value: number | bigint;
  }
  class Table {
    constructor(d: TableDescriptor);
    readonly length: number;
  }
  class CompileError extends Error {}
  class LinkError extends Error {}
  class RuntimeError extends Error {}
  function validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
  function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>;
  function instantiate(bytes: ArrayBufferView | ArrayBuffer, imports?: Imports): Promise<{ module: Module; instance: Instance }>;
  function instantiate(module: Module, imports?: Imports): Promise<Instance>;
}
