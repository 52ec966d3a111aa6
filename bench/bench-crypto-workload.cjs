// The engine-neutral half of `npm run bench:crypto`: the operations timed and how, written in plain
// CommonJS without imports so that V8 (`node`, `node --jitless`) and JavaScriptCore (`jsc`, `jsc
// --useJIT=false`) run the very same file. The caller loads the bundles and passes them in:
//
//   lib        the shipped mini program lib (dist/miniprogram/lib/mifeng.js): seal, open, unlock
//   core       the crypto + protocol core built by the same build-lib.mjs: sign, verify, PBKDF2, …
//   smCrypto   sm-crypto 0.5.8, smCryptoV2 sm-crypto-v2, weierstrassN from @noble/curves (baselines)
//   sender     { privateKey, publicKey }, recipients [publicKey…]: the keys of the cold first seal
//   random     n → Uint8Array of random bytes; now() → milliseconds; slow: the engine has no JIT
//
// It returns { [operation]: { ours, smCrypto, smCryptoV2, noble } } of medians in ms.

const CONTENT_BYTES = 2048;
const RECIPIENTS = 5;
const ITERATIONS = 100000;
/** The baselines' PBKDF2 stand-in is a plain HMAC loop; at 100 000 it takes minutes without a JIT. */
const BASELINE_ITERATIONS = 1000;
/** GB/T 32918.5-2017 §2, for the @noble/curves baseline. */
const SM2_CURVE = {
  p: 'FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF',
  a: 'FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC',
  b: '28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93',
  n: 'FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123',
  Gx: '32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7',
  Gy: 'BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0',
};

const hex = (bytes) => Array.from(bytes, (b) => (b < 16 ? '0' : '') + b.toString(16)).join('');

/**
 * Runs `fn` until it has `minRuns` samples and `budgetMs` has passed (or `maxRuns`); the median of
 * one call in ms. `fn` is a function or { setup, run }: then only `run` is timed, `setup` (called
 * before each run) is not.
 */
function makeMedian(now) {
  return (fn, { minRuns = 5, maxRuns = 200, budgetMs = 1500, warmup = 2 } = {}) => {
    const { setup, run } = typeof fn === 'function' ? { run: fn } : fn;
    for (let i = 0; i < warmup; i++) {
      setup?.();
      run();
    }
    const samples = [];
    const start = now();
    while (samples.length < minRuns || (now() - start < budgetMs && samples.length < maxRuns)) {
      setup?.();
      const t = now();
      run();
      samples.push(now() - t);
    }
    samples.sort((a, b) => a - b);
    const mid = samples.length >> 1;
    return samples.length % 2 ? samples[mid] : (samples[mid - 1] + samples[mid]) / 2;
  };
}

/**
 * Seal and open where no key was used before (every SM2 key gets its precomputed rows only on its
 * second use): `calls` seals, each to RECIPIENTS new recipients, and `calls` letters to `reader`,
 * each from a new sender. Keys and letters are made up front, so only the seal or open is timed.
 * Where the lib has sm2PrepareKey (older builds do not), also the seal to RECIPIENTS new recipients
 * whose keys were prepared (untimed, as the compose page does when it looks them up), and the
 * preparation of one new key.
 */
function freshKeys(lib, reader, calls) {
  const pool = [];
  for (let i = 0; i < calls * RECIPIENTS; i++) pool.push(lib.generateIdentity(`new${i}`));
  const letters = [];
  for (let i = 0; i < calls; i++) {
    const sender = lib.generateIdentity(`sender${i}`);
    const envelope = lib.sealEnvelope({
      sender,
      recipients: [{ user: reader.user, publicKey: reader.publicKey }],
      content: 'x'.repeat(CONTENT_BYTES),
      remark: 'bench',
      expiresAt: null,
    });
    letters.push({ envelope, senderPublicKey: sender.publicKey });
  }
  return {
    seal: (sealInput) => () =>
      lib.sealEnvelope({
        ...sealInput,
        recipients: pool.splice(0, RECIPIENTS).map(({ user, publicKey }) => ({ user, publicKey })),
      }),
    sealPrepared: (sealInput) => {
      let recipients = [];
      return {
        setup: () => {
          recipients = pool.splice(0, RECIPIENTS).map(({ user, publicKey }) => ({ user, publicKey }));
          for (const { publicKey } of recipients) lib.sm2PrepareKey(publicKey);
        },
        run: () => lib.sealEnvelope({ ...sealInput, recipients }),
      };
    },
    prepare: () => lib.sm2PrepareKey(pool.pop().publicKey),
    open: () => {
      const { envelope, senderPublicKey } = letters.pop();
      return lib.openEnvelope(envelope, { reader, senderPublicKey });
    },
  };
}

/** The same envelope built from a baseline library: SM2 wraps, SM4-CBC + HMAC-SM3, a signature. */
function baselineLetter(sm, senderHex, readersHex, message, plaintextHex, random) {
  const opts = { hash: true, der: true, userId: '1234567812345678' };
  const macKey = hex(random(32));
  const iv = hex(random(16));
  const seal = () => {
    const dek = hex(random(16));
    const wraps = readersHex.map(({ pub }) => sm.sm2.doEncrypt(dek, pub, 1));
    const ct = sm.sm4.encrypt(plaintextHex, dek, { mode: 'cbc', iv });
    const tag = sm.sm3(ct, { key: macKey });
    const sig = sm.sm2.doSignature(message, senderHex.priv, { ...opts, publicKey: senderHex.pub });
    return { wraps, ct, tag, sig };
  };
  const letter = seal();
  const open = () => {
    if (!sm.sm2.doVerifySignature(message, letter.sig, senderHex.pub, opts)) throw new Error('bad sig');
    const dek = sm.sm2.doDecrypt(letter.wraps[1], readersHex[1].priv, 1);
    if (sm.sm3(letter.ct, { key: macKey }) !== letter.tag) throw new Error('bad tag');
    return sm.sm4.decrypt(letter.ct, dek, { mode: 'cbc', iv });
  };
  const wrapped = sm.sm2.doEncrypt(hex(random(16)), readersHex[1].pub, 1);
  return {
    seal,
    open,
    sign: () => sm.sm2.doSignature(message, senderHex.priv, { ...opts, publicKey: senderHex.pub }),
    verify: () => sm.sm2.doVerifySignature(message, letter.sig, senderHex.pub, opts),
    wrap: () => sm.sm2.doEncrypt(hex(random(16)), readersHex[1].pub, 1),
    unwrap: () => sm.sm2.doDecrypt(wrapped, readersHex[1].priv, 1),
    keygen: () => sm.sm2.generateKeyPairHex(),
    // RFC 8018 PBKDF2 over the library's HMAC-SM3, one 32-byte block.
    pbkdf2: (pwHex, saltHex, iterations) => {
      let u = sm.sm3(`${saltHex}00000001`, { key: pwHex });
      let t = BigInt(`0x${u}`);
      for (let i = 1; i < iterations; i++) {
        u = sm.sm3(u, { key: pwHex });
        t ^= BigInt(`0x${u}`);
      }
      return t;
    },
  };
}

function run({ lib, core, smCrypto, smCryptoV2, weierstrassN, random, now, slow }) {
  const median = makeMedian(now);
  const heavy = { minRuns: 3, maxRuns: 20, budgetMs: slow ? 4000 : 2000, warmup: 1 };
  const baselineHeavy = { minRuns: 3, maxRuns: 10, budgetMs: slow ? 3000 : 2000, warmup: 1 };
  const r = {};

  // --- Ours, through the shipped lib: the protocol functions the mini program calls.
  lib.setRandomSource(random);
  core.setRandomSource(random);
  const sender = lib.generateIdentity('sender');
  const recipients = [];
  for (let i = 0; i < RECIPIENTS; i++) recipients.push(lib.generateIdentity(`reader${i}`));
  const content = '密'.repeat(CONTENT_BYTES / 3) + 'x'.repeat(CONTENT_BYTES % 3);
  const sealInput = {
    sender,
    recipients: recipients.map(({ user, publicKey }) => ({ user, publicKey })),
    content,
    remark: 'bench',
    expiresAt: new Date(Date.now() + 86400000),
  };
  let envelope = lib.sealEnvelope(sealInput);
  r.seal = { ours: median(() => (envelope = lib.sealEnvelope(sealInput)), heavy) };
  const reader = recipients[0];
  r.open = {
    ours: median(() => lib.openEnvelope(envelope, { reader, senderPublicKey: sender.publicKey }), heavy),
  };
  // Fresh keys for every call: heavy's maxRuns plus its warmup.
  const fresh = freshKeys(lib, reader, heavy.maxRuns + heavy.warmup);
  r['seal, new recipients'] = { ours: median(fresh.seal(sealInput), heavy) };
  r['open, new sender'] = { ours: median(fresh.open, heavy) };
  if (lib.sm2PrepareKey) {
    const prepared = freshKeys(lib, reader, heavy.maxRuns + heavy.warmup);
    r['seal, recipients prepared at lookup'] = { ours: median(prepared.sealPrepared(sealInput), heavy) };
    // heavy runs at most 21 times: 5 calls' worth of keys.
    r['prepare a recipient key'] = { ours: median(freshKeys(lib, reader, 5).prepare, heavy) };
  }
  const master = 'correct horse battery staple';
  const backup = lib.sealKeyBackup(sender, master, { iterations: ITERATIONS });
  r.unlock = {
    ours: median(() => lib.unlockKeyBackup(backup, sender.publicKey, master), {
      minRuns: 3,
      maxRuns: 3,
      budgetMs: 0,
      warmup: 0,
    }),
  };

  // --- Ours, the primitives, through the core bundle.
  const message = random(core.signedBytes(envelope).length);
  const sig = core.sm2Sign(sender.privateKey, message);
  const dek = random(16);
  const wrapped = core.sm2Encrypt(reader.publicKey, dek);
  const key = random(16);
  const iv = random(12);
  const aad = random(300);
  const plaintext = random(CONTENT_BYTES + 256);
  const sealed = core.sm4GcmEncrypt(key, iv, plaintext, aad);
  const verifier = core.sm2Verifier(sender.publicKey);
  r.sign = { ours: median(() => core.sm2Sign(sender.privateKey, message)) };
  r.verify = { ours: median(() => core.sm2Verify(sender.publicKey, message, sig)) };
  r['verify, cached key'] = { ours: median(() => verifier(message, sig)) };
  r['sm2 wrap'] = { ours: median(() => core.sm2Encrypt(reader.publicKey, dek)) };
  r['sm2 unwrap'] = { ours: median(() => core.sm2Decrypt(reader.privateKey, wrapped)) };
  r['sm2 keygen'] = { ours: median(() => core.sm2GenerateKeyPair()) };
  r['sm4-gcm 2 KiB enc'] = { ours: median(() => core.sm4GcmEncrypt(key, iv, plaintext, aad)) };
  r['sm4-gcm 2 KiB dec'] = { ours: median(() => core.sm4GcmDecrypt(key, iv, sealed, aad)) };
  r['hmac-sm3 2 KiB'] = { ours: median(() => core.hmacSm3(key, plaintext)) };
  const pw = random(28);
  const salt = random(16);
  r[`pbkdf2 ${ITERATIONS}`] = {
    ours: median(() => core.pbkdf2HmacSm3(pw, salt, ITERATIONS, 16), {
      minRuns: 3,
      maxRuns: 3,
      budgetMs: 0,
      warmup: 1,
    }),
  };

  // --- Baselines: the same letter and primitives from sm-crypto 0.5.8 and sm-crypto-v2.
  const senderHex = { priv: hex(sender.privateKey), pub: hex(sender.publicKey) };
  const readersHex = [sender, ...recipients].map((id) => ({
    priv: hex(id.privateKey),
    pub: hex(id.publicKey),
  }));
  // sm-crypto takes messages as arrays of numbers, sm-crypto-v2 as Uint8Array.
  for (const [name, sm, signed] of [
    ['smCrypto', smCrypto, Array.from(message)],
    ['smCryptoV2', smCryptoV2, message],
  ]) {
    const b = baselineLetter(sm, senderHex, readersHex, signed, hex(plaintext), random);
    r.seal[name] = median(b.seal, baselineHeavy);
    r.open[name] = median(b.open, baselineHeavy);
    r.sign[name] = median(b.sign, heavy);
    r.verify[name] = median(b.verify, heavy);
    r['sm2 wrap'][name] = median(b.wrap, heavy);
    r['sm2 unwrap'][name] = median(b.unwrap, heavy);
    r['sm2 keygen'][name] = median(b.keygen, heavy);
    r['hmac-sm3 2 KiB'][name] = median(() => sm.sm3(hex(plaintext), { key: hex(key) }));
    const once = { minRuns: 3, maxRuns: 3, budgetMs: 0, warmup: 1 };
    const pbkdf2 =
      (median(() => b.pbkdf2(hex(pw), hex(salt), BASELINE_ITERATIONS), once) * ITERATIONS) /
      BASELINE_ITERATIONS;
    r[`pbkdf2 ${ITERATIONS}`][name] = pbkdf2;
    r.unlock[name] = pbkdf2;
  }

  // --- @noble/curves, the engine under sm-crypto-v2: its uncached k·P alone, the heart of an unwrap.
  const Point = weierstrassN(
    Object.fromEntries(
      Object.entries(SM2_CURVE)
        .map(([k, v]) => [k, BigInt(`0x${v}`)])
        .concat([['h', 1n]]),
    ),
  );
  const point = Point.fromHex(hex(reader.publicKey));
  const k = BigInt(`0x${hex(random(31))}`) + 1n;
  r['sm2 unwrap'].noble = median(() => point.multiply(k), heavy);
  return r;
}

/**
 * What a user waits for when the lib is not loaded yet: load the lib's source (`loadLib()`, which
 * returns its exports), install the random source, seal one letter to 5 recipients + the sender.
 * Only meaningful in a fresh process. Returns ms.
 */
function coldSeal({ loadLib, random, now, sender, recipients }) {
  const start = now();
  const lib = loadLib();
  lib.setRandomSource(random);
  lib.sealEnvelope({
    sender: { user: 'sender', ...sender },
    recipients: recipients.map((publicKey, i) => ({ user: `reader${i}`, publicKey })),
    content: 'x'.repeat(CONTENT_BYTES),
    remark: 'bench',
    expiresAt: null,
  });
  return now() - start;
}

/**
 * Two builds of ours in one process, their calls interleaved round by round (the order alternating),
 * so that both see the same load, heap and engine state: `before` and `after` are { lib, core }.
 * Used by `npm run bench:crypto -- --against <rev>`.
 * Returns { [operation]: { before, after } } of medians in ms.
 */
function compare({ before, after, random, now, rounds }) {
  const sides = { before, after };
  const ops = {};
  for (const [side, { lib, core }] of Object.entries(sides)) {
    lib.setRandomSource(random);
    core.setRandomSource(random);
    const sender = lib.generateIdentity('sender');
    const recipients = [];
    for (let i = 0; i < RECIPIENTS; i++) recipients.push(lib.generateIdentity(`reader${i}`));
    const sealInput = {
      sender,
      recipients: recipients.map(({ user, publicKey }) => ({ user, publicKey })),
      content: 'x'.repeat(CONTENT_BYTES),
      remark: 'bench',
      expiresAt: null,
    };
    const envelope = lib.sealEnvelope(sealInput);
    const reader = recipients[0];
    const message = random(core.signedBytes(envelope).length);
    const sig = core.sm2Sign(sender.privateKey, message);
    const wrapped = core.sm2Encrypt(reader.publicKey, random(16));
    const verifier = core.sm2Verifier(sender.publicKey);
    const pw = random(28);
    const salt = random(16);
    // Every round calls each op once per side, two uncounted rounds first.
    const fresh = freshKeys(lib, reader, rounds + 2);
    const prepared = freshKeys(lib, reader, rounds + 2);
    ops[side] = {
      seal: () => lib.sealEnvelope(sealInput),
      'seal, new recipients': fresh.seal(sealInput),
      ...(lib.sm2PrepareKey
        ? {
            'seal, recipients prepared at lookup': prepared.sealPrepared(sealInput),
            'prepare a recipient key': freshKeys(lib, reader, Math.ceil((rounds + 2) / RECIPIENTS)).prepare,
          }
        : {}),
      open: () => lib.openEnvelope(envelope, { reader, senderPublicKey: sender.publicKey }),
      'open, new sender': fresh.open,
      sign: () => core.sm2Sign(sender.privateKey, message),
      verify: () => core.sm2Verify(sender.publicKey, message, sig),
      'verify, cached key': () => verifier(message, sig),
      'sm2 wrap': () => core.sm2Encrypt(reader.publicKey, random(16)),
      'sm2 unwrap': () => core.sm2Decrypt(reader.privateKey, wrapped),
      'pbkdf2 10000': () => core.pbkdf2HmacSm3(pw, salt, 10000, 16),
    };
  }
  const samples = {};
  for (const op of Object.keys(ops.after)) samples[op] = { before: [], after: [] };
  // Two rounds first that are not counted: a JIT compiles during them. An op the older build lacks
  // runs on this side only; { setup, run } ops time only `run`.
  for (let round = -2; round < rounds; round++) {
    const order = round % 2 ? ['before', 'after'] : ['after', 'before'];
    for (const op of Object.keys(ops.after)) {
      for (const side of order) {
        const fn = ops[side][op];
        if (fn === undefined) continue;
        const { setup, run } = typeof fn === 'function' ? { run: fn } : fn;
        setup?.();
        const t = now();
        run();
        if (round >= 0) samples[op][side].push(now() - t);
      }
    }
  }
  const median = (xs) => (xs.length ? xs.sort((a, b) => a - b)[xs.length >> 1] : undefined);
  const r = {};
  for (const [op, { before: b, after: a }] of Object.entries(samples))
    r[op] = { before: median(b), after: median(a) };
  return r;
}

module.exports = { run, coldSeal, compare, ITERATIONS, BASELINE_ITERATIONS, CONTENT_BYTES, RECIPIENTS };
