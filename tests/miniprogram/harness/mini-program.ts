/**
 * Runs the BUILT mini program (dist/miniprogram) in Node: jsdom 29 provides the DOM,
 * miniprogram-simulate (j-component) renders WXML and runs page code, and each `Phone` is one
 * device with its own `wx` double and its own copy of every module (so A's unlocked key is not B's).
 *
 * miniprogram-simulate renders components only; `Page(options)` is registered here as a component
 * whose methods are the page's functions, and the harness calls the page lifecycle (onLoad with
 * the query, onShow, onReady) the way WeChat does.
 */
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { createWx, createWxState, type WxState } from './wx-double';

const require = createRequire(import.meta.url);
/** jsdom ships no types and we need only its constructor and window. */
const { JSDOM } = require('jsdom') as {
  JSDOM: new (html: string, options?: Record<string, unknown>) => { window: unknown };
};

/** What the harness reads from a rendered DOM element. */
export interface DomElement {
  textContent: string | null;
  outerHTML: string;
}
export const ROOT = resolve(import.meta.dirname, '../../..');
/**
 * This test process's own build of the mini program (see harness/build.ts): test files run in
 * parallel processes, and none may read another's half-written build, nor dist/ while
 * `npm run build` rewrites it.
 */
export const DIST = join(ROOT, 'test-artifacts', `miniprogram-${process.pid}`, 'miniprogram');

type Simulate = {
  load(path: string, options: Record<string, unknown>): string;
  render(id: string, props?: Record<string, unknown>): SimComponent;
};

export interface SimElement {
  dom: DomElement;
  dispatchEvent(name: string, options?: Record<string, unknown>): void;
  querySelector(selector: string): SimElement | null;
  querySelectorAll(selector: string): SimElement[];
}

export interface SimComponent extends SimElement {
  instance: PageInstance;
  attach(parent: unknown): void;
  detach(): void;
}

export type PageInstance = Record<string, unknown> & {
  data: Record<string, unknown>;
  setData(data: Record<string, unknown>): void;
};

const g = globalThis as Record<string, unknown>;
let simulate: Simulate | null = null;
let appOptions: Record<string, (...args: unknown[]) => unknown> | null = null;

/** Sets up jsdom and miniprogram-simulate once per process. */
export function setupSimulator(): Simulate {
  if (simulate) return simulate;
  const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', {
    pretendToBeVisual: true,
  });
  const win = dom.window as unknown as Record<string, unknown>;
  g.window = dom.window;
  for (const name of [
    'document',
    'Event',
    'CustomEvent',
    'Element',
    'HTMLElement',
    'Node',
    'MutationObserver',
  ]) {
    g[name] = win[name];
  }
  g.wx = {};
  simulate = require('miniprogram-simulate') as Simulate;
  const registerComponent = g.Component as (options: Record<string, unknown>) => void;
  g.Page = (options: Record<string, unknown>) => {
    const methods: Record<string, unknown> = {};
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(options)) {
      if (key === 'data') continue;
      if (typeof value === 'function') methods[key] = value;
      else fields[key] = value;
    }
    registerComponent({
      data: options.data ?? {},
      methods,
      lifetimes: {
        created(this: Record<string, unknown>) {
          Object.assign(this, fields);
        },
      },
    });
  };
  g.App = (options: Record<string, (...args: unknown[]) => unknown>) => {
    appOptions = options;
  };
  g.getApp = () => appOptions ?? {};
  return simulate;
}

function distModuleKeys(): string[] {
  return Object.keys(require.cache).filter((key) => key.startsWith(DIST));
}

let activePhone: Phone | null = null;

/** A page rendered by the simulator, with helpers to drive it like a person would. */
export class PageHandle {
  constructor(
    readonly path: string,
    readonly component: SimComponent,
    readonly phone: Phone,
  ) {}

  get instance(): PageInstance {
    return this.component.instance;
  }

  get data(): Record<string, unknown> {
    return this.component.instance.data;
  }

  $(selector: string): SimElement | null {
    return this.component.querySelector(selector);
  }

  $$(selector: string): SimElement[] {
    return this.component.querySelectorAll(selector);
  }

  private must(selector: string): SimElement {
    const el = this.$(selector);
    if (!el) throw new Error(`${this.path}: no element matches ${selector}\n${this.html()}`);
    return el;
  }

  /** Taps an element; resolves once the event was delivered (j-component delivers asynchronously). */
  tap(selector: string): Promise<void> {
    return this.fire(selector, 'tap', {});
  }

  /** Types `value` into an input or textarea. */
  input(selector: string, value: string): Promise<void> {
    return this.fire(selector, 'input', { value });
  }

  /** Fires a component event such as `change` (pickers) or `getphonenumber`. */
  async fire(selector: string, event: string, detail: Record<string, unknown>): Promise<void> {
    this.phone.activate();
    this.must(selector).dispatchEvent(event, { detail });
    await new Promise((r) => setTimeout(r, 1));
    this.phone.activate();
  }

  /** Calls a page method (lifecycle or handler) with this phone active. */
  call(method: string, ...args: unknown[]): unknown {
    this.phone.activate();
    const fn = this.instance[method];
    if (typeof fn !== 'function') throw new Error(`${this.path} has no method ${method}`);
    return (fn as (...a: unknown[]) => unknown).apply(this.instance, args);
  }

  text(selector?: string): string {
    const el = selector ? this.must(selector).dom : this.component.dom;
    return (el.textContent ?? '').replace(/\s+/g, ' ').trim();
  }

  html(): string {
    return this.component.dom.outerHTML;
  }

  /** Polls until `predicate` holds (keeping this phone active), or fails after `timeout` ms. */
  async waitFor(predicate: () => boolean, what: string, timeout = 20_000): Promise<void> {
    const started = Date.now();
    while (!predicate()) {
      if (Date.now() - started > timeout) {
        throw new Error(
          `${this.path}: timed out waiting for ${what}; data = ${JSON.stringify({ ...this.data, t: undefined }).slice(0, 1500)}`,
        );
      }
      this.phone.activate();
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  unload(): void {
    this.phone.activate();
    if (typeof this.instance.onUnload === 'function') this.call('onUnload');
    this.component.detach();
    const stack = this.phone.state.pageStack;
    const at = stack.indexOf(this.instance);
    if (at >= 0) stack.splice(at, 1);
  }
}

export interface PhoneOptions {
  apiBaseUrl: string;
  publicUrl: string;
  loginMode?: 'wechat' | 'dev';
  /** PBKDF2 iterations for new backups; tests use the protocol minimum. */
  backupIterations?: number | null;
  /** Storage to start from (the same account on a "restarted" app). */
  storage?: Map<string, unknown>;
  /** How long the app may stay in the background before the key is dropped. */
  backgroundLockMs?: number;
}

/** One simulated device. */
export class Phone {
  readonly state: WxState = createWxState();
  readonly wx: Record<string, unknown>;
  private modules = new Map<string, NodeJS.Module>();
  private launched = false;
  /** What this phone's app.js passed to App(). */
  private app: Record<string, (...args: unknown[]) => unknown> | null = null;

  constructor(readonly options: PhoneOptions) {
    this.state.packageRoot = DIST;
    this.wx = createWx(this.state);
    if (options.storage) for (const [k, v] of options.storage) this.state.storage.set(k, structuredClone(v));
  }

  /** Makes this phone the one whose `wx` and modules page code sees. */
  activate(): void {
    setupSimulator();
    g.wx = this.wx;
    g.getCurrentPages = () => this.state.pageStack;
    if (activePhone === this) return;
    if (activePhone) {
      const saved = new Map<string, NodeJS.Module>();
      for (const key of distModuleKeys()) saved.set(key, require.cache[key]!);
      activePhone.modules = saved;
    }
    for (const key of distModuleKeys()) delete require.cache[key];
    for (const [key, mod] of this.modules) require.cache[key] = mod;
    activePhone = this;
    this.configure();
  }

  private configure(): void {
    const { config } = require(join(DIST, 'config.js')) as { config: Record<string, unknown> };
    config.apiBaseUrl = this.options.apiBaseUrl;
    config.publicUrl = this.options.publicUrl;
    config.loginMode = this.options.loginMode ?? 'dev';
    config.backupIterations =
      this.options.backupIterations === undefined ? 10_000 : this.options.backupIterations;
    if (this.options.backgroundLockMs !== undefined) config.backgroundLockMs = this.options.backgroundLockMs;
  }

  /** Runs app.js and its onLaunch/onShow, as WeChat does when the mini program starts. */
  launch(): void {
    this.activate();
    if (this.launched) return;
    this.launched = true;
    appOptions = null;
    require(join(DIST, 'app.js'));
    const app = appOptions as Record<string, (...args: unknown[]) => unknown> | null;
    this.app = app;
    app?.onLaunch?.call(app, { path: 'pages/inbox/inbox', query: {} });
    app?.onShow?.call(app, {});
  }

  /** App lifecycle: the mini program goes to the background / comes back. */
  appHide(): void {
    this.launch();
    this.app?.onHide?.call(this.app);
  }

  appShow(): void {
    this.launch();
    this.app?.onShow?.call(this.app, {});
  }

  /**
   * Loads a page from dist/miniprogram and runs onLoad(query), onShow, onReady. `url` is a page
   * path (`/pages/open/open`) with an optional query string, as in a navigation.
   */
  open(url: string, query: Record<string, string> = {}): PageHandle {
    this.launch();
    const [path, search] = url.split('?') as [string, string | undefined];
    const fullQuery: Record<string, string> = { ...query };
    // WeChat hands the query values over as they appear in the URL (not decoded).
    for (const part of (search ?? '').split('&').filter(Boolean)) {
      const eq = part.indexOf('=');
      fullQuery[eq < 0 ? part : part.slice(0, eq)] = eq < 0 ? '' : part.slice(eq + 1);
    }
    const sim = setupSimulator();
    const id = sim.load(join(DIST, path.replace(/^\//, '')), { rootPath: DIST, compiler: 'simulate' });
    const component = sim.render(id);
    const parent = (g.document as { createElement(tag: string): unknown }).createElement('div');
    component.attach(parent);
    const page = new PageHandle(path, component, this);
    this.state.pageStack.push(page.instance);
    const run = (name: string, ...args: unknown[]) => {
      if (typeof page.instance[name] === 'function') page.call(name, ...args);
    };
    run('onLoad', fullQuery);
    run('onShow');
    run('onReady');
    return page;
  }

  /** Requires a built module of this phone (e.g. `services/letters/index.js`), for service tests. */
  module<T = Record<string, unknown>>(path: string): T {
    this.activate();
    return require(join(DIST, path)) as T;
  }

  /** The last navigation the pages asked for. */
  lastNavigation() {
    return this.state.navigations.at(-1);
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
