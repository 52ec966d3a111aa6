/**
 * Prisma's schema engine compiled to WebAssembly (`@prisma/schema-engine-wasm`), the engine behind
 * `prisma migrate`, driven through a driver adapter instead of a native binary (the native engine
 * the CLI downloads on first use is unreachable from these machines; docs/database.md).
 *
 * The package's ESM entry does `import * as wasm from "./schema_engine_bg.wasm"`, which only a
 * bundler understands, so the module is instantiated here by hand: compile the bytes, link them
 * against the package's JS glue, hand the instance to the glue, run its start function.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import { type WasmImports, wasm } from './wasm';

export type {
  ApplyMigrationsOutput,
  DiffParams,
  MigrationDirectory,
  MigrationList,
  SchemaEngine,
  SchemaFilter,
} from '@prisma/schema-engine-wasm';

type Glue = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

let loading: Promise<Glue> | undefined;

/** Loads and instantiates the engine once per process (compiling 5 MB of wasm is not free). */
export function loadSchemaEngine(): Promise<Glue> {
  loading ??= (async () => {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('@prisma/schema-engine-wasm'));
    const glue: Glue = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(join(dir, 'schema_engine_bg.wasm'));
    const { instance } = await wasm.instantiate(bytes, unrefTimers(glue));
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return loading;
}

/**
 * The engine arms timers (query and lock timeouts) that it never clears once the work is done,
 * which would keep a finished `npm run db:migrate` alive for ten more seconds. Unref'd timers
 * still fire while anything else keeps the process running.
 */
function unrefTimers(glue: Glue): WasmImports {
  const imports: Record<string, unknown> = { ...glue };
  for (const [name, value] of Object.entries(glue)) {
    if (name.startsWith('__wbg_setTimeout_') && typeof value === 'function') {
      const arm = value as (...args: unknown[]) => { unref?: () => void } | undefined;
      imports[name] = (...args: unknown[]) => {
        const timer = arm(...args);
        timer?.unref?.();
        return timer;
      };
    }
  }
  return { './schema_engine_bg.js': imports };
}

/** Receives the engine's log lines (JSON strings from its tracing layer). */
export type EngineLogSink = (line: string) => void;

/**
 * Starts a schema engine on a database reached through `factory`. The caller frees it with
 * `engine.free()`; the factory's connections stay the caller's to close.
 */
export async function startSchemaEngine(
  factory: SqlMigrationAwareDriverAdapterFactory,
  onLog: EngineLogSink = () => {},
): Promise<SchemaEngine> {
  const glue = await loadSchemaEngine();
  const adapter = bindMigrationAwareSqlAdapterFactory(factory);
  return glue.SchemaEngine.new({ datamodels: undefined }, onLog, adapter);
}

/** Version of the WASM schema engine, for logs and reports. */
export async function schemaEngineVersion(): Promise<string> {
  return (await loadSchemaEngine()).version();
}
