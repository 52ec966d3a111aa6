// The JavaScriptCore side of `npm run bench:crypto`, run by bench/bench-crypto.mjs as
//
//   jsc [--useJIT=false] bench/bench-crypto-jsc.js -- <job.json>
//
// jsc is the shell of the engine iOS WeChat runs (without JIT): it has load(), readFile(), print()
// and preciseTime(), but no require, console, crypto or CPU clock, so times here are wall time.
// The job names the bundles to load and the work (see bench-crypto-workload.cjs); one JSON line of
// results goes to stdout. Random bytes come from a xorshift generator seeded by the parent with real
// entropy: good enough for timing, and nothing here is a secret.
// biome-ignore lint/complexity/noArguments: the jsc shell passes its script arguments this way.
const job = JSON.parse(readFile(arguments[0]));

/** Indirect eval: evaluates in the global scope, as WeChat evaluates each file. */
// biome-ignore lint/security/noGlobalEval: the jsc shell has no other way to wrap a file.
const globalEval = eval;

/** Loads a CommonJS bundle the way WeChat does: wrapped in a function of (module, exports). */
function loadCjs(path) {
  const module = { exports: {} };
  const wrap = globalEval(`(function (module, exports) {${readFile(path)}\n})`);
  wrap(module, module.exports);
  return module.exports;
}

const fromHex = (hex) => new Uint8Array(hex.match(/../g).map((b) => Number.parseInt(b, 16)));
const seed = fromHex(job.seed);
let s0 = 0;
let s1 = 0;
for (let i = 0; i < 4; i++) {
  s0 = (s0 * 256 + seed[i]) >>> 0;
  s1 = (s1 * 256 + seed[4 + i]) >>> 0;
}
/** xorshift32 pair; 4 bytes per step. */
function nextWord() {
  let x = s0;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  s0 = s1;
  s1 = x >>> 0;
  return (s0 + s1) >>> 0;
}
function random(length) {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) {
    const w = nextWord();
    for (let j = 0; j < 4 && i + j < length; j++) out[i + j] = w >>> (8 * j);
  }
  return out;
}
// sm-crypto-v2 (through @noble/hashes) and sm-crypto draw from crypto.getRandomValues.
globalThis.crypto = {
  getRandomValues(array) {
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(random(array.byteLength));
    return array;
  },
};
const now = () => preciseTime() * 1000;
const workload = loadCjs(job.workload);
let result;
if (job.compare) {
  result = workload.compare({
    before: { lib: loadCjs(job.compare.lib), core: loadCjs(job.compare.core) },
    after: { lib: loadCjs(job.lib), core: loadCjs(job.core) },
    random,
    now,
    rounds: job.compare.rounds,
  });
} else if (job.cold) {
  result = workload.coldSeal({
    loadLib: () => loadCjs(job.lib),
    random,
    now,
    sender: { privateKey: fromHex(job.cold.privateKey), publicKey: fromHex(job.cold.publicKey) },
    recipients: job.cold.recipients.map(fromHex),
  });
} else {
  const baselines = loadCjs(job.baselines);
  result = workload.run({
    lib: loadCjs(job.lib),
    core: loadCjs(job.core),
    smCrypto: baselines.smCrypto,
    smCryptoV2: baselines.smCryptoV2,
    weierstrassN: baselines.weierstrassN,
    random,
    now,
    slow: job.slow,
  });
}
print(JSON.stringify(result));
