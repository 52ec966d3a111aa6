// Builds the WeChat mini program: miniprogram/ → dist/miniprogram/ (project.config.json points
// WeChat DevTools there).
//
// Layout of the output, and why:
// - dist/miniprogram/lib/mifeng.js: shared/ and every npm package the mini program uses
//   (sm-crypto-v2, zod/mini, weapp-qrcode), bundled ONCE by scripts/build-lib.mjs from the entry
//   miniprogram/lib.ts. It is the only file that contains third-party code.
// - every other .ts file (app, pages, components, services, i18n, config) becomes its own small
//   CommonJS module, in the same place, requiring its neighbours by relative path ("./x.js") and the
//   lib by relative path ("../../lib/mifeng.js"). Nothing is bundled twice, and module state (the
//   session token, the unlocked private key) exists once, because WeChat's `require` caches each file
//   just like Node's does.
// - the chunks of scripts/build-lib.mjs (MINIPROGRAM_CHUNKS) are bundled on their own: the master
//   key estimator (lib/strength.js, required lazily by services/strength) and the key worker
//   (workers/kdf/index.js, the folder app.json's `workers` names; a worker can load nothing outside
//   it). An import of a chunk's source compiles to a require of its output; nothing else under
//   miniprogram/workers/ is compiled (the worker's message types are types only).
// - .json, .wxml, .wxss and images are copied as they are.
// Code in miniprogram/ must reach shared/ and npm packages only through miniprogram/lib.ts: any
// other non-relative import fails the build, so the lib really is the single copy.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { buildChunk, MINIPROGRAM_CHUNKS } from './build-lib.mjs';
import { buildEnvFrom, miniProgramSettings } from './mp-settings.mjs';

const root = resolve(new URL('..', import.meta.url).pathname);
const srcDir = join(root, 'miniprogram');
/** Where the mini program is built (project.config.json's miniprogramRoot). */
export const OUT_DIR = join(root, 'dist', 'miniprogram');
/**
 * A release build is a project of its own: dist/release/project.config.json (the app id, and
 * WeChat's upload minification on) beside dist/release/miniprogram/.
 */
export const RELEASE_DIR = join(root, 'dist', 'release');
/** The lib inside a build (scripts/build-lib.mjs writes it), and the source file that is its entry. */
const LIB_PATH = join('lib', 'mifeng.js');
const libEntry = join(srcDir, 'lib.ts');
/** The sources bundled as chunks (scripts/build-lib.mjs), → their output inside the package. */
const chunkOutputs = new Map(MINIPROGRAM_CHUNKS.map((chunk) => [join(root, chunk.entry), chunk.out]));
/** Source folder of worker code: bundled as chunks only, never compiled file by file. */
const workersDir = join(srcDir, 'workers');

/** WeChat's main package limit (the whole package without subpackages). */
export const MAIN_PACKAGE_LIMIT = 2 * 1024 * 1024;

const COPIED = ['.json', '.wxml', '.wxss', '.wxs', '.png', '.jpg', '.svg'];
const SKIPPED = new Set(['tsconfig.json', 'README.md']);

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

function toPosix(path) {
  return path.split(sep).join('/');
}

/** The require path from `fromSource`'s output file to `targetOutput` (a path inside outDir). */
function requirePath(outDir, fromSource, targetOutput) {
  const fromOut = join(outDir, relative(srcDir, dirname(fromSource)));
  const rel = toPosix(relative(fromOut, targetOutput));
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** Keeps every import external, rewritten to the path of the compiled file WeChat will load. */
const perFileModules = (outDir) => ({
  name: 'mifeng-per-file-modules',
  setup(build) {
    build.onResolve({ filter: /.*/ }, async (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (!args.path.startsWith('.')) {
        return {
          errors: [
            {
              text: `"${args.path}" imported from ${relative(root, args.importer)}: the mini program reaches shared/ and npm packages only through miniprogram/lib.ts`,
            },
          ],
        };
      }
      let target = resolve(dirname(args.importer), args.path);
      const candidates = [target, `${target}.ts`, join(target, 'index.ts')];
      target = candidates.find((c) => existsSync(c) && statSync(c).isFile());
      if (!target)
        return { errors: [{ text: `cannot resolve ${args.path} from ${relative(root, args.importer)}` }] };
      if (target === libEntry) {
        return { path: requirePath(outDir, args.importer, join(outDir, LIB_PATH)), external: true };
      }
      const chunk = chunkOutputs.get(target);
      if (chunk) return { path: requirePath(outDir, args.importer, join(outDir, chunk)), external: true };
      if (!target.startsWith(srcDir + sep)) {
        return {
          errors: [
            {
              text: `${relative(root, args.importer)} imports ${relative(root, target)}: outside miniprogram/, go through miniprogram/lib.ts`,
            },
          ],
        };
      }
      const out = join(outDir, relative(srcDir, target)).replace(/\.ts$/, '.js');
      return { path: requirePath(outDir, args.importer, out), external: true };
    });
  },
});

/** Patterns WeChat's runtime refuses or lacks; any of them in the output fails the build. */
const FORBIDDEN = [
  [/\beval\s*\(/, 'eval('],
  [/\bnew\s+Function\s*\(/, 'new Function('],
  [
    /\brequire\(\s*["'](?!\.)[^"']*["']\s*\)/,
    'require of a non-relative module (Node built-in or npm package)',
  ],
];

export function checkOutput(file) {
  const text = readFileSync(file, 'utf8');
  for (const [pattern, what] of FORBIDDEN) {
    if (pattern.test(text))
      throw new Error(`${relative(root, file)} contains ${what}, which WeChat cannot run`);
  }
}

function directorySize(dir) {
  return walk(dir).reduce((sum, f) => sum + statSync(f).size, 0);
}

async function ensureLib(libFile, quiet) {
  const buildLibPath = join(root, 'scripts', 'build-lib.mjs');
  if (!existsSync(buildLibPath)) throw new Error('scripts/build-lib.mjs is missing: the lib cannot be built');
  const mod = await import(pathToFileURL(buildLibPath).href);
  const build = mod.buildLib ?? mod.default;
  if (typeof build !== 'function') throw new Error('scripts/build-lib.mjs exports no buildLib()');
  await build({ quiet, outfile: libFile });
  if (!existsSync(libFile)) throw new Error(`the lib build did not write ${relative(root, libFile)}`);
}

/** The project file of a release build: the repository's, with the app id and minification set. */
function writeReleaseProjectConfig(projectDir, settings) {
  const base = JSON.parse(readFileSync(join(root, 'project.config.json'), 'utf8'));
  const project = {
    ...base,
    description:
      'Mifeng (密封), release build: upload this folder. Made by npm run build:mp -- --env release.',
    miniprogramRoot: 'miniprogram/',
    appid: settings.appId,
    setting: { ...base.setting, minified: true, minifyWXML: true, minifyWXSS: true, urlCheck: true },
  };
  writeFileSync(join(projectDir, 'project.config.json'), `${JSON.stringify(project, null, 2)}\n`);
}

/**
 * Builds the mini program into `options.outDir` (default dist/miniprogram/), the lib too unless
 * `options.lib === false` and it already exists, with `options.settings` (scripts/mp-settings.mjs;
 * default: a dev build from the environment). A release build also writes its project file beside
 * `outDir` and minifies every file. Tests build into a directory of their own so that parallel
 * test processes never read a half-written build. Returns the sizes of the main package and of the
 * lib and of each chunk (by output path), in bytes.
 */
export async function buildMiniProgram(options = {}) {
  const { lib = true, quiet = false, settings = miniProgramSettings('dev') } = options;
  const release = settings.env === 'release';
  const outDir = options.outDir ?? (release ? join(RELEASE_DIR, 'miniprogram') : OUT_DIR);
  const libFile = join(outDir, LIB_PATH);
  // Everything but the lib is rebuilt from scratch so deleted pages do not linger.
  if (existsSync(outDir)) {
    for (const name of readdirSync(outDir))
      if (name !== 'lib') rmSync(join(outDir, name), { recursive: true });
  }
  mkdirSync(outDir, { recursive: true });
  if (lib || !existsSync(libFile)) await ensureLib(libFile, quiet);

  const files = walk(srcDir);
  for (const file of files) {
    const rel = relative(srcDir, file);
    if (SKIPPED.has(rel) || file.endsWith('.d.ts')) continue;
    if (COPIED.some((ext) => file.endsWith(ext))) {
      const out = join(outDir, rel);
      mkdirSync(dirname(out), { recursive: true });
      copyFileSync(file, out);
    }
  }
  const chunks = {};
  for (const chunk of MINIPROGRAM_CHUNKS) chunks[chunk.out] = (await buildChunk(chunk, outDir)).bytes;
  const entries = files.filter(
    (f) =>
      f.endsWith('.ts') &&
      !f.endsWith('.d.ts') &&
      f !== libEntry &&
      !chunkOutputs.has(f) &&
      !f.startsWith(workersDir + sep),
  );
  await esbuild.build({
    entryPoints: entries,
    outbase: srcDir,
    outdir: outDir,
    bundle: true,
    plugins: [perFileModules(outDir)],
    format: 'cjs',
    platform: 'neutral',
    // WeChat's runtime runs ES2017 everywhere it still supports; newer syntax is lowered here because
    // project.config.json turns DevTools' own ES6 transform off (we prebuild).
    target: 'es2017',
    charset: 'utf8',
    logLevel: 'warning',
    legalComments: 'none',
    minify: release,
    define: { MIFENG_BUILD: JSON.stringify(settings) },
  });
  if (release) writeReleaseProjectConfig(dirname(outDir), settings);
  // Node (tests) must read the CommonJS output as CommonJS despite the repo's "type": "module";
  // this file sits outside miniprogramRoot, so WeChat never sees it.
  writeFileSync(join(dirname(outDir), 'package.json'), '{ "type": "commonjs" }\n');

  for (const file of walk(outDir)) if (file.endsWith('.js')) checkOutput(file);
  const sizes = { mainPackage: directorySize(outDir), lib: statSync(libFile).size, chunks };
  if (sizes.mainPackage > MAIN_PACKAGE_LIMIT) {
    throw new Error(`main package is ${sizes.mainPackage} bytes, over WeChat's ${MAIN_PACKAGE_LIMIT}`);
  }
  if (!quiet) {
    console.log(
      `${settings.env} mini program → ${relative(root, outDir)}/ (API ${settings.apiBaseUrl}, ${settings.loginMode} login): main package ${(sizes.mainPackage / 1024).toFixed(1)} KiB ` +
        `(limit 2048 KiB), lib ${(sizes.lib / 1024).toFixed(1)} KiB, ` +
        Object.entries(chunks)
          .map(([out, bytes]) => `${out} ${(bytes / 1024).toFixed(1)} KiB`)
          .join(', '),
    );
  }
  return sizes;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  Promise.resolve()
    .then(() =>
      buildMiniProgram({ settings: miniProgramSettings(buildEnvFrom(process.argv.slice(2), process.env)) }),
    )
    .catch((err) => {
      console.error(err.message ?? err);
      process.exit(1);
    });
}
