/**
 * A `wx` double for one simulated phone. Storage, navigation, dialogs and the canvas are kept in
 * memory and recorded for assertions; `wx.request` performs REAL HTTP against the server under test
 * (Node's fetch), `wx.getRandomValues` draws from Node's CSPRNG, and `wx.createWorker` runs the
 * built worker file in a real thread (worker-double.ts). Every callback is delivered
 * asynchronously, as WeChat does.
 */
import { webcrypto } from 'node:crypto';
import { RasterCanvas } from './raster-canvas';
import { createWorkerDouble, type WorkerRecord } from './worker-double';

type Callbacks = {
  success?: (res: unknown) => void;
  fail?: (err: { errMsg: string }) => void;
  complete?: (res: unknown) => void;
};
type AnyOptions = Record<string, unknown> & Callbacks;

/** wx.showModal's longest button text ("最多 4 个字符" in its documentation). */
const MODAL_BUTTON_MAX = 4;

function later(fn: () => void): void {
  setTimeout(fn, 0);
}

function ok(options: AnyOptions | undefined, res: Record<string, unknown> = {}): void {
  later(() => {
    options?.success?.({ errMsg: 'ok', ...res });
    options?.complete?.({ errMsg: 'ok', ...res });
  });
}

function fail(options: AnyOptions | undefined, errMsg: string, errno?: number): void {
  const res = errno === undefined ? { errMsg } : { errMsg, errno };
  later(() => {
    options?.fail?.(res);
    options?.complete?.(res);
  });
}

/** The answer a page's privacy popup gives to WeChat's onNeedPrivacyAuthorization resolve. */
type PrivacyResolve = (answer: { event: string; buttonId?: string }) => void;

export interface Navigation {
  type: 'navigateTo' | 'redirectTo' | 'reLaunch' | 'switchTab' | 'navigateBack';
  url: string;
}

export interface WxState {
  storage: Map<string, unknown>;
  navigations: Navigation[];
  toasts: string[];
  modals: { title?: string; content?: string }[];
  /** Answers for upcoming showModal calls (true = confirm); default confirm. */
  modalAnswers: boolean[];
  clipboard: string | null;
  canvases: Map<string, RasterCanvas>;
  /** Time spent waiting for HTTP answers, to subtract network from timings. */
  networkMs: number;
  requests: { method: string; url: string; status: number }[];
  /** The title of the loading toast on screen (wx.showLoading until wx.hideLoading), or null. */
  loading: string | null;
  albumDenied: boolean;
  albumSaved: string[];
  settingsOpened: number;
  scanResult: string | null;
  visualEffect: string | null;
  captureListeners: (() => void)[];
  /** The page stack as getCurrentPages() reports it (the harness pushes and pops). */
  pageStack: unknown[];
  /** Tab bar labels set by wx.setTabBarItem, by index. */
  tabBar: string[];
  /** wx.login codes to hand out (fake WeChat server); null = no WeChat login. */
  nextLoginCode: (() => Promise<string>) | null;
  /**
   * The person's standing with the privacy guide: `agreed` (privacy APIs run), `unasked` (the next
   * one pauses and fires onNeedPrivacyAuthorization), or `undeclared` (the operator's guide lacks
   * the APIs: they fail with errno 112).
   */
  privacy: 'agreed' | 'unasked' | 'undeclared';
  /** The app's onNeedPrivacyAuthorization listener. */
  privacyListener: ((resolve: PrivacyResolve, eventInfo: { referrer: string }) => void) | null;
  /** Every resolve() answer the app gave, in order (exposure, agree, disagree). */
  privacyAnswers: string[];
  privacyContractOpened: number;
  /** The built package the workers load from (set by the harness); null = no wx.createWorker. */
  packageRoot: string | null;
  /** false: this WeChat has no wx.createWorker (an old base library), as if packageRoot were null. */
  workerApi: boolean;
  /** Every worker created, in order. */
  workers: WorkerRecord[];
  /** iOS reclaims each worker right after it posted this many messages (0: once handed its job; null: never). */
  reclaimWorkerAfter: number | null;
  /** Each canvas turned into an image (canvasToTempFilePath), in order. */
  exported: RasterCanvas[];
  /** The base library this WeChat runs (`SDKVersion`). */
  sdkVersion: string;
  /** wx.getUpdateManager(): the app's listeners, and how often it applied an update. */
  update: { ready: (() => void)[]; failed: (() => void)[]; applied: number };
  /** wx.hideHomeButton was called on the page on screen. */
  homeButtonHidden: boolean;
  /** Every wx.requestSubscribeMessage, with the template ids asked for. */
  subscribeRequests: string[][];
  /** What the person answers for each template in the next requests (default `accept`). */
  subscribeAnswer: 'accept' | 'reject';
}

/**
 * WeChat's gate in front of a privacy-scoped API: runs `call` when the person agreed, asks the
 * app's listener otherwise (and remembers an agreement), and fails the way WeChat does on a refusal.
 */
export function privacyGate(state: WxState, api: string, o: AnyOptions | undefined, call: () => void): void {
  const listener = state.privacyListener;
  if (state.privacy === 'undeclared') {
    fail(o, `${api}:fail api scope is not declared in the privacy agreement`, 112);
  } else if (state.privacy === 'agreed') {
    call();
  } else if (!listener) {
    fail(o, `${api}:fail privacy permission is not authorized`, 104);
  } else {
    listener(
      (answer) => {
        state.privacyAnswers.push(answer.event);
        if (answer.event === 'exposureAuthorization') return;
        if (answer.event === 'agree' && answer.buttonId) {
          state.privacy = 'agreed';
          call();
        } else {
          fail(o, `${api}:fail privacy permission is not authorized`, 104);
        }
      },
      { referrer: api },
    );
  }
}

export function createWxState(): WxState {
  return {
    storage: new Map(),
    navigations: [],
    toasts: [],
    modals: [],
    modalAnswers: [],
    subscribeRequests: [],
    subscribeAnswer: 'accept',
    clipboard: null,
    canvases: new Map(),
    networkMs: 0,
    requests: [],
    loading: null,
    albumDenied: false,
    albumSaved: [],
    settingsOpened: 0,
    scanResult: null,
    visualEffect: null,
    captureListeners: [],
    pageStack: [],
    tabBar: [],
    nextLoginCode: null,
    privacy: 'agreed',
    privacyListener: null,
    privacyAnswers: [],
    privacyContractOpened: 0,
    packageRoot: null,
    workerApi: true,
    workers: [],
    reclaimWorkerAfter: null,
    exported: [],
    sdkVersion: '3.3.0',
    update: { ready: [], failed: [], applied: 0 },
    homeButtonHidden: false,
  };
}

class SelectorQueryDouble {
  private selector = '';
  constructor(private readonly state: WxState) {}
  in(): this {
    return this;
  }
  select(selector: string): this {
    this.selector = selector;
    return this;
  }
  fields(): this {
    return this;
  }
  exec(callback: (res: unknown[]) => void): void {
    let canvas = this.state.canvases.get(this.selector);
    if (!canvas) {
      canvas = new RasterCanvas();
      this.state.canvases.set(this.selector, canvas);
    }
    const node = canvas;
    later(() => callback([{ node, width: 240, height: 240 }]));
  }
}

export function createWx(state: WxState): Record<string, unknown> {
  const wx = {
    // Storage
    getStorageSync: (key: string) => (state.storage.has(key) ? structuredClone(state.storage.get(key)) : ''),
    setStorageSync: (key: string, value: unknown) => void state.storage.set(key, structuredClone(value)),
    removeStorageSync: (key: string) => void state.storage.delete(key),
    clearStorageSync: () => state.storage.clear(),

    // Network: real HTTP
    request(options: AnyOptions) {
      const method = String(options.method ?? 'GET');
      const url = String(options.url);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        ...((options.header as Record<string, string>) ?? {}),
      };
      const body = method === 'GET' || options.data === undefined ? undefined : JSON.stringify(options.data);
      const started = performance.now();
      fetch(url, { method, headers, body })
        .then(async (res) => {
          const text = await res.text();
          state.networkMs += performance.now() - started;
          state.requests.push({ method, url, status: res.status });
          let data: unknown = text;
          // As WeChat: only dataType json (the default) is parsed; any other value gives the text.
          if (options.dataType === undefined || options.dataType === 'json') {
            try {
              data = text ? JSON.parse(text) : '';
            } catch {
              data = text;
            }
          }
          ok(options, { statusCode: res.status, data, header: Object.fromEntries(res.headers) });
        })
        .catch((err: Error) => {
          state.networkMs += performance.now() - started;
          fail(options, `request:fail ${err.message}`);
        });
    },

    // Randomness and login
    getRandomValues(options: AnyOptions & { length: number }) {
      const bytes = webcrypto.getRandomValues(new Uint8Array(options.length));
      ok(options, { randomValues: bytes.buffer });
    },
    login(options: AnyOptions) {
      if (!state.nextLoginCode) return fail(options, 'login:fail no WeChat in this test');
      state.nextLoginCode().then(
        (code) => ok(options, { code }),
        () => fail(options, 'login:fail'),
      );
    },

    // Navigation (recorded; the harness loads pages itself)
    navigateTo: (o: AnyOptions) => {
      state.navigations.push({ type: 'navigateTo', url: String(o.url) });
      ok(o);
    },
    redirectTo: (o: AnyOptions) => {
      state.navigations.push({ type: 'redirectTo', url: String(o.url) });
      ok(o);
    },
    reLaunch: (o: AnyOptions) => {
      state.navigations.push({ type: 'reLaunch', url: String(o.url) });
      ok(o);
    },
    switchTab: (o: AnyOptions) => {
      state.navigations.push({ type: 'switchTab', url: String(o.url) });
      ok(o);
    },
    navigateBack: (o: AnyOptions) => {
      state.navigations.push({ type: 'navigateBack', url: '' });
      ok(o);
    },
    setNavigationBarTitle: (o: AnyOptions) => ok(o),
    hideHomeButton: (o?: AnyOptions) => {
      state.homeButtonHidden = true;
      ok(o);
    },
    setTabBarItem: (o: AnyOptions) => {
      state.tabBar[Number(o.index)] = String(o.text);
      ok(o);
    },
    stopPullDownRefresh: () => {},

    // Feedback
    showToast: (o: AnyOptions) => {
      state.toasts.push(String(o.title));
      ok(o);
    },
    showLoading: (o: AnyOptions) => {
      state.loading = String(o.title);
      ok(o);
    },
    hideLoading: () => {
      state.loading = null;
    },
    showModal(o: AnyOptions) {
      // WeChat shows no modal at all when a button's text is over 4 characters, and says so only here.
      for (const key of ['confirmText', 'cancelText'] as const) {
        const text = o[key];
        if (typeof text === 'string' && Array.from(text).length > MODAL_BUTTON_MAX) {
          return fail(o, `showModal:fail ${key} length should not larger than 4 Chinese characters`);
        }
      }
      state.modals.push({ title: o.title as string, content: o.content as string });
      const confirm = state.modalAnswers.length ? state.modalAnswers.shift()! : true;
      ok(o, { confirm, cancel: !confirm });
    },

    // Subscription messages: answers `{[tmplId]: 'accept' | 'reject'}` as WeChat does.
    requestSubscribeMessage(o: AnyOptions) {
      const ids = o.tmplIds as string[];
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > 3) {
        return fail(o, 'requestSubscribeMessage:fail invalid tmplIds');
      }
      state.subscribeRequests.push(ids);
      ok(o, Object.fromEntries(ids.map((id) => [id, state.subscribeAnswer])));
    },

    // Canvas, album, clipboard, scanner, screen capture
    createSelectorQuery: () => new SelectorQueryDouble(state),
    getWindowInfo: () => ({ pixelRatio: 2, windowWidth: 375, windowHeight: 812 }),
    getSystemInfoSync: () => ({
      pixelRatio: 2,
      windowWidth: 375,
      windowHeight: 812,
      SDKVersion: state.sdkVersion,
    }),
    getAppBaseInfo: () => ({ SDKVersion: state.sdkVersion, language: 'zh_CN', theme: 'light' }),

    // New versions: the test fires the listeners (WeChat downloads in the background)
    getUpdateManager: () => ({
      onCheckForUpdate: () => {},
      onUpdateReady: (listener: () => void) => void state.update.ready.push(listener),
      onUpdateFailed: (listener: () => void) => void state.update.failed.push(listener),
      applyUpdate: () => {
        state.update.applied++;
      },
    }),
    canvasToTempFilePath: (o: AnyOptions) => {
      state.exported.push(o.canvas as RasterCanvas);
      ok(o, { tempFilePath: `http://tmp/canvas-${state.exported.length}.png` });
    },
    saveImageToPhotosAlbum(o: AnyOptions) {
      privacyGate(state, 'saveImageToPhotosAlbum', o, () => {
        if (state.albumDenied) return fail(o, 'saveImageToPhotosAlbum:fail auth deny');
        state.albumSaved.push(String(o.filePath));
        ok(o);
      });
    },
    openSetting: (o: AnyOptions) => {
      state.settingsOpened++;
      ok(o, { authSetting: {} });
    },
    setClipboardData: (o: AnyOptions) =>
      privacyGate(state, 'setClipboardData', o, () => {
        state.clipboard = String(o.data);
        ok(o);
      }),

    // The privacy guide
    onNeedPrivacyAuthorization: (listener: WxState['privacyListener']) => {
      state.privacyListener = listener;
    },
    getPrivacySetting: (o: AnyOptions) =>
      ok(o, { needAuthorization: state.privacy !== 'agreed', privacyContractName: '《密封隐私保护指引》' }),
    openPrivacyContract: (o: AnyOptions) => {
      state.privacyContractOpened++;
      ok(o);
    },
    scanCode(o: AnyOptions) {
      if (state.scanResult === null) return fail(o, 'scanCode:fail cancel');
      ok(o, { result: state.scanResult, scanType: 'QR_CODE' });
    },
    setVisualEffectOnCapture: (o: AnyOptions) => {
      state.visualEffect = String(o.visualEffect);
      ok(o);
    },
    onUserCaptureScreen: (listener: () => void) => void state.captureListeners.push(listener),
    offUserCaptureScreen: (listener?: () => void) => {
      state.captureListeners = listener ? state.captureListeners.filter((l) => l !== listener) : [];
    },
  };
  // Present or absent as the test chooses, like the API on new and old base libraries.
  Object.defineProperty(wx, 'createWorker', {
    enumerable: true,
    get: () =>
      state.workerApi && state.packageRoot
        ? (path: string, options?: Record<string, unknown>) =>
            createWorkerDouble(state.packageRoot!, path, options, state.workers, state.reclaimWorkerAfter)
        : undefined,
  });
  return wx;
}
