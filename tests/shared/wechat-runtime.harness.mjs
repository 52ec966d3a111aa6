// Loads the built mini program lib in a WeChat-shaped `vm` context and drives it the way the mini
// program does. Used by wechat-runtime.test.ts in-process, and run as a child under
// `node --jitless`:
//
//   node --jitless tests/shared/wechat-runtime.harness.mjs <lib.js> <vectors.json>   → JSON on stdout
//
// `jscProgram` writes the same scenario as one script for JavaScriptCore's shell, the engine iOS
// WeChat runs (`jsc --useJIT=false`, as WeChat runs it there), which prints the same JSON.
//
// The context has what WeChat's JavaScript runtime has and nothing else: no `crypto`, `window`,
// `self`, `require`/`module.require`, `process`, `Buffer`, `TextEncoder`/`TextDecoder`, `atob`;
// `eval` and `new Function` are disabled (codeGeneration off) and recorded if anything tries them.
import { webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/** Runs inside the context: records attempts at code generation before they fail. */
const TRAP_CODEGEN = `
  globalThis.__codegen = [];
  const RealFunction = Function;
  globalThis.Function = new Proxy(RealFunction, {
    construct(target, args) { __codegen.push('new Function'); return Reflect.construct(target, args); },
    apply(target, self, args) { __codegen.push('Function()'); return Reflect.apply(target, self, args); },
  });
  const realEval = eval;
  globalThis.eval = function (source) { __codegen.push('eval'); return realEval(source); };
`;

/** Runs inside the context, as the mini program would: the whole life of a letter and a backup. */
const SCENARIO = `
(async () => {
  const lib = globalThis.__lib;
  const v = JSON.parse(globalThis.__vectors);
  const out = { errors: {} };
  const name = (fn) => { try { fn(); return 'no error'; } catch (e) { return lib.isMifengError(e) ? e.name : String(e); } };
  const identity = (id) => ({ user: id.user, privateKey: lib.base64urlDecode(id.privateKey), publicKey: lib.base64urlDecode(id.publicKey) });
  const alice = identity(v.identities.alice);
  const bob = identity(v.identities.bob);

  // Like app.ts at launch: install the pool's source, then fill it from wx.getRandomValues.
  const pool = lib.createRandomPool();
  lib.setRandomSource(pool.source);
  out.errors.sealBeforeFill = name(() => lib.sealEnvelope({ sender: alice, recipients: [{ user: 'bob', publicKey: bob.publicKey }], content: 'x', expiresAt: null }));
  out.errors.keygenBeforeFill = name(() => lib.generateIdentity('carol'));
  await pool.fill((length) => new Promise((resolve, reject) => wx.getRandomValues({
    length,
    success: (res) => resolve(new Uint8Array(res.randomValues)),
    fail: reject,
  })));

  let t = Date.now();
  const carol = lib.generateIdentity('carol');
  out.keygenMs = Date.now() - t;
  t = Date.now();
  const letter = lib.sealEnvelope({
    sender: carol,
    recipients: [{ user: 'alice', publicKey: alice.publicKey }, { user: 'bob', publicKey: bob.publicKey }],
    content: '第一行\\n第二行 🔐', remark: '保险柜', expiresAt: new Date(Date.now() + 86400000),
  });
  out.firstSealMs = Date.now() - t;
  t = Date.now();
  const opened = lib.openEnvelope(JSON.parse(JSON.stringify(letter)), { reader: bob, senderPublicKey: carol.publicKey });
  out.firstOpenMs = Date.now() - t;
  out.opened = { content: opened.content, remark: opened.remark };
  out.errors.openAsStranger = name(() => lib.openEnvelope(letter, { reader: lib.generateIdentity('erin'), senderPublicKey: carol.publicKey }));
  out.errors.openWithWrongSenderKey = name(() => lib.openEnvelope(letter, { reader: bob, senderPublicKey: alice.publicKey }));

  const vector = v.envelopes[0];
  out.vector = lib.openEnvelope(vector.envelope, { reader: bob, senderPublicKey: alice.publicKey, now: new Date(vector.open.now) }).content;

  t = Date.now();
  const backup = lib.sealKeyBackup(carol, '主密钥 master', { iterations: 10000 });
  const unlocked = lib.unlockKeyBackup(JSON.parse(JSON.stringify(backup)), carol.publicKey, '主密钥 master');
  out.backupAndUnlock10kMs = Date.now() - t;
  out.unlockedMatches = unlocked.length === 32 && unlocked.every((b, i) => b === carol.privateKey[i]);
  out.errors.wrongMasterKey = name(() => lib.unlockKeyBackup(backup, carol.publicKey, 'wrong'));
  out.codegen = globalThis.__codegen.slice();
  return JSON.stringify(out);
})()
`;

/**
 * The scenario as a program for `jsc` (which has no vm module: the program is the context). The lib
 * is wrapped in a function of (module, exports) as WeChat does. jsc has no random source, so the
 * `wx.getRandomValues` double serves `randomHex` (bytes from the caller's CSPRNG) and fails once it
 * runs out. jsc cannot switch code generation off, so `codegenBlocked` is false there; attempts
 * are still recorded by the trap.
 */
export function jscProgram(libCode, vectorsText, randomHex) {
  return `
// jsc has atob and btoa; WeChat's runtime does not.
delete globalThis.atob;
delete globalThis.btoa;
const __random = new Uint8Array(${JSON.stringify(randomHex)}.match(/../g).map((b) => parseInt(b, 16)));
let __randomUsed = 0;
globalThis.wx = {
  getRandomValues({ length, success, fail }) {
    setTimeout(() => {
      if (!Number.isInteger(length) || length < 1) return fail?.({ errMsg: 'getRandomValues:fail invalid length' });
      if (__randomUsed + length > __random.length) return fail?.({ errMsg: 'getRandomValues:fail test ran out of bytes' });
      success({ randomValues: __random.slice(__randomUsed, (__randomUsed += length)).buffer });
    }, 1);
  },
};
${TRAP_CODEGEN}
const __absent = ['crypto', 'window', 'self', 'require', 'process', 'Buffer', 'TextEncoder', 'TextDecoder', 'atob', 'btoa', 'global']
  .filter((name) => typeof globalThis[name] !== 'undefined');
let __started = preciseTime();
const __module = { exports: {} };
(function (module, exports) {${libCode}
})(__module, __module.exports);
const __loadMs = (preciseTime() - __started) * 1000;
globalThis.__lib = __module.exports;
globalThis.__vectors = ${JSON.stringify(vectorsText)};
__started = preciseTime();
${SCENARIO.trim()}.then(
  (json) => print(JSON.stringify({ ...JSON.parse(json), loadMs: __loadMs, scenarioMs: (preciseTime() - __started) * 1000, presentGlobals: __absent, codegenBlocked: false })),
  (error) => print(JSON.stringify({ failed: String(error && error.stack || error) })),
);
`;
}

/** The `wx` double: only getRandomValues, asynchronous like the real one, backed by Node's CSPRNG. */
function wxDouble() {
  return {
    getRandomValues({ length, success, fail }) {
      setTimeout(() => {
        if (!Number.isInteger(length) || length < 1)
          return fail?.({ errMsg: 'getRandomValues:fail invalid length' });
        success({ randomValues: webcrypto.getRandomValues(new Uint8Array(length)).buffer });
      }, 1);
    },
  };
}

/** Creates the context, loads the lib into it and runs the scenario. */
export async function runInWeChatRuntime(libPath, vectorsText) {
  const context = vm.createContext(
    { console, setTimeout, clearTimeout, setInterval, clearInterval, wx: wxDouble() },
    { codeGeneration: { strings: false, wasm: false } },
  );
  vm.runInContext(TRAP_CODEGEN, context);
  const absent = vm.runInContext(
    `['crypto', 'window', 'self', 'require', 'process', 'Buffer', 'TextEncoder', 'TextDecoder', 'atob', 'btoa', 'global']
      .filter((name) => typeof globalThis[name] !== 'undefined')`,
    context,
  );
  const blocked = vm.runInContext(
    `(() => { try { (0, Object.getPrototypeOf(function () {}).constructor)('return 1'); return false; } catch (e) { return e instanceof EvalError; } })()`,
    context,
  );
  // The trap itself works: the global Function is recorded, then refused.
  const trapped = vm.runInContext(
    `(() => { try { new Function('return 1'); } catch (e) { return e instanceof EvalError && __codegen.length === 1; } return false; })()`,
    context,
  );
  vm.runInContext('__codegen.length = 0', context);

  const code = readFileSync(libPath, 'utf8');
  let started = performance.now();
  // WeChat wraps each file like this; the module object has no `require`.
  const wrapper = new vm.Script(`(function (module, exports) {${code}\n})`, { filename: libPath });
  const module = vm.runInContext('({ exports: {} })', context);
  wrapper.runInContext(context)(module, module.exports);
  const loadMs = performance.now() - started;
  context.__lib = module.exports;
  context.__vectors = vectorsText;
  started = performance.now();
  const result = JSON.parse(await vm.runInContext(SCENARIO, context));
  return {
    ...result,
    loadMs,
    scenarioMs: performance.now() - started,
    presentGlobals: [...absent],
    codegenBlocked: blocked && trapped,
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [libPath, vectorsPath] = process.argv.slice(2);
  const result = await runInWeChatRuntime(libPath, readFileSync(vectorsPath, 'utf8'));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
