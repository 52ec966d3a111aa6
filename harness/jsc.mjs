// JavaScriptCore's shell, `jsc`: WeChat's engine on iOS, where mini programs run without a JIT
// (`jsc --useJIT=false`). Debian ships it in libjavascriptcoregtk-4.0-bin.
import { existsSync } from 'node:fs';

const CANDIDATES = ['/usr/bin/jsc', '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.0/jsc'];

/** The path of `jsc`, or null when it is not installed. */
export function findJsc() {
  return CANDIDATES.find((path) => existsSync(path)) ?? null;
}

/**
 * A jsc script: the key worker (workers/kdf/index.js, arguments[0]) in a fresh context with the
 * global `worker` WeChat gives it, answering one request (JSON, arguments[1]). Prints
 * `{ ms, replies }`: the time from loading the worker to its last reply, and the replies.
 */
export const KEY_WORKER_PROBE = `
var listeners = [];
var replies = [];
var worker = {
  onMessage: function (listener) { listeners.push(listener); },
  postMessage: function (message) { replies.push(JSON.parse(JSON.stringify(message))); },
};
var t = preciseTime();
load(arguments[0]);
var request = JSON.parse(arguments[1]);
listeners.forEach(function (listener) { listener(request); });
print(JSON.stringify({ ms: (preciseTime() - t) * 1000, replies: replies }));
`;
