// How many PBKDF2 iterations the mini program can afford: times unlocking a key backup with the
// BUILT lib (dist/miniprogram/lib/mifeng.js, built first if missing) in JavaScriptCore without its
// JIT — WeChat's engine on iOS, the slowest the mini program runs on — and applies the rule of
// docs/miniprogram.md ("Choosing the iteration count"):
//
//   iterations = the largest multiple of 10 000 whose unlock (median) takes ≤ 2.5 s there,
//                within the protocol's range.
//
//   npm run bench:iterations      prints the samples, their median, the recommendation and what the
//                                 mini program uses now (BACKUP_ITERATIONS, miniprogram/config.ts)
//
// Needs `jsc` (Debian: apt-get install libjavascriptcoregtk-4.0-bin).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKUP_ITERATIONS } from '../miniprogram/config.ts';
import { MAX_BACKUP_ITERATIONS, MIN_BACKUP_ITERATIONS } from '../shared/protocol/limits.ts';
import { buildLib, LIB_OUTFILE } from './build-lib.mjs';

/** The unlock time allowed on the slowest engine, in milliseconds. */
const BUDGET_MS = 2500;
/** Iteration counts are chosen in steps of this. */
const STEP = 10_000;
/** The count timed (the protocol default); the unlock time scales linearly with it. */
const TIMED = 100_000;
const SAMPLES = 5;

const JSC_CANDIDATES = ['/usr/bin/jsc', '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.0/jsc'];

/** Runs in jsc: loads the lib as WeChat does (module/exports), times unlocks, prints JSON. */
const PROBE = `
var module = { exports: {} };
var exports = module.exports;
load(arguments[0]);
var lib = module.exports;
// Fixed bytes are enough to time with; nothing here is kept.
var seed = 1;
lib.setRandomSource(function (n) {
  var a = new Uint8Array(n);
  for (var i = 0; i < n; i++) { seed = (seed * 1103515245 + 12345) & 0x7fffffff; a[i] = seed >>> 16; }
  return a;
});
var id = lib.generateIdentity('bench');
var backup = lib.sealKeyBackup(id, 'bench master key', { iterations: ${TIMED} });
var samples = [];
for (var r = 0; r < ${SAMPLES}; r++) {
  var t = preciseTime();
  lib.unlockKeyBackup(backup, id.publicKey, 'bench master key');
  samples.push((preciseTime() - t) * 1000);
}
print(JSON.stringify(samples));
`;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const jsc = JSC_CANDIDATES.find((path) => existsSync(path));
if (!jsc) {
  console.error('bench:iterations needs JavaScriptCore: apt-get install libjavascriptcoregtk-4.0-bin');
  process.exit(1);
}
if (!existsSync(LIB_OUTFILE)) await buildLib({ quiet: true });

const dir = mkdtempSync(join(tmpdir(), 'mifeng-iterations-'));
try {
  const probe = join(dir, 'probe.js');
  writeFileSync(probe, PROBE);
  const load = loadavg()[0].toFixed(2);
  const stdout = execFileSync(jsc, ['--useJIT=false', probe, '--', LIB_OUTFILE], { encoding: 'utf8' });
  const samples = JSON.parse(stdout);
  // The whole unlock (parsing, SM4-GCM, the public-key check) is charged to the iterations, which
  // errs on the safe side.
  const perIteration = median(samples) / TIMED;
  const recommended = Math.min(
    MAX_BACKUP_ITERATIONS,
    Math.max(MIN_BACKUP_ITERATIONS, Math.floor(BUDGET_MS / perIteration / STEP) * STEP),
  );
  console.log(`JavaScriptCore without JIT (${jsc} --useJIT=false), load average ${load}`);
  console.log(`  unlock, ${TIMED} iterations: ${samples.map((ms) => `${ms.toFixed(0)} ms`).join(', ')}`);
  console.log(
    `  median ${median(samples).toFixed(0)} ms: ${(perIteration * 1000).toFixed(1)} µs per iteration`,
  );
  console.log(
    `  recommended: ${recommended} iterations (≈ ${(perIteration * recommended).toFixed(0)} ms, budget ${BUDGET_MS} ms)`,
  );
  console.log(
    `  the mini program uses ${BACKUP_ITERATIONS} (miniprogram/config.ts): ≈ ${(perIteration * BACKUP_ITERATIONS).toFixed(0)} ms`,
  );
  // An attacker computes the same PBKDF2 per guess: two SM3 compressions per iteration.
  console.log(`  each guess costs an attacker ${2 * BACKUP_ITERATIONS} SM3 compressions`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
