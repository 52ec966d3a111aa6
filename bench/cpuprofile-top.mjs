#!/usr/bin/env node
/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`) by self time: the top functions and the
 * top packages/files, as a share of all samples. `node bench/cpuprofile-top.mjs <file> [n]`.
 */
import { readFileSync } from 'node:fs';

const [file, n = '30'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/cpuprofile-top.mjs <file.cpuprofile> [n]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
// Only the last `BUSY_SECONDS` (environment, default: all) — the timed run, not start-up.
const busy = Number(process.env.BUSY_SECONDS ?? 0);
const times = [];
let t = profile.startTime;
for (const delta of profile.timeDeltas) {
  t += delta;
  times.push(t);
}
const from = busy ? profile.endTime - busy * 1e6 : 0;
const hits = new Map();
let total = 0;
profile.samples.forEach((id, i) => {
  if (times[i] < from) return;
  hits.set(id, (hits.get(id) ?? 0) + 1);
  total += 1;
});

/** node_modules/<pkg> (or node:internal, or the project file) a frame belongs to. */
function where(url) {
  if (!url) return '(native/vm)';
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) return m[1];
  if (url.startsWith('node:')) return 'node:internal';
  return url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
}

const fns = new Map();
const places = new Map();
for (const [id, count] of hits) {
  const { callFrame: f } = byId.get(id);
  const fn = `${f.functionName || '(anonymous)'}  ${where(f.url)}:${f.lineNumber + 1}`;
  fns.set(fn, (fns.get(fn) ?? 0) + count);
  const place = where(f.url);
  places.set(place, (places.get(place) ?? 0) + count);
}
const pct = (c) => `${((100 * c) / total).toFixed(1).padStart(5)} %`;
const seconds = (profile.endTime - profile.startTime) / 1e6;
console.log(`${file}: ${total} samples over ${seconds.toFixed(1)} s`);
console.log('\nself time by function:');
for (const [fn, c] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, Number(n)))
  console.log(`${pct(c)}  ${fn}`);
// Who calls the top native frames (writev, GC, …): the first JS frame above them.
const callers = new Map();
for (const [id, count] of hits) {
  const { callFrame: f } = byId.get(id);
  if (f.url) continue;
  let up = parent.get(id);
  const chain = [];
  while (up !== undefined && chain.length < 4) {
    const cf = byId.get(up).callFrame;
    if (cf.url && !cf.url.startsWith('node:')) {
      chain.push(`${cf.functionName || '(anon)'}@${where(cf.url)}`);
    }
    up = parent.get(up);
  }
  const key = `${f.functionName} <- ${chain.join(' <- ') || '(none)'}`;
  callers.set(key, (callers.get(key) ?? 0) + count);
}
console.log('\nnative frames by caller chain:');
for (const [k, c] of [...callers].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${pct(c)}  ${k}`);
console.log('\nself time by package / file:');
for (const [p, c] of [...places].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`${pct(c)}  ${p}`);
