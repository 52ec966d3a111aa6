// Builds the API server for production: dist/server/server.mjs (plus its verify worker), plain
// JavaScript that `npm start` runs with no TypeScript runtime, and dist/pglite-template/, a freshly
// initialised embedded database that a first start copies instead of running initdb (seconds).
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
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
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
 * The generated client imports its query compiler's WebAssembly as a module of one base64
 * string (4.5 MB). Inlined, Node decodes and V8 parses that string at every start (about a
 * third of loading the bundle); instead the build writes the bytes beside the bundle and the
 * module reads them when the first query needs them.
 */
const queryCompilerFromFile = {
  name: 'query-compiler-from-file',
  setup(build) {
    build.onLoad({ filter: /query_compiler_\w+_bg\.\w+\.wasm-base64\.mjs$/ }, async ({ path }) => {
      const { wasm } = await import(path);
      await mkdir(SERVER_OUTDIR, { recursive: true });
      await writeFile(join(SERVER_OUTDIR, QUERY_COMPILER_FILE), Buffer.from(wasm, 'base64'));
      return {
        loader: 'js',
        contents: `import { readFileSync } from 'node:fs';
export const wasm = readFileSync(new URL('./${QUERY_COMPILER_FILE}', import.meta.url)).toString('base64');`,
      };
    });
  },
};

/** Entry points, by output name. The worker is loaded by file name (server/plugins/app/signatures.ts). */
const ENTRIES = {
  server: 'server/server.ts',
  'verify-worker': 'server/plugins/app/verify-worker.ts',
};

export async function buildServer({ quiet = false } = {}) {
  const external = RUNTIME_FILES.flatMap((name) => [name, `${name}/*`]);
  await rm(SERVER_OUTDIR, { recursive: true, force: true });
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: Object.entries(ENTRIES).map(([out, input]) => ({ in: input, out })),
    outdir: SERVER_OUTDIR,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: [...external, ...builtinModules.map((m) => `node:${m}`)],
    // Inlined CommonJS code calls require() for Node built-ins; ESM output has none of its own.
    banner: {
      js: "import { createRequire as __mifengRequire } from 'node:module'; const require = __mifengRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    // Less for V8 to scan at every start; identifiers are kept, so stack traces name functions.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    plugins: [queryCompilerFromFile, swaggerUiFilesInPlace],
  });
  const bytes = Object.entries(result.metafile.outputs)
    .filter(([file]) => file.endsWith('.mjs'))
    .reduce((sum, [, output]) => sum + output.bytes, 0);
  if (!quiet) console.log(`build-server: dist/server/ ${(bytes / 1024).toFixed(0)} KB of JavaScript`);

  // The template comes from the TypeScript source that opens databases, so both agree on
  // PGlite's options, and it holds the migrations as the server's own runner applies them.
  const { writePgliteTemplate } = await tsImport('../server/db/pglite.ts', import.meta.url);
  const { migratePglite } = await tsImport('../server/db/migrations.ts', import.meta.url);
  await writePgliteTemplate((pglite) => migratePglite(pglite));
  return { bytes };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildServer();
