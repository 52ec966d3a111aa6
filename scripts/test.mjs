// Runs the test suite with Node's built-in runner (TypeScript through tsx).
// `npm test` runs everything under tests/; `npm test -- tests/shared` runs the files under a path.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensurePrismaClient } from './prisma-generate.mjs';

const root = new URL('..', import.meta.url).pathname;

function collect(path) {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path)
    .filter((name) => name !== 'node_modules')
    .flatMap((name) => collect(join(path, name)));
}

const roots = process.argv.slice(2);
const files = (roots.length ? roots : ['tests'])
  .flatMap((p) => collect(join(root, p)))
  .map((f) => relative(root, f))
  .sort();

if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

// Server code imports the generated Prisma client; a fresh clone may not have generated it yet.
await ensurePrismaClient();

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
