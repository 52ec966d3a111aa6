/**
 * `wx.createWorker` for the wx double: a real thread (node:worker_threads) that runs the BUILT
 * worker file from the package in a `vm` context shaped like WeChat's worker — a global `worker`
 * with onMessage/postMessage, no `wx`, no `require` beyond the workers folder, no code generation.
 * Messages cross as JSON text and are parsed inside that context, so the worker sees plain objects
 * of its own realm, as in WeChat. Each worker is recorded (path, options, messages both ways, whether
 * it was terminated) and can be killed the way iOS reclaims an experimental worker.
 *
 * An unhandled promise rejection is reported, not fatal, as in WeChat's worker (Node would end the
 * thread): sm-crypto-v2, bundled into the worker for SM4, tries at load to seed a random pool of its
 * own that we never draw from, and finds neither `wx` nor `crypto` there.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** One worker the page code created. */
export interface WorkerRecord {
  path: string;
  options: Record<string, unknown> | undefined;
  /** What the page posted, and what the worker posted back, in order. */
  sent: unknown[];
  received: unknown[];
  terminated: boolean;
  /** Unhandled promise rejections inside the worker, as text. */
  unhandled: string[];
  /** Ends the thread and fires onProcessKilled, as iOS does when it reclaims the worker. */
  kill(): void;
}

/** The thread's bootstrap (CommonJS, evaluated by worker_threads). */
const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
process.on('unhandledRejection', (reason) => parentPort.postMessage({ unhandled: String(reason) }));
const { readFileSync } = require('node:fs');
const { dirname, resolve, sep } = require('node:path');
const vm = require('node:vm');
const context = vm.createContext(
  { console, setTimeout, clearTimeout, __post: (text) => parentPort.postMessage(text) },
  { codeGeneration: { strings: false, wasm: false } },
);
vm.runInContext(\`
  globalThis.__listeners = [];
  globalThis.worker = {
    onMessage(listener) { __listeners.push(listener); },
    postMessage(message) { __post(JSON.stringify(message)); },
  };
\`, context);
const deliver = vm.runInContext(
  '(text) => { const message = JSON.parse(text); for (const listener of __listeners) listener(message); }',
  context,
);
const workersRoot = workerData.workersRoot + sep;
function load(file) {
  if (!file.startsWith(workersRoot)) throw new Error('a worker may only require files in its folder: ' + file);
  const module = vm.runInContext('({ exports: {} })', context);
  const wrapper = new vm.Script('(function (module, exports, require) {' + readFileSync(file, 'utf8') + '\\n})', { filename: file });
  wrapper.runInContext(context)(module, module.exports, (spec) => load(resolve(dirname(file), spec)));
  return module.exports;
}
load(workerData.file);
parentPort.on('message', (text) => deliver(text));
`;

type Listener = (message: unknown) => void;

/** Creates the worker for `scriptPath` (relative to `packageRoot`, as WeChat takes it). */
export function createWorkerDouble(
  packageRoot: string,
  scriptPath: string,
  options: Record<string, unknown> | undefined,
  records: WorkerRecord[],
  /**
   * Reclaim the worker right after it has posted this many messages (0: as soon as it is handed its
   * job, for a job that posts nothing before its answer; null: never).
   */
  reclaimAfter: number | null = null,
): WechatWorkerDouble {
  if (scriptPath.startsWith('/')) throw new Error('wx.createWorker: scriptPath must not start with /');
  if (records.some((r) => !r.terminated)) {
    throw new Error('wx.createWorker: only one worker at a time; terminate the running one first');
  }
  const thread = new Worker(BOOTSTRAP, {
    eval: true,
    workerData: { file: join(packageRoot, scriptPath), workersRoot: join(packageRoot, 'workers') },
  });
  thread.unref();
  const messageListeners: Listener[] = [];
  const killedListeners: (() => void)[] = [];
  const record: WorkerRecord = {
    path: scriptPath,
    options,
    sent: [],
    received: [],
    terminated: false,
    unhandled: [],
    kill() {
      if (record.terminated) return;
      record.terminated = true;
      void thread.terminate();
      setTimeout(() => {
        for (const listener of killedListeners) listener();
      }, 0);
    },
  };
  records.push(record);
  thread.on('message', (text: string | { unhandled: string }) => {
    if (typeof text !== 'string') {
      record.unhandled.push(text.unhandled);
      return;
    }
    if (record.terminated) return;
    const message = JSON.parse(text) as unknown;
    record.received.push(message);
    for (const listener of messageListeners) listener(message);
    if (record.received.length === reclaimAfter) record.kill();
  });
  thread.on('error', (err) => {
    record.received.push({ threadError: String(err) });
  });
  return {
    postMessage(message: unknown) {
      if (record.terminated) throw new Error('postMessage on a terminated worker');
      record.sent.push(message);
      thread.postMessage(JSON.stringify(message));
      if (reclaimAfter === 0) record.kill();
    },
    onMessage(listener: Listener) {
      messageListeners.push(listener);
    },
    onProcessKilled(listener: () => void) {
      killedListeners.push(listener);
    },
    terminate() {
      if (record.terminated) return;
      record.terminated = true;
      void thread.terminate();
    },
  };
}

export interface WechatWorkerDouble {
  postMessage(message: unknown): void;
  onMessage(listener: Listener): void;
  onProcessKilled(listener: () => void): void;
  terminate(): void;
}
