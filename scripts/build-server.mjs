// Builds the API server for production: dist/server/server.mjs (plus its verify worker), plain
// JavaScript that `npm start` runs with no TypeScript runtime, and dist/pglite-template/, a freshly
// initialised embedded database that a first start copies instead of running initdb (seconds).
// server.mjs is a small entry (server/built-entry.ts) that runs the application, server.cjs, with
// V8's code cache, server.cjs.cache, written last by a start of the built server.
//
//   node scripts/build-server.mjs
//   import { buildServer } from './build-server.mjs'; await buildServer()
//
// What is bundled and what is not: everything the server imports is inlined — our TypeScript, the
// generated Prisma client and its runtime, and the packages in `dependencies` — except the few
// packages that read files of their own at run time (RUNTIME_FILES below), which stay imports.
// One file loads about three times faster than the same packages through Node's module loader
// (hundreds of small files, each resolved, read and compiled on its own): start-up time
// (docs/operations.md). `npm ci --omit=dev` still installs every dependency, so the external
// ones resolve. `@prisma/client` and `pglite-prisma-adapter` are devDependencies on purpose:
// `@prisma/client` names the `prisma` CLI as an (optional) peer, and `pglite-prisma-adapter`
// names `@prisma/client` as a peer, so listing either in `dependencies` brings the CLI, Prisma
// Studio and React into a production install (406 MB instead of ~80 MB).
import { isAscii } from 'node:buffer';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { tsImport } from 'tsx/esm/api';

const root = fileURLToPath(new URL('..', import.meta.url));
export const SERVER_OUTDIR = join(root, 'dist', 'server');

/**
 * Packages kept as imports: PGlite loads its WebAssembly and file-system bundle from its own
 * folder; pg-native is pg's optional native binding, not installed.
 */
const RUNTIME_FILES = ['@electric-sql/pglite', 'pg-native'];

/**
 * swagger-ui serves its static files from its own folder, found through `__dirname`; inlined,
 * its modules get the folder of the installed package instead (it is a dependency, so
 * `npm ci --omit=dev` installs it), and the package with its @fastify/static loads as part of
 * the bundle (@fastify/static alone took 0.1 s of CPU through Node's module loader).
 */
const swaggerUiFilesInPlace = {
  name: 'swagger-ui-files-in-place',
  setup(build) {
    const packageDir = join(root, 'node_modules', '@fastify', 'swagger-ui');
    build.onLoad(
      { filter: /[\\/]node_modules[\\/]@fastify[\\/]swagger-ui[\\/].*\.js$/ },
      async ({ path }) => {
        const folder = relative(packageDir, dirname(path)).split(sep).join('/');
        const installed = "dirname(require.resolve('@fastify/swagger-ui'))";
        return {
          loader: 'js',
          contents:
            `const { dirname, join } = require('node:path'); const __dirname = join(${installed}, ${JSON.stringify(folder)});\n` +
            (await readFile(path, 'utf8')),
        };
      },
    );
  },
};

/** The file beside the built server that holds the Prisma query compiler's WebAssembly. */
const QUERY_COMPILER_FILE = 'query-compiler.wasm';

/**
 * The generated client (server/generated/prisma/internal/class.ts) gets its query compiler from a
 * module of one base64 string (4.5 MB), decoded and compiled with `new WebAssembly.Module` when the
 * first query needs it: at every start that string was parsed, decoded, and 3.4 MB of WebAssembly
 * compiled on the main thread while it also runs PGlite (about 0.15 s of a restart). Instead the
 * build writes the bytes beside the bundle, and the built client reads and compiles them on a
 * worker thread (server/db/wasm.ts) from the moment the client's module is loaded, before the
 * database opens; the first query awaits the same compilation.
 */
const GET_QUERY_COMPILER =
  /getQueryCompilerWasmModule: async \(\) => \{\s*const \{ wasm \} = await import\("([^"]+)"\)\s*return await decodeBase64AsWasm\(wasm\)\s*\},/;
const queryCompilerFromFile = {
  name: 'query-compiler-from-file',
  setup(build) {
    build.onLoad({ filter: /[\\/]generated[\\/]prisma[\\/]internal[\\/]class\.ts$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      const found = source.match(GET_QUERY_COMPILER);
      if (!found) throw new Error(`build-server: ${path} no longer loads its query compiler as expected`);
      const base64Module = await build.resolve(found[1], {
        resolveDir: dirname(path),
        kind: 'dynamic-import',
      });
      if (base64Module.errors.length) throw new Error(`build-server: cannot resolve ${found[1]}`);
      const { wasm } = await import(pathToFileURL(base64Module.path).href);
      const { outdir } = build.initialOptions;
      await mkdir(outdir, { recursive: true });
      await writeFile(join(outdir, QUERY_COMPILER_FILE), Buffer.from(wasm, 'base64'));
      const wasmModule = JSON.stringify(join(root, 'server', 'db', 'wasm.ts'));
      const compile = `
import { fileURLToPath as queryCompilerPath } from 'node:url';
import { compileWasmFile } from ${wasmModule};
let queryCompiler: Promise<WebAssembly.Module> | undefined;
function queryCompilerModule(): Promise<WebAssembly.Module> {
  queryCompiler ??= compileWasmFile(queryCompilerPath(new URL('./${QUERY_COMPILER_FILE}', import.meta.url))) as Promise<unknown> as Promise<WebAssembly.Module>;
  return queryCompiler;
}
// Started now; an error reaches the first query, which awaits the same promise.
queryCompilerModule().catch(() => {});
`;
      return {
        loader: 'ts',
        contents:
          source.replace(GET_QUERY_COMPILER, 'getQueryCompilerWasmModule: () => queryCompilerModule(),') +
          compile,
      };
    });
  },
};

/**
 * The application: server/server.ts and all it imports, as one CommonJS-shaped script
 * (server.cjs) that the entry (server.mjs, server/built-entry.ts) runs with V8's code cache,
 * which Node 20 has for scripts only. Strict, as the ES modules it is made of; `import.meta.url`
 * is the script's own URL, in the same folder as the ES module build had.
 */
const APP = { in: 'server/server.ts', out: 'server' };
const APP_FILE = 'server.cjs';
/** Written by a start at build time; read by server/code-cache.ts. */
const CODE_CACHE_FILE = `${APP_FILE}.cache`;

/** ES module entry points, by output name. The worker is loaded by file name (server/plugins/app/signatures.ts). */
const ENTRIES = {
  server: 'server/built-entry.ts',
  'verify-worker': 'server/plugins/app/verify-worker.ts',
};

export async function buildServer({ quiet = false } = {}) {
  await rm(SERVER_OUTDIR, { recursive: true, force: true });
  const { bytes } = await bundleServer();
  if (!quiet) console.log(`build-server: dist/server/ ${(bytes / 1024).toFixed(0)} KB of JavaScript`);

  // The template comes from the TypeScript source that opens databases, so both agree on
  // PGlite's options, and it holds the migrations as the server's own runner applies them.
  const { writePgliteTemplate } = await tsImport('../server/db/pglite.ts', import.meta.url);
  const { migratePglite } = await tsImport('../server/db/migrations.ts', import.meta.url);
  await writePgliteTemplate((pglite) => migratePglite(pglite));
  await writeCodeCache();
  return { bytes };
}

/**
 * The server's JavaScript (and the query compiler's WebAssembly) into `outdir`, without the code
 * cache. Another folder than dist/server must also sit two levels below the repository
 * (dist/<name>/), where the bundle finds prisma/ and the template.
 */
export async function bundleServer({ outdir = SERVER_OUTDIR } = {}) {
  const external = RUNTIME_FILES.flatMap((name) => [name, `${name}/*`]);
  const common = {
    absWorkingDir: root,
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    external: [...external, ...builtinModules.map((m) => `node:${m}`)],
    sourcemap: 'linked',
    // Less for V8 to scan at every start; identifiers are kept, so stack traces name functions.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    plugins: [queryCompilerFromFile, swaggerUiFilesInPlace],
  };
  const results = await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: [APP],
      outExtension: { '.js': '.cjs' },
      format: 'cjs',
      banner: {
        js: '"use strict";var __mifengModuleUrl=require("node:url").pathToFileURL(__filename).href;',
      },
      define: { 'import.meta.url': '__mifengModuleUrl' },
      // swagger-ui's require.resolve of itself (swaggerUiFilesInPlace) is meant: it finds the
      // installed package through the script's real require().
      logOverride: { 'require-resolve-not-external': 'silent' },
    }),
    esbuild.build({
      ...common,
      entryPoints: Object.entries(ENTRIES).map(([out, input]) => ({ in: input, out })),
      outExtension: { '.js': '.mjs' },
      format: 'esm',
      // Inlined CommonJS code calls require() for Node built-ins; ESM output has none of its own.
      banner: {
        js: "import { createRequire as __mifengRequire } from 'node:module'; const require = __mifengRequire(import.meta.url);",
      },
    }),
  ]);
  const bytes = results
    .flatMap((result) => Object.entries(result.metafile.outputs))
    .filter(([file]) => /\.[cm]js$/.test(file))
    .reduce((sum, [, output]) => sum + output.bytes, 0);
  // server/built-entry.ts decodes the application as Latin-1; esbuild's default charset escapes
  // every other character, and this keeps it so.
  if (!isAscii(await readFile(join(outdir, APP_FILE)))) {
    throw new Error(`build-server: ${APP_FILE} is not ASCII`);
  }
  return { bytes };
}

/**
 * The code cache (server/code-cache.ts) comes from a real start of the built server: a first
 * start on a scratch data directory (the template just written), one request, and a graceful
 * stop, at whose exit the entry writes the bytecode of everything that ran. Same Node, same
 * flags as production, or V8 rejects the cache and the server compiles as it would without one.
 */
export async function writeCodeCache({ outdir = SERVER_OUTDIR } = {}) {
  const { freePort } = await tsImport('../harness/net.ts', import.meta.url);
  const dataDir = await mkdtemp(join(tmpdir(), 'mifeng-code-cache-'));
  const port = await freePort();
  const cachePath = join(outdir, CODE_CACHE_FILE);
  const env = {
    ...process.env,
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
    MIFENG_CODE_CACHE_OUT: cachePath,
  };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  try {
    const child = spawn(process.execPath, [join(outdir, 'server.mjs')], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
    const output = [];
    await new Promise((resolve, reject) => {
      let buffered = '';
      child.stdout.on('data', (chunk) => {
        buffered += chunk;
        output.push(String(chunk));
        if (buffered.includes('"readyMs"')) resolve();
      });
      exited.then((status) =>
        reject(
          new Error(`build-server: the server exited (${status}) before it was ready:\n${output.join('')}`),
        ),
      );
    });
    await fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.arrayBuffer());
    child.kill('SIGTERM');
    const status = await exited;
    if (status !== 0)
      throw new Error(`build-server: the server exited with ${status} while writing its code cache`);
    await readFile(cachePath).catch(() => {
      throw new Error(`build-server: the server wrote no code cache (${CODE_CACHE_FILE})`);
    });
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildServer();
