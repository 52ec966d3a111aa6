// Runs the test suite with Node's built-in runner (TypeScript through tsx).
// `npm test` runs everything under tests/; `npm test -- tests/shared` runs the files under a path.
// After node's summary (whose `ℹ tests/pass/fail/skipped N` lines CI reads) it names every suite
// and test that did not run, grouped by reason, since a suite skipped whole is not in node's counts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ensurePrismaClient } from './prisma-generate.mjs';

const root = new URL('..', import.meta.url).pathname;
const SKIPS_REPORTER = join(root, 'tests', 'support', 'skips-reporter.mjs');

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

const dir = mkdtempSync(join(tmpdir(), 'mifeng-test-'));
const skipsFile = join(dir, 'skips.jsonl');
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${SKIPS_REPORTER}`,
    `--test-reporter-destination=${skipsFile}`,
    '--test-concurrency=2',
    ...files,
  ],
  { cwd: root, stdio: 'inherit' },
);
printSkips(skipsFile);
rmSync(dir, { recursive: true, force: true });
process.exit(result.status ?? 1);

/** Names what did not run, one line per suite or test, grouped under its reason. */
function printSkips(path) {
  let lines;
  try {
    lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
  } catch {
    return;
  }
  const skips = lines.map((line) => JSON.parse(line));
  if (skips.length === 0) {
    console.log('not run: nothing (no suite or test was skipped)');
    return;
  }
  const suites = skips.filter((s) => s.suite).length;
  const files = new Set(skips.map((s) => s.file)).size;
  console.log(`not run: ${suites} suites and ${skips.length - suites} tests, in ${files} files:`);
  const byReason = new Map();
  for (const s of skips) {
    const reason = s.reason || '(no reason given)';
    byReason.set(reason, [...(byReason.get(reason) ?? []), s]);
  }
  for (const [reason, group] of byReason) {
    console.log(`  ${reason}`);
    for (const s of group)
      console.log(`    ${s.file ? relative(root, s.file) : '?'} › ${s.name}${s.suite ? ' (suite)' : ''}`);
  }
}
