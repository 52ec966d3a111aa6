/**
 * `npm run bench:log-client`: what the phone's log checks add to compose and open, in CPU time
 * (shared/transparency/client.ts, the functions the mini program's services/transparency runs):
 *
 * - head        verifying a signed tree head (one SM2 signature): once per new head and run
 * - inclusion   a key's inclusion proof in a log of 1 000 000 leaves (20 hashes): once per key
 * - consistency the proof between the kept head and a new one (about 20 hashes): once per new head
 *
 * The network cost is one request: the consistency proof, when the log grew since the kept head
 * (lookups and letters carry their inclusion proofs and heads). Median / p99 in ms over
 * BENCH_SAMPLES runs (default 200), in Node; the phone's engine is slower (docs/transparency.md §12).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { setRandomSource, sm2GenerateKeyPair } from '../shared/crypto';
import { base64urlEncode } from '../shared/encoding';
import { generateIdentity, keyId } from '../shared/protocol';
import {
  checkHeadConsistency,
  checkKeyInclusion,
  consistencyRanges,
  encodeLeaf,
  type LogLeaf,
  leafHash,
  nodeHash,
  signTreeHead,
  verifyTreeHead,
} from '../shared/transparency';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const SIZE = 1 << 20;
const random = (n: number) => new Uint8Array(randomBytes(n));
setRandomSource(random);

function time(fn: () => unknown): { median: number; p99: number } {
  const runs: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const started = performance.now();
    if (!fn()) throw new Error('a check failed');
    runs.push(performance.now() - started);
  }
  runs.sort((x, y) => x - y);
  return { median: runs[Math.floor(runs.length / 2)]!, p99: runs[Math.floor(runs.length * 0.99)]! };
}

const log = sm2GenerateKeyPair(random);
const user = generateIdentity(base64urlEncode(random(16)));
const leaf: LogLeaf = {
  userId: user.user,
  publicKey: base64urlEncode(user.publicKey),
  keyId: keyId(user.publicKey),
  kind: 'register',
  time: new Date().toISOString(),
};
// Leaf 0 of a perfect tree of 2^20 leaves: always the left child, so the root folds its path.
const path = Array.from({ length: 20 }, () => random(32));
const root = path.reduce((r, p) => nodeHash(r, p), leafHash(encodeLeaf(leaf)));
const head = signTreeHead(log, { size: SIZE, root, time: new Date() }, random);
const inclusion = { index: 0, leaf, proof: path.map(base64urlEncode) };

// The kept head: the first 2^20 − 1 000 leaves of a log now 2^20 long. Its proof's ranges, with the
// hashes of a made-up tree whose roots are computed the RFC 9162 way from them.
const first = SIZE - 1000;
const ranges = consistencyRanges(first, SIZE);
const hashes = new Map(ranges.map((r) => [`${r.start}-${r.end}`, random(32)]));
function mthOf(start: number, end: number): Uint8Array {
  const known = hashes.get(`${start}-${end}`);
  if (known) return known;
  let k = 1;
  while (k * 2 < end - start) k *= 2;
  return nodeHash(mthOf(start, start + k), mthOf(start + k, end));
}
const kept = signTreeHead(log, { size: first, root: mthOf(0, first), time: new Date() }, random);
const grown = signTreeHead(log, { size: SIZE, root: mthOf(0, SIZE), time: new Date() }, random);
const proof = ranges.map((r) => base64urlEncode(hashes.get(`${r.start}-${r.end}`)!));

const rows = [
  ['verify head (SM2)', time(() => verifyTreeHead(log.publicKey, head))],
  [
    'key inclusion, 1 000 000 leaves',
    time(() => checkKeyInclusion(head, inclusion, { user: user.user, publicKey: leaf.publicKey })),
  ],
  ['head consistency, 1 000 000 leaves', time(() => checkHeadConsistency(kept, grown, proof))],
] as const;
console.log(
  `load average before: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}; ${SAMPLES} samples`,
);
console.log('| check | median ms | p99 ms |\n| --- | --- | --- |');
for (const [name, { median, p99 }] of rows)
  console.log(`| ${name} | ${median.toFixed(2)} | ${p99.toFixed(2)} |`);
