// Loads the BUILT mini program — the lib, app.js, every page and component — in a `vm` context
// shaped like WeChat's JavaScript runtime, and drives a little of it. Used in-process by
// tests/miniprogram/wechat-runtime.test.ts, and as a child under `node --jitless` (our stand-in for
// iOS, where WeChat runs JavaScript without a JIT) for the timing figures:
//
//   node --jitless tests/miniprogram/harness/wechat-vm.mjs [dist/miniprogram] [--ios-promise]   → JSON on stdout
//
// The context has no `crypto`, `window`, `self`, `process`, `Buffer`, `TextEncoder`, `global`, and
// code generation (eval, new Function, WebAssembly compilation) is switched off. Each file is wrapped
// the way WeChat wraps it, `(function (module, exports, require) {…})`, with a `require` that only
// resolves relative paths inside the package — no Node built-ins, no npm packages — and a `module`
// object without `module.require`.
import { webcrypto } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const HERE = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_DIST = resolve(HERE, '../../../dist/miniprogram');

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

function wxDouble(log) {
  const storage = new Map();
  const later = (fn) => setTimeout(fn, 1);
  return {
    getRandomValues({ length, success }) {
      later(() => success({ randomValues: webcrypto.getRandomValues(new Uint8Array(length)).buffer }));
    },
    getStorageSync: (key) => (storage.has(key) ? storage.get(key) : ''),
    setStorageSync: (key, value) => storage.set(key, value),
    removeStorageSync: (key) => storage.delete(key),
    setNavigationBarTitle() {},
    getWindowInfo: () => ({ pixelRatio: 3 }),
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

/** Builds the context, loads everything, runs the checks; resolves to a plain report object. */
export async function runMiniProgramInWeChatRuntime(dist = DEFAULT_DIST, options = {}) {
  const log = { canvas: null };
  const registered = { pages: [], components: 0, app: null };
  const pageInstances = [];
  const context = vm.createContext(
    {
      console,
      setTimeout,
      clearTimeout,
      setInterval,
      clearInterval,
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
    { codeGeneration: { strings: false, wasm: false } },
  );
  if (options.iosPromise) vm.runInContext(IOS_PROMISE, context);
  const presentGlobals = vm.runInContext(
    `['crypto', 'window', 'self', 'require', 'module', 'process', 'Buffer', 'TextEncoder', 'TextDecoder', 'atob', 'global']
      .filter((name) => typeof globalThis[name] !== 'undefined')`,
    context,
  );

  const cache = new Map();
  const loadTimes = {};
  function load(file) {
    if (cache.has(file)) return cache.get(file).exports;
    if (!file.startsWith(dist) || !existsSync(file))
      throw new Error(`require of a file outside the package: ${file}`);
    const started = performance.now();
    const source = readFileSync(file, 'utf8');
    const wrapper = new vm.Script(`(function (module, exports, require) {${source}\n})`, { filename: file });
    const module = vm.runInContext('({ exports: {} })', context);
    cache.set(file, module);
    const localRequire = (spec) => {
      if (!spec.startsWith('.'))
        throw new Error(`${relative(dist, file)} requires "${spec}": not a relative path`);
      const target = resolve(dirname(file), spec);
      return load(target.endsWith('.js') ? target : `${target}.js`);
    };
    wrapper.runInContext(context)(module, module.exports, localRequire);
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
    presentGlobals: [...presentGlobals],
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
  const args = process.argv.slice(2);
  const dist = args.find((a) => !a.startsWith('--'));
  const result = await runMiniProgramInWeChatRuntime(dist ? resolve(dist) : DEFAULT_DIST, {
    iosPromise: args.includes('--ios-promise'),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
