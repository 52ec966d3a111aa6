// Generates the Prisma client (prisma/schema.prisma → server/generated/prisma) without network.
//
// `prisma generate` insists on locating a native schema engine and downloads one when it finds
// none; the download host is unreachable here. Generating does not execute that engine, so
// PRISMA_SCHEMA_ENGINE_BINARY names a file that exists but is never run, and the checksum and
// update checks are switched off. Migrations use the WASM engine instead (server/db).
//
//   node scripts/prisma-generate.mjs             always regenerate (npm run db:generate, postinstall)
//   node scripts/prisma-generate.mjs --if-needed only when the client is missing or older than the schema
//   node scripts/prisma-generate.mjs --postinstall  as plain, but only a warning when the prisma CLI (a
//                                                   devDependency) is absent, e.g. `npm ci --omit=dev`
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const schemaPath = join(root, 'prisma', 'schema.prisma');
/** A file the generator always writes; its presence and age stand for the whole client. */
export const generatedClient = join(root, 'server', 'generated', 'prisma', 'client.ts');

/** Path of the prisma CLI entry, or undefined when the package is not installed. */
function prismaCli() {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('prisma/package.json')), 'build', 'index.js');
  } catch {
    return undefined;
  }
}

/** Runs `prisma generate`; resolves when done, rejects with the CLI's output on failure. */
export function prismaGenerate({ quiet = false } = {}) {
  const cli = prismaCli();
  if (!cli)
    return Promise.reject(new Error('prisma generate: the prisma package is not installed (npm install)'));
  const env = {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || fileURLToPath(import.meta.url),
    PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING: '1',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'generate'], {
      cwd: root,
      env,
      stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(`prisma generate failed (${signal ?? `exit ${code}`})${output ? `:\n${output}` : ''}`),
        );
    });
  });
}

/** True when the generated client is missing or older than prisma/schema.prisma. */
export function prismaClientStale() {
  if (!existsSync(generatedClient)) return true;
  return statSync(schemaPath).mtimeMs > statSync(generatedClient).mtimeMs;
}

/** Generates the client only if it is missing or stale; cheap to call before every start or test run. */
export async function ensurePrismaClient({ quiet = true } = {}) {
  if (!prismaClientStale()) return false;
  await prismaGenerate({ quiet });
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    if (process.argv.includes('--postinstall') && !prismaCli()) {
      console.warn(
        'prisma-generate: prisma CLI not installed (production install?); not generating the client. ' +
          'Run `npm run build` where devDependencies are installed and ship server/generated/.',
      );
    } else if (process.argv.includes('--if-needed')) await ensurePrismaClient({ quiet: false });
    else await prismaGenerate();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
