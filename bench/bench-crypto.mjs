// `npm run bench:crypto`: our crypto against the baselines on the engines WeChat runs. In one run it
// measures, on V8 with its JIT and `node --jitless`, and on JavaScriptCore (`jsc`, the engine of iOS
// WeChat) with its JIT and with `--useJIT=false` (how iOS WeChat runs mini program code), the
// medians of: seal and open (2 KiB content, 5 recipients + the sender; again to recipients and from
// a sender never seen before, whose keys have no precomputed rows yet), unlock (PBKDF2-HMAC-SM3 at
// 100 000 iterations), sign, verify, SM2 wrap/unwrap of a 16-byte key, key generation, SM4-GCM and
// HMAC-SM3 over 2 KiB, and the first seal after loading the lib in a fresh process. Ours is the
// built lib the mini program ships (and the crypto core built the same way, for the primitives the
// lib does not export); the baselines are sm-crypto 0.5.8, sm-crypto-v2, @noble/curves (one k·P)
// and Node's OpenSSL where Node has the operation. No thresholds are asserted; figures only.
//
//   npm run bench:crypto                         all four engines
//   npm run bench:crypto -- --engines jsc-nojit  some of v8-jit, v8-jitless, jsc-jit, jsc-nojit
//   npm run bench:crypto -- --against <rev>      this tree against git revision <rev>, A/B
//
// --against builds the lib and core of <rev> as well (from `git archive`, with its own
// scripts/build-lib.mjs) and runs both builds in one process per engine, their calls interleaved
// round by round (`--rounds`, 11), so that a busy machine slows both alike: on a shared machine the
// only fair way to compare two versions by wall time, which is all JavaScriptCore's shell has.
//
// Each engine runs as its own child process, one at a time so they never compete for the CPU; every
// child runs bench/bench-crypto-workload.cjs on the same bundles.
import { spawnSync } from 'node:child_process';
import { createHmac, pbkdf2Sync, randomBytes, webcrypto } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import * as esbuild from 'esbuild';
import { buildLib, CORE_ENTRIES, LIB_OUTFILE } from '../scripts/build-lib.mjs';

const self = fileURLToPath(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const workloadPath = join(root, 'bench', 'bench-crypto-workload.cjs');
const { ITERATIONS, BASELINE_ITERATIONS, CONTENT_BYTES, RECIPIENTS } = require(workloadPath);

/** The JavaScriptCore shell; Debian and Ubuntu ship it in libjavascriptcoregtk-4.0-bin. */
const JSC = process.env.JSC ?? 'jsc';
const JSC_INSTALL = 'apt-get install libjavascriptcoregtk-4.0-bin';
/** First seals after load: each in a fresh process. */
const COLD_RUNS = 5;

const ENGINES = {
  'v8-jit': { label: 'V8 JIT', command: () => [process.execPath, [self, '--child']] },
  'v8-jitless': {
    label: 'V8 jitless',
    slow: true,
    command: () => [process.execPath, ['--jitless', self, '--child']],
  },
  'jsc-jit': {
    label: 'JSC JIT',
    jsc: true,
    command: () => [JSC, [join(root, 'bench', 'bench-crypto-jsc.js'), '--']],
  },
  'jsc-nojit': {
    label: 'JSC no JIT',
    jsc: true,
    slow: true,
    command: () => [JSC, ['--useJIT=false', join(root, 'bench', 'bench-crypto-jsc.js'), '--']],
  },
};

/** Process CPU time in ms: unlike wall time, it does not count time other processes hold the CPU. */
function cpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Loads a CommonJS bundle the way WeChat does: wrapped in a function of (module, exports). */
function loadCjs(path) {
  const module = { exports: {} };
  vm.runInThisContext(`(function (module, exports) {${readFileSync(path, 'utf8')}\n})`, { filename: path })(
    module,
    module.exports,
  );
  return module.exports;
}

/** The V8 side: the shared workload with CPU time, plus Node's OpenSSL where Node has the operation. */
function child(job) {
  const random = (n) => webcrypto.getRandomValues(new Uint8Array(n));
  const workload = require(job.workload);
  if (job.compare) {
    return workload.compare({
      before: { lib: loadCjs(job.compare.lib), core: loadCjs(job.compare.core) },
      after: { lib: loadCjs(job.lib), core: loadCjs(job.core) },
      random,
      now: cpuMs,
      rounds: job.compare.rounds,
    });
  }
  if (job.cold) {
    const hexBytes = (hex) => new Uint8Array(Buffer.from(hex, 'hex'));
    return workload.coldSeal({
      loadLib: () => loadCjs(job.lib),
      random,
      now: () => performance.now(),
      sender: { privateKey: hexBytes(job.cold.privateKey), publicKey: hexBytes(job.cold.publicKey) },
      recipients: job.cold.recipients.map(hexBytes),
    });
  }
  const baselines = loadCjs(job.baselines);
  const r = workload.run({
    lib: loadCjs(job.lib),
    core: loadCjs(job.core),
    smCrypto: baselines.smCrypto,
    smCryptoV2: baselines.smCryptoV2,
    weierstrassN: baselines.weierstrassN,
    random,
    now: cpuMs,
    slow: job.slow,
  });
  // Node has PBKDF2-SM3 and HMAC-SM3; no SM2 encryption, SM2 signatures only with an empty ID, and
  // no sm4-gcm in this OpenSSL.
  const pw = random(28);
  const salt = random(16);
  const key = random(16);
  const data = random(CONTENT_BYTES + 256);
  const median = (fn, runs) => {
    const samples = [];
    for (let i = 0; i < runs; i++) {
      const t = cpuMs();
      fn();
      samples.push(cpuMs() - t);
    }
    return samples.sort((a, b) => a - b)[runs >> 1];
  };
  r[`pbkdf2 ${ITERATIONS}`].node = median(() => pbkdf2Sync(pw, salt, ITERATIONS, 16, 'sm3'), 3);
  r.unlock.node = r[`pbkdf2 ${ITERATIONS}`].node;
  r['hmac-sm3 2 KiB'].node = median(() => createHmac('sm3', key).update(data).digest(), 201);
  return r;
}

/** Bundles the baselines into one CommonJS file every engine can load. */
async function buildBaselines(outfile) {
  await esbuild.build({
    stdin: {
      contents: `export { default as smCrypto } from 'sm-crypto';
        export * as smCryptoV2 from 'sm-crypto-v2';
        export { weierstrassN } from '@noble/curves/abstract/weierstrass';`,
      resolveDir: root,
      loader: 'js',
    },
    outfile,
    bundle: true,
    platform: 'browser',
    format: 'cjs',
    target: 'es2020',
    logLevel: 'error',
  });
}

function hasJsc() {
  return spawnSync(JSC, ['-e', 'print(1)'], { encoding: 'utf8' }).stdout?.trim() === '1';
}

function runChild(engine, job, jobFile) {
  writeFileSync(jobFile, JSON.stringify({ ...job, seed: randomBytes(8).toString('hex') }));
  const [command, args] = ENGINES[engine].command();
  const run = spawnSync(command, [...args, jobFile], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  if (run.status !== 0)
    throw new Error(`the ${ENGINES[engine].label} run failed (${run.error ?? run.status})`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1));
}

function fmt(ms) {
  if (ms === undefined) return '';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

function ratio(a, b) {
  if (a === undefined || b === undefined) return '';
  return `${(a / b).toFixed(1)}×`;
}

/** The value after `--name` on the command line, or undefined. */
function option(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/**
 * The lib and core of git revision `rev`, built by that revision's own build-lib.mjs from a `git
 * archive` of it under `dir` (sharing this tree's node_modules).
 */
async function buildRevision(rev, dir) {
  const tree = join(dir, 'before');
  const tar = join(dir, 'before.tar');
  mkdirSync(tree);
  const archive = spawnSync('git', ['archive', '--format=tar', '-o', tar, rev], {
    cwd: root,
    encoding: 'utf8',
  });
  if (archive.status !== 0) throw new Error(`git archive ${rev} failed: ${archive.stderr.trim()}`);
  const untar = spawnSync('tar', ['-xf', tar, '-C', tree], { encoding: 'utf8' });
  if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr.trim()}`);
  symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'));
  const old = await import(pathToFileURL(join(tree, 'scripts', 'build-lib.mjs')).href);
  await old.buildLib({ quiet: true });
  const core = join(dir, 'core-before.js');
  await old.buildLib({ entries: old.CORE_ENTRIES, outfile: core, quiet: true });
  return { lib: old.LIB_OUTFILE, core };
}

async function main() {
  const arg = process.argv.indexOf('--engines');
  let engines = arg > 0 ? process.argv[arg + 1].split(',') : Object.keys(ENGINES);
  for (const e of engines)
    if (!ENGINES[e]) throw new Error(`unknown engine ${e}; use ${Object.keys(ENGINES)}`);
  if (engines.some((e) => ENGINES[e].jsc) && !hasJsc()) {
    const message = `JavaScriptCore's shell \`${JSC}\` was not found: install it with \`${JSC_INSTALL}\` (or set JSC=<path>) to measure the engine of iOS WeChat.`;
    if (process.env.CI === 'true') throw new Error(message);
    process.stderr.write(`${message}\nMeasuring V8 only.\n\n`);
    engines = engines.filter((e) => !ENGINES[e].jsc);
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-crypto-'));
  try {
    const { bytes } = await buildLib({ quiet: true });
    const core = join(dir, 'core.js');
    const { bytes: coreBytes } = await buildLib({ entries: CORE_ENTRIES, outfile: core, quiet: true });
    const baselines = join(dir, 'baselines.js');
    await buildBaselines(baselines);
    const job = { workload: workloadPath, lib: LIB_OUTFILE, core, baselines };
    // Keys for the cold seals, made here so that no cold run spends time on key generation.
    const { generateIdentity } = loadCjs(LIB_OUTFILE);
    const ids = Array.from({ length: RECIPIENTS + 1 }, (_, i) =>
      generateIdentity(`u${i}`, (n) => randomBytes(n)),
    );
    const hex = (b) => Buffer.from(b).toString('hex');
    const cold = {
      privateKey: hex(ids[0].privateKey),
      publicKey: hex(ids[0].publicKey),
      recipients: ids.slice(1).map((id) => hex(id.publicKey)),
    };
    const jobFile = join(dir, 'job.json');
    const against = option('against');
    if (against !== undefined) {
      const before = await buildRevision(against, dir);
      const rounds = Number(option('rounds') ?? 11);
      const results = {};
      for (const engine of engines) {
        process.stderr.write(`comparing on ${ENGINES[engine].label}…\n`);
        results[engine] = runChild(engine, { ...job, compare: { ...before, rounds } }, jobFile);
        // First seals, each in a fresh process, the two builds taking turns.
        const colds = { before: [], after: [] };
        for (let i = 0; i < COLD_RUNS; i++) {
          colds.before.push(runChild(engine, { ...job, lib: before.lib, cold }, jobFile));
          colds.after.push(runChild(engine, { ...job, cold }, jobFile));
        }
        const median = (xs) => xs.sort((a, b) => a - b)[COLD_RUNS >> 1];
        results[engine]['first seal, load incl.'] = {
          before: median(colds.before),
          after: median(colds.after),
        };
      }
      printComparison(results, engines, against, rounds);
      return;
    }
    const results = {};
    for (const engine of engines) {
      const { label, slow } = ENGINES[engine];
      process.stderr.write(`measuring on ${label}…\n`);
      results[engine] = runChild(engine, { ...job, slow }, jobFile);
      const colds = Array.from({ length: COLD_RUNS }, () => runChild(engine, { ...job, cold }, jobFile));
      colds.sort((a, b) => a - b);
      results[engine]['first seal, load incl.'] = { ours: colds[COLD_RUNS >> 1] };
    }
    print(results, engines, { bytes, coreBytes });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A Markdown table: the first two columns left-aligned, the figures right-aligned. */
function printTable(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) =>
    `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(head));
  console.log(
    `|${widths.map((w, i) => (i < 2 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
  );
  for (const row of rows) console.log(line(row));
}

function print(results, engines, sizes) {
  const load = loadavg().map((l) => l.toFixed(1));
  console.log(`load average when done: ${load.join(' ')} on ${cpus().length} CPUs`);
  console.log(
    `lib ${(sizes.bytes / 1024).toFixed(1)} KB minified, crypto + protocol core ${(sizes.coreBytes / 1024).toFixed(1)} KB\n`,
  );
  const head = [
    'operation',
    'engine',
    'ours',
    'sm-crypto',
    'sm-crypto-v2',
    'noble k·P',
    'node',
    'sm-crypto/ours',
  ];
  const rows = [];
  for (const op of Object.keys(results[engines[0]])) {
    for (const engine of engines) {
      const { ours, smCrypto, smCryptoV2, noble, node } = results[engine][op];
      rows.push([
        op,
        ENGINES[engine].label,
        fmt(ours),
        fmt(smCrypto),
        fmt(smCryptoV2),
        fmt(noble),
        node !== undefined && engine !== 'v8-jit' ? `${fmt(node)}*` : fmt(node),
        ratio(smCrypto, ours),
      ]);
    }
  }
  printTable(head, rows);
  console.log(`
Medians. V8: process CPU time per call, steadier than wall time on a shared machine (heavy load still
inflates it by up to ~30%). JSC: wall time (its shell has no CPU clock), so load counts fully there.
seal/open: ${CONTENT_BYTES} B content, ${RECIPIENTS} recipients + the sender, by the shipped lib's sealEnvelope /
openEnvelope, the same keys each time (from their second use on, SM2 keys have precomputed rows);
"seal, new recipients" / "open, new sender": keys never used before in the process; "seal, recipients
prepared at lookup": new keys each given sm2PrepareKey beforehand (untimed), as the compose page
does when it looks a recipient up, and "prepare a recipient key" that preparation's cost per key. unlock:
unlockKeyBackup at ${ITERATIONS} iterations. "first seal, load incl.": a fresh
process loads the lib and seals one letter (median of ${COLD_RUNS} processes). The baselines build the same
letter from sm-crypto 0.5.8 and sm-crypto-v2: SM2 wraps of a 16-byte key for every reader, a signature
over as many bytes as our signed envelope, SM4-CBC plus HMAC-SM3 standing in for SM4-GCM (neither
has GCM we can compare); their PBKDF2 is an HMAC-SM3 loop timed at ${BASELINE_ITERATIONS} iterations and scaled.
noble k·P: @noble/curves' uncached variable-base multiplication alone (what dominates an unwrap).
node = Node's OpenSSL, which has only PBKDF2-SM3 and HMAC-SM3; * native code, unaffected by --jitless.`);
}

function printComparison(results, engines, rev, rounds) {
  const load = loadavg().map((l) => l.toFixed(1));
  console.log(`load average when done: ${load.join(' ')} on ${cpus().length} CPUs\n`);
  const head = ['operation', 'engine', rev, 'this tree', 'this / rev'];
  const rows = [];
  for (const op of Object.keys(results[engines[0]])) {
    for (const engine of engines) {
      const { before, after } = results[engine][op];
      const change = before === undefined ? '' : (after / before).toFixed(2);
      rows.push([op, ENGINES[engine].label, fmt(before), fmt(after), change]);
    }
  }
  printTable(head, rows);
  console.log(`
Medians of ${rounds} rounds, each calling both builds in one process in alternating order. V8: CPU
time; JSC: wall time. seal/open as in the full run (${CONTENT_BYTES} B, ${RECIPIENTS} recipients + the sender;
"new": keys never used before, so without precomputed rows; "prepared at lookup": new keys given
sm2PrepareKey beforehand, untimed; a rev without sm2PrepareKey shows no figure there);
pbkdf2 at 10 000 iterations. "first seal, load incl.": median of ${COLD_RUNS} fresh processes per build, taking turns.`);
}

if (process.argv[2] === '--child') {
  const out = child(JSON.parse(readFileSync(process.argv[3], 'utf8')));
  console.log(JSON.stringify(out));
} else {
  await main();
}
