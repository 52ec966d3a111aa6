// Builds the API server for production: dist/server/server.mjs (plus its verify worker), plain
// JavaScript that `npm start` runs with no TypeScript runtime, and dist/pglite-template/, a freshly
// initialised embedded database that a first start copies instead of running initdb (seconds).
//
//   node scripts/build-server.mjs
//   import { buildServer } from './build-server.mjs'; await buildServer()
//
// What is bundled and what is not: every package in package.json's `dependencies` stays an
// import, installed by `npm ci --omit=dev`; everything else the server imports is inlined —
// our TypeScript, the generated Prisma client, and the two devDependencies the server needs at
// run time only as code: `@prisma/client`'s runtime and `pglite-prisma-adapter`. They are
// devDependencies on purpose: `@prisma/client` names the `prisma` CLI as an (optional) peer, and
// `pglite-prisma-adapter` names `@prisma/client` as a peer, so listing either in `dependencies`
// brings the CLI, Prisma Studio and React into a production install (406 MB instead of ~80 MB).
import { readFile, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { tsImport } from 'tsx/esm/api';

const root = fileURLToPath(new URL('..', import.meta.url));
export const SERVER_OUTDIR = join(root, 'dist', 'server');

/** Entry points, by output name. The worker is loaded by file name (server/plugins/app/signatures.ts). */
const ENTRIES = {
  server: 'server/server.ts',
  'verify-worker': 'server/plugins/app/verify-worker.ts',
};

export async function buildServer({ quiet = false } = {}) {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
  const external = Object.keys(pkg.dependencies ?? {}).flatMap((name) => [name, `${name}/*`]);
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
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  const bytes = Object.entries(result.metafile.outputs)
    .filter(([file]) => file.endsWith('.mjs'))
    .reduce((sum, [, output]) => sum + output.bytes, 0);
  if (!quiet) console.log(`build-server: dist/server/ ${(bytes / 1024).toFixed(0)} KB of JavaScript`);

  // The template comes from the TypeScript source that opens databases, so both agree on PGlite's options.
  const { writePgliteTemplate } = await tsImport('../server/db/pglite.ts', import.meta.url);
  await writePgliteTemplate();
  return { bytes };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildServer();
