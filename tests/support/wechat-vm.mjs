// A `vm` context shaped like WeChat's JavaScript runtime, and the two things the tests run in it:
// the mini program lib alone (runLibInWeChatRuntime: the whole life of a letter and a key backup)
// and the BUILT mini program, lib, app, every page and component (runMiniProgramInWeChatRuntime).
// Used in-process by tests/shared/wechat-runtime.test.ts and tests/miniprogram/wechat-runtime.test.ts,
// and as a child under `node --jitless` (our stand-in for iOS, where WeChat runs JavaScript without
// a JIT) for the timing figures:
//
//   node --jitless tests/support/wechat-vm.mjs lib <lib.js> <vectors.json>                → JSON on stdout
//   node --jitless tests/support/wechat-vm.mjs miniprogram [dist/miniprogram] [--ios-promise]  → JSON on stdout
//
// The context has what WeChat's runtime has and nothing else: no `crypto`, `window`, `self`,
// `require`/`module.require`, `process`, `Buffer`, `TextEncoder`/`TextDecoder`, `atob`, `global`;
// code generation (eval, new Function, WebAssembly compilation) is switched off, and any attempt is
// recorded. Each file is wrapped the way WeChat wraps it, `(function (module, exports, require) {…})`,
// with a `require` that resolves only relative paths inside the package (none for the lib alone).
import { webcrypto } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const HERE = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_DIST = resolve(HERE, '../../dist/miniprogram');

/** Globals WeChat does not have; a context that shows any of them is not WeChat-shaped. */
const NOT_IN_WECHAT = [
  'crypto',
  'window',
  'self',
  'require',
  'module',
  'process',
  'Buffer',
  'TextEncoder',
  'TextDecoder',
  'atob',
  'btoa',
  'global',
];

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

/**
 * Runs inside the context when `iosPromise` is set: replaces the global Promise with a minimal
 * Promises/A+ implementation whose callbacks run from setTimeout, like the polyfill WeChat installs
 * on iOS. Code that relies on microtask ordering breaks under it; ours must not.
 */
const IOS_PROMISE = `
  (() => {
    const PENDING = 0, FULFILLED = 1, REJECTED = 2;
    class TimerPromise {
      constructor(executor) {
        this._state = PENDING; this._value = undefined; this._handlers = [];
        const settle = (state, value) => {
          if (this._state !== PENDING) return;
          if (state === FULFILLED && value && (typeof value === 'object' || typeof value === 'function')) {
            let then;
            try { then = value.then; } catch (e) { return settle(REJECTED, e); }
            if (typeof then === 'function') {
              let called = false;
              try {
                then.call(value, (v) => { if (!called) { called = true; settle(FULFILLED, v); } },
                                 (r) => { if (!called) { called = true; settle(REJECTED, r); } });
              } catch (e) { if (!called) settle(REJECTED, e); }
              return;
            }
          }
          this._state = state; this._value = value;
          const handlers = this._handlers; this._handlers = [];
          for (const h of handlers) this._run(h);
        };
        try { executor((v) => settle(FULFILLED, v), (r) => settle(REJECTED, r)); } catch (e) { settle(REJECTED, e); }
      }
      _run(h) {
        setTimeout(() => {
          const cb = this._state === FULFILLED ? h.onFulfilled : h.onRejected;
          if (typeof cb !== 'function') return (this._state === FULFILLED ? h.resolve : h.reject)(this._value);
          try { h.resolve(cb(this._value)); } catch (e) { h.reject(e); }
        }, 0);
      }
      then(onFulfilled, onRejected) {
        return new TimerPromise((resolve, reject) => {
          const h = { onFulfilled, onRejected, resolve, reject };
          if (this._state === PENDING) this._handlers.push(h); else this._run(h);
        });
      }
      catch(onRejected) { return this.then(undefined, onRejected); }
      finally(fn) {
        return this.then((v) => TimerPromise.resolve(fn()).then(() => v),
                         (r) => TimerPromise.resolve(fn()).then(() => { throw r; }));
      }
      static resolve(v) { return v instanceof TimerPromise ? v : new TimerPromise((r) => r(v)); }
      static reject(r) { return new TimerPromise((_, j) => j(r)); }
      static all(items) {
        return new TimerPromise((resolve, reject) => {
          const out = []; let left = items.length; if (!left) return resolve(out);
          items.forEach((item, i) => TimerPromise.resolve(item).then((v) => { out[i] = v; if (--left === 0) resolve(out); }, reject));
        });
      }
    }
    globalThis.Promise = TimerPromise;
    globalThis.__timerPromise = TimerPromise;
  })();
`;

/**
 * A context with WeChat's globals (timers, console) plus `globals`, code generation off and
 * recorded, and with `iosPromise` the timer-driven Promise of iOS WeChat.
 */
function createWeChatContext(globals, { iosPromise = false } = {}) {
  const context = vm.createContext(
    { console, setTimeout, clearTimeout, setInterval, clearInterval, ...globals },
    { codeGeneration: { strings: false, wasm: false } },
  );
  vm.runInContext(TRAP_CODEGEN, context);
  if (iosPromise) vm.runInContext(IOS_PROMISE, context);
  return context;
}

/** Which of NOT_IN_WECHAT the context shows. */
function presentGlobals(context) {
  return [
    ...vm.runInContext(
      `${JSON.stringify(NOT_IN_WECHAT)}.filter((name) => typeof globalThis[name] !== 'undefined')`,
      context,
    ),
  ];
}

/** Whether code generation is refused, through the real Function constructor and through the trap. */
function codegenBlocked(context) {
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
  return blocked && trapped;
}

/** A module object of the context's own (no `module.require`). */
const newModule = (context) => vm.runInContext('({ exports: {} })', context);

/** Runs `file` in the context wrapped as WeChat wraps it. */
function runWrapped(context, file, module, require) {
  const source = readFileSync(file, 'utf8');
  const wrapper = new vm.Script(`(function (module, exports, require) {${source}\n})`, { filename: file });
  wrapper.runInContext(context)(module, module.exports, require);
}

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
 * The lib scenario as a program for JavaScriptCore's shell, the engine iOS WeChat runs (`jsc
 * --useJIT=false`, as WeChat runs it there), printing the same JSON. jsc has no vm module, so the
 * program is the context; the lib is wrapped in a function of (module, exports) as WeChat does. jsc
 * has no random source, so the `wx.getRandomValues` double serves `randomHex` (bytes from the
 * caller's CSPRNG) and fails once it runs out. jsc cannot switch code generation off, so
 * `codegenBlocked` is false there; attempts are still recorded by the trap.
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

/**
 * The `wx` double: asynchronous like the real one; randomness from Node's CSPRNG, storage in memory,
 * a canvas that counts what is drawn on it (into `log.canvas`), and requests that fail like an
 * offline phone (there is no server here).
 */
function wxDouble(log) {
  const storage = new Map();
  const later = (fn) => setTimeout(fn, 1);
  return {
    getRandomValues({ length, success, fail }) {
      later(() => {
        if (!Number.isInteger(length) || length < 1)
          return fail?.({ errMsg: 'getRandomValues:fail invalid length' });
        success({ randomValues: webcrypto.getRandomValues(new Uint8Array(length)).buffer });
      });
    },
    getStorageSync: (key) => (storage.has(key) ? storage.get(key) : ''),
    setStorageSync: (key, value) => storage.set(key, value),
    removeStorageSync: (key) => storage.delete(key),
    setNavigationBarTitle() {},
    getWindowInfo: () => ({ pixelRatio: 3 }),
    getAppBaseInfo: () => ({ SDKVersion: '3.3.0' }),
    getUpdateManager: () => ({ onUpdateReady() {}, onUpdateFailed() {}, applyUpdate() {} }),
    hideHomeButton() {},
    createSelectorQuery() {
      const query = {
        in: () => query,
        select: () => query,
        fields: () => query,
        exec(cb) {
          const ctx = {
            fillStyle: '',
            rects: 0,
            scaled: null,
            scale(x, y) {
              ctx.scaled = [x, y];
            },
            setTransform() {},
            fillRect() {
              ctx.rects++;
            },
          };
          const node = { width: 0, height: 0, getContext: () => ctx, ctx };
          log.canvas = node;
          later(() => cb([{ node }]));
        },
      };
      return query;
    },
    request(options) {
      // No server here: every call fails like an offline phone.
      later(() => options.fail({ errMsg: 'request:fail offline' }));
    },
  };
}

/** Loads the lib alone into a fresh context and runs the letter-and-backup scenario in it. */
export async function runLibInWeChatRuntime(libPath, vectorsText) {
  const context = createWeChatContext({ wx: wxDouble({}) });
  const present = presentGlobals(context);
  const blocked = codegenBlocked(context);
  let started = performance.now();
  const module = newModule(context);
  runWrapped(context, libPath, module, (spec) => {
    throw new Error(`the lib requires "${spec}": it must be self-contained`);
  });
  const loadMs = performance.now() - started;
  context.__lib = module.exports;
  context.__vectors = vectorsText;
  started = performance.now();
  const result = JSON.parse(await vm.runInContext(SCENARIO, context));
  return {
    ...result,
    loadMs,
    scenarioMs: performance.now() - started,
    presentGlobals: present,
    codegenBlocked: blocked,
  };
}

/** Builds the context, loads everything, runs the checks; resolves to a plain report object. */
export async function runMiniProgramInWeChatRuntime(dist = DEFAULT_DIST, options = {}) {
  const log = { canvas: null };
  const registered = { pages: [], components: 0, app: null };
  const pageInstances = [];
  const context = createWeChatContext(
    {
      wx: wxDouble(log),
      App: (options) => {
        registered.app = options;
      },
      Page: (options) => {
        registered.pages.push(options);
      },
      Component: () => {
        registered.components++;
      },
      getApp: () => registered.app,
      getCurrentPages: () => pageInstances,
    },
    options,
  );
  const present = presentGlobals(context);

  const cache = new Map();
  const loadTimes = {};
  function load(file) {
    if (cache.has(file)) return cache.get(file).exports;
    if (!file.startsWith(dist) || !existsSync(file))
      throw new Error(`require of a file outside the package: ${file}`);
    const started = performance.now();
    const module = newModule(context);
    cache.set(file, module);
    runWrapped(context, file, module, (spec) => {
      if (!spec.startsWith('.'))
        throw new Error(`${relative(dist, file)} requires "${spec}": not a relative path`);
      const target = resolve(dirname(file), spec);
      return load(target.endsWith('.js') ? target : `${target}.js`);
    });
    loadTimes[relative(dist, file)] = performance.now() - started;
    return module.exports;
  }

  // The lib first, alone, to time it; then the app and every page and component.
  let started = performance.now();
  const lib = load(join(dist, 'lib', 'mifeng.js'));
  const libLoadMs = performance.now() - started;
  started = performance.now();
  load(join(dist, 'app.js'));
  const appJson = JSON.parse(readFileSync(join(dist, 'app.json'), 'utf8'));
  for (const page of appJson.pages) load(join(dist, `${page}.js`));
  const componentFiles = ['components/state-card/state-card.js'];
  for (const file of componentFiles) load(join(dist, file));
  const pagesLoadMs = performance.now() - started;

  // App.onLaunch fills the random pool from wx.getRandomValues; sealing before that is refused.
  const out = {};
  try {
    lib.generateIdentity('early');
    out.beforeLaunch = 'no error';
  } catch (err) {
    out.beforeLaunch = err?.name ?? String(err);
  }
  registered.app.onLaunch();
  // Sealing waits for the pool, as services/letters does (a thenable of the context's Promise).
  await load(join(dist, 'services', 'random', 'index.js')).whenRandomReady();

  // First seal, as the compose page does it (to one recipient; the sender is added by the
  // protocol). Run inside the context, so Date and Uint8Array are the context's own.
  context.__lib = lib;
  const sealed = JSON.parse(
    vm.runInContext(
      `(() => {
        const lib = __lib;
        const alice = lib.generateIdentity('alice');
        const bob = lib.generateIdentity('bob');
        const t = Date.now();
        const envelope = lib.sealEnvelope({
          sender: alice,
          recipients: [{ user: 'bob', publicKey: bob.publicKey }],
          content: '文件密码 Xq7#9k',
          remark: 'vm',
          expiresAt: new Date(Date.now() + 7 * 86400000),
        });
        const firstSealMs = Date.now() - t;
        const opened = lib.openEnvelope(envelope, { reader: bob, senderPublicKey: alice.publicKey }).content;
        return JSON.stringify({ firstSealMs, opened });
      })()`,
      context,
    ),
  );
  const firstSealMs = sealed.firstSealMs;
  out.opened = sealed.opened;

  // The master key estimator chunk, loaded the way the register page loads it, and a passphrase
  // drawn from the random pool.
  started = performance.now();
  const strength = load(join(dist, 'services', 'strength', 'index.js'));
  await strength.loadStrength();
  const strengthLoadMs = performance.now() - started;
  const huawei = strength.masterKeyStrength('Huawei@123');
  out.strength = { verdict: huawei.verdict, pattern: huawei.pattern };
  out.passphrase = await strength.generatePassphrase();

  // Drive two pages: a link that is not ours, and the QR drawn through the legacy-canvas adapter.
  const byRoute = Object.fromEntries(appJson.pages.map((p, i) => [p, registered.pages[i]]));
  const instance = (options) => {
    const page = { ...options, data: JSON.parse(JSON.stringify(options.data ?? {})) };
    page.setData = (patch) => Object.assign(page.data, patch);
    pageInstances.push(page);
    return page;
  };
  const open = instance(byRoute['pages/open/open']);
  open.onLoad({ q: encodeURIComponent('https://evil.example/s/AAAAAAAAAAAAAAAAAAAAAA') });
  out.openState = open.data.state;
  const share = instance(byRoute['pages/share/share']);
  share.onLoad({
    id: 'AAAAAAAAAAAAAAAAAAAAAA',
    url: encodeURIComponent('https://mifeng.example/s/AAAAAAAAAAAAAAAAAAAAAA'),
  });
  share.onReady();
  const until = Date.now() + 2000;
  while (!share.data.qrReady && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  out.qrReady = share.data.qrReady === true;
  out.qrCanvas = log.canvas
    ? { width: log.canvas.width, rects: log.canvas.ctx.rects, scaled: log.canvas.ctx.scaled }
    : null;

  return {
    ...out,
    promiseIsPolyfill: vm.runInContext('Promise === globalThis.__timerPromise', context),
    presentGlobals: present,
    codegen: vm.runInContext('__codegen.slice()', context),
    pagesRegistered: registered.pages.length,
    pagesListed: appJson.pages.length,
    componentsRegistered: registered.components,
    modulesLoaded: cache.size,
    libLoadMs,
    pagesLoadMs,
    firstSealMs,
    libLoadAndFirstSealMs: libLoadMs + firstSealMs,
    strengthLoadMs,
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [what, ...args] = process.argv.slice(2);
  let result;
  if (what === 'lib') {
    const [libPath, vectorsPath] = args;
    result = await runLibInWeChatRuntime(libPath, readFileSync(vectorsPath, 'utf8'));
  } else if (what === 'miniprogram') {
    const dist = args.find((a) => !a.startsWith('--'));
    result = await runMiniProgramInWeChatRuntime(dist ? resolve(dist) : DEFAULT_DIST, {
      iosPromise: args.includes('--ios-promise'),
    });
  } else {
    console.error('usage: wechat-vm.mjs lib <lib.js> <vectors.json> | miniprogram [dist] [--ios-promise]');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
