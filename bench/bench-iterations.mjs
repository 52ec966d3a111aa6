// How many PBKDF2 iterations the mini program can afford. Times, in JavaScriptCore without its
// JIT — WeChat's engine on iOS, the slowest the mini program runs on — with the BUILT mini program
// (dist/miniprogram, built first if missing):
//
//   1. the cost of one iteration: unlocking a 100 000-iteration backup with the lib, warm;
//   2. what a real unlock adds: a fresh jsc process that loads the key worker
//      (workers/kdf/index.js) and opens a 10 000-iteration backup, as each unlock does — loading the
//      worker and its first SM2 public-key check (cold tables) included;
//
// and applies the rule of docs/miniprogram.md ("Choosing the iteration count"):
//
//   iterations = the largest multiple of 10 000 whose cold unlock takes ≤ 2.5 s there,
//                within the protocol's range.
//
//   npm run bench:iterations      prints the samples, the fit, the recommendation and what the
//                                 mini program uses now (BACKUP_ITERATIONS, miniprogram/config.ts)
//
// Needs `jsc` (Debian: apt-get install libjavascriptcoregtk-4.0-bin).
import { execFileSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findJsc, KEY_WORKER_PROBE } from '../harness/jsc.mjs';
import { buildMiniProgram, OUT_DIR } from '../scripts/build-mp.mjs';
import { MAX_BACKUP_ITERATIONS, MIN_BACKUP_ITERATIONS } from '../shared/protocol/limits.ts';

/** The unlock time allowed on the slowest engine, in milliseconds. */
const BUDGET_MS = 2500;
/** Iteration counts are chosen in steps of this. */
const STEP = 10_000;
/** The counts timed: warm (per iteration) and cold (what a fresh worker adds). */
const WARM = 100_000;
const COLD = 10_000;
const SAMPLES = 5;
const MASTER_KEY = 'bench master key';

/** jsc: loads the lib as WeChat does (module/exports), times warm unlocks of arguments[1]. */
const WARM_PROBE = `
var module = { exports: {} };
var exports = module.exports;
load(arguments[0]);
var lib = module.exports;
var job = JSON.parse(arguments[1]);
var publicKey = lib.base64urlDecode(job.publicKey);
lib.unlockKeyBackup(job.backup, publicKey, job.masterKey);
var samples = [];
for (var r = 0; r < ${SAMPLES}; r++) {
  var t = preciseTime();
  lib.unlockKeyBackup(job.backup, publicKey, job.masterKey);
  samples.push((preciseTime() - t) * 1000);
}
print(JSON.stringify(samples));
`;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const jsc = findJsc();
if (!jsc) {
  console.error('bench:iterations needs JavaScriptCore: apt-get install libjavascriptcoregtk-4.0-bin');
  process.exit(1);
}
const libFile = join(OUT_DIR, 'lib', 'mifeng.js');
const workerFile = join(OUT_DIR, 'workers', 'kdf', 'index.js');
if (!existsSync(libFile) || !existsSync(workerFile)) await buildMiniProgram({ quiet: true });

// Backups to open, sealed with the built lib in Node.
const load = createRequire(import.meta.url);
const lib = load(libFile);
// From the build: config.ts takes its server settings from the build, so only the built file runs.
const { BACKUP_ITERATIONS } = load(join(OUT_DIR, 'config.js'));
lib.setRandomSource((length) => webcrypto.getRandomValues(new Uint8Array(length)));
const identity = lib.generateIdentity('bench');
const request = (iterations) =>
  JSON.stringify({
    id: 1,
    op: 'unlock',
    backup: lib.sealKeyBackup(identity, MASTER_KEY, { iterations }),
    publicKey: lib.base64urlEncode(identity.publicKey),
    masterKey: MASTER_KEY,
  });

const dir = mkdtempSync(join(tmpdir(), 'mifeng-iterations-'));
try {
  const run = (probe, file, arg) => {
    const path = join(dir, 'probe.js');
    writeFileSync(path, probe);
    return JSON.parse(execFileSync(jsc, ['--useJIT=false', path, '--', file, arg], { encoding: 'utf8' }));
  };
  const load = loadavg()[0].toFixed(2);
  const warm = run(WARM_PROBE, libFile, request(WARM));
  const perIteration = median(warm) / WARM;
  const coldRequest = request(COLD);
  const cold = [];
  for (let i = 0; i < SAMPLES; i++) {
    const answer = run(KEY_WORKER_PROBE, workerFile, coldRequest);
    const last = answer.replies.at(-1)?.type;
    if (last !== 'unlocked') throw new Error(`the worker answered ${JSON.stringify(answer.replies)}`);
    cold.push(answer.ms);
  }
  // What a fresh worker adds to the iterations: loading it, parsing, the cold SM2 check.
  const fixed = Math.max(0, median(cold) - perIteration * COLD);
  const recommended = Math.min(
    MAX_BACKUP_ITERATIONS,
    Math.max(MIN_BACKUP_ITERATIONS, Math.floor((BUDGET_MS - fixed) / perIteration / STEP) * STEP),
  );
  const predict = (iterations) => `${(fixed + perIteration * iterations).toFixed(0)} ms`;
  const list = (samples) => samples.map((ms) => `${ms.toFixed(0)} ms`).join(', ');

  console.log(`JavaScriptCore without JIT (${jsc} --useJIT=false), load average ${load}`);
  console.log(`  warm unlock, lib, ${WARM} iterations: ${list(warm)}`);
  console.log(`    → ${(perIteration * 1000).toFixed(1)} µs per iteration`);
  console.log(`  cold unlock, fresh key worker, ${COLD} iterations: ${list(cold)}`);
  console.log(`    → ${fixed.toFixed(0)} ms for loading the worker and its first SM2 check`);
  console.log(
    `  recommended: ${recommended} iterations (cold unlock ≈ ${predict(recommended)}, budget ${BUDGET_MS} ms)`,
  );
  console.log(
    `  the mini program uses ${BACKUP_ITERATIONS} (miniprogram/config.ts): ≈ ${predict(BACKUP_ITERATIONS)}`,
  );
  // An attacker computes the same PBKDF2 per guess: two SM3 compressions per iteration.
  console.log(`  each guess costs an attacker ${2 * BACKUP_ITERATIONS} SM3 compressions`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
