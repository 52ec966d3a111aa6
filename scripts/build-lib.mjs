// Bundles shared/ (and the npm packages it uses) into the one lib the mini program loads:
// dist/miniprogram/lib/mifeng.js, a minified CommonJS module that WeChat's `require` can load.
//
//   node scripts/build-lib.mjs            builds the lib and prints its size
//   import { buildLib } from './build-lib.mjs'; await buildLib({ quiet: true })
//
// The lib re-exports everything exported by the files in LIB_ENTRIES. miniprogram/lib.ts is the
// mini program's single door to shared/ for its pages and services. MINIPROGRAM_CHUNKS are the two
// other bundles, each loaded apart from the lib for a reason of its own (see there);
// scripts/build-mp.mjs builds them with buildChunk().
//
// Why these esbuild settings:
// - platform neutral: no Node built-ins or browser globals are assumed (WeChat has neither);
// - format cjs: WeChat's module system is CommonJS;
// - target es2020: the SM2 code uses BigInt literals (ES2020), which every WeChat runtime that can
//   run it supports; nothing newer is needed.
// WeChat forbids `eval` and `new Function`. zod/mini never compiles parsers (only classic zod's
// object JIT does), so nothing in the lib needs them; the build fails if the output mentions either.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Modules whose exports make up the mini program's lib, relative to the repository root. */
export const LIB_ENTRIES = ['miniprogram/lib.ts'];

/** shared/ without the API contracts: the crypto + protocol core measured against LIB_CORE_BUDGET. */
export const CORE_ENTRIES = [
  'shared/crypto/index.ts',
  'shared/protocol/index.ts',
  'shared/encoding.ts',
  'shared/errors.ts',
];

/** Where the mini program build (scripts/build-mp.mjs) expects the lib. */
export const LIB_OUTFILE = join(root, 'dist', 'miniprogram', 'lib', 'mifeng.js');

/** Size budget of the minified crypto + protocol + schemas core, in bytes (docs/miniprogram.md). */
export const LIB_CORE_BUDGET = 150 * 1024;

/**
 * Bundles the mini program loads apart from the lib, by source (relative to the repository root) →
 * output (relative to the mini program root), with the module format each is loaded as:
 * - the master key estimator (zxcvbn-ts and its ≈ 400 KB password list): required lazily by
 *   services/strength, so only the pages that set a master key pay for it;
 * - the key worker: WeChat runs it in a worker thread, which may only load files inside the
 *   `workers` folder (app.json), so it carries its own copy of the crypto it needs.
 */
export const MINIPROGRAM_CHUNKS = [
  { entry: 'miniprogram/services/strength/estimator.ts', out: 'lib/strength.js', format: 'cjs' },
  { entry: 'miniprogram/workers/kdf/index.ts', out: 'workers/kdf/index.js', format: 'iife' },
];

/** Code generation WeChat refuses at run time. */
const CODEGEN = /\beval\s*\(|\bnew\s+Function\b|\bFunction\s*\(/;

/** The generated entry: every entry's exports. */
function entrySource(entries) {
  return entries
    .map((entry) => `export * from ${JSON.stringify(`./${entry.replace(/\\/g, '/')}`)};\n`)
    .join('');
}

/** Fails when `outfile` contains code generation WeChat forbids. */
function checkCodegen(outfile) {
  const match = CODEGEN.exec(readFileSync(outfile, 'utf8'));
  if (match) throw new Error(`${relative(root, outfile)} contains "${match[0]}", which WeChat forbids`);
}

/**
 * Builds one of MINIPROGRAM_CHUNKS into `outDir` (the mini program root). Resolves to
 * `{ outfile, bytes }`.
 */
export async function buildChunk(chunk, outDir) {
  const outfile = join(outDir, chunk.out);
  mkdirSync(dirname(outfile), { recursive: true });
  await esbuild.build({
    entryPoints: [join(root, chunk.entry)],
    outfile,
    bundle: true,
    platform: 'neutral',
    format: chunk.format,
    target: 'es2020',
    mainFields: ['module', 'main'],
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  checkCodegen(outfile);
  return { outfile, bytes: statSync(outfile).size };
}

/**
 * Builds the lib. Options: `entries` (default LIB_ENTRIES), `outfile` (default LIB_OUTFILE),
 * `minify` (default true), `quiet`. Resolves to `{ outfile, bytes }`.
 */
export async function buildLib(options = {}) {
  const { entries = LIB_ENTRIES, outfile = LIB_OUTFILE, minify = true, quiet = false } = options;
  for (const entry of entries) {
    if (!existsSync(join(root, entry))) throw new Error(`lib entry ${entry} does not exist`);
  }
  mkdirSync(dirname(outfile), { recursive: true });
  await esbuild.build({
    stdin: {
      contents: entrySource(entries),
      resolveDir: root,
      sourcefile: 'mifeng-lib-entry.ts',
      loader: 'ts',
    },
    outfile,
    bundle: true,
    platform: 'neutral',
    format: 'cjs',
    target: 'es2020',
    mainFields: ['module', 'main'],
    minify,
    legalComments: 'none',
    logLevel: 'warning',
  });
  checkCodegen(outfile);
  const bytes = statSync(outfile).size;
  if (!quiet) console.log(`lib: ${relative(root, outfile)} ${(bytes / 1024).toFixed(1)} KB`);
  return { outfile, bytes };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildLib();
}
