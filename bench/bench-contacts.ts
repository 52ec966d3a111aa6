// `npm run bench:contacts`: what trust in keys adds to compose and open, beside the letter work it
// guards. Medians, on V8 with its JIT and under `node --jitless` (the closest Node gets to iOS
// WeChat's interpreter), of: opening a letter (2 KiB, one recipient and the sender) and sealing one,
// the baselines; the trust check of one key against books of 10, 100 and 500 contacts (every lookup
// and every open); opening the sealed book (once per unlock) and sealing it (after a first contact,
// an accepted change or a verification) at those sizes; checking a signed change's history of two
// statements. With the blob sizes. No thresholds are asserted; figures only.
//
//   npm run bench:contacts
import { spawnSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setRandomSource } from '../shared/crypto';
import { base64urlEncode } from '../shared/encoding';
import {
  type Contact,
  generateIdentity,
  keyChangeKind,
  keyId,
  keyTrust,
  openContactBook,
  openEnvelope,
  sealContactBook,
  sealEnvelope,
  signKeyChange,
} from '../shared/protocol';

const SIZES = [10, 100, 500];

function median(run: () => void, minMs = 300, minRuns = 5): number {
  const times: number[] = [];
  const deadline = performance.now() + minMs;
  while (times.length < minRuns || performance.now() < deadline) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)]!;
}

function child(): void {
  setRandomSource((n) => webcrypto.getRandomValues(new Uint8Array(n)));
  const me = generateIdentity('me');
  const them = generateIdentity('them');
  const rows: [string, number, string][] = [];
  const envelope = sealEnvelope({
    sender: them,
    recipients: [me],
    content: 'x'.repeat(2048),
    remark: '',
    expiresAt: null,
  });
  rows.push([
    'open a letter (baseline)',
    median(() => openEnvelope(envelope, { reader: me, senderPublicKey: them.publicKey })),
    '',
  ]);
  rows.push([
    'seal a letter (baseline)',
    median(() =>
      sealEnvelope({
        sender: me,
        recipients: [them],
        content: 'x'.repeat(2048),
        remark: '',
        expiresAt: null,
      }),
    ),
    '',
  ]);
  const key = base64urlEncode(them.publicKey);
  for (const size of SIZES) {
    const contacts: Contact[] = Array.from({ length: size }, (_, i) => ({
      user: `user-${String(i).padStart(4, '0')}`,
      keyId: keyId(them.publicKey),
      publicKey: key,
      firstSeen: new Date().toISOString(),
      verified: i % 2 === 0,
      ...(i % 2 === 0 ? { verifiedAt: new Date().toISOString() } : {}),
    }));
    const book = { counter: 1, contacts };
    const blob = sealContactBook(me, contacts, 1);
    rows.push([
      `trust check, ${size} contacts`,
      median(() => keyTrust(book, `user-${String(size - 1).padStart(4, '0')}`, them.publicKey)),
      '',
    ]);
    rows.push([
      `open the book, ${size} contacts`,
      median(() => openContactBook(blob, me, 1)),
      `${blob.length} B sealed`,
    ]);
    rows.push([`seal the book, ${size} contacts`, median(() => sealContactBook(me, contacts, 2)), '']);
  }
  const two = generateIdentity('them');
  const three = generateIdentity('them');
  const history = [
    { publicKey: key, statement: null },
    {
      publicKey: base64urlEncode(two.publicKey),
      statement: signKeyChange({ old: them, newPublicKey: two.publicKey }),
    },
    {
      publicKey: base64urlEncode(three.publicKey),
      statement: signKeyChange({ old: two, newPublicKey: three.publicKey }),
    },
  ];
  rows.push([
    'signed change, 2 statements',
    median(() => keyChangeKind('them', key, history[2]!.publicKey, history)),
    '',
  ]);
  process.stdout.write(JSON.stringify(rows));
}

if (process.argv.includes('--child')) {
  child();
} else {
  const self = fileURLToPath(import.meta.url);
  const engines: [string, string[]][] = [
    ['V8 JIT', ['--import', 'tsx', self, '--child']],
    ['V8 jitless', ['--jitless', '--import', 'tsx', self, '--child']],
  ];
  const results = engines.map(([label, args]) => {
    const out = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (out.status !== 0) throw new Error(`${label}: ${out.stderr}`);
    return JSON.parse(out.stdout) as [string, number, string][];
  });
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  console.log(`${'median ms'.padEnd(34)}${engines.map(([l]) => l.padStart(12)).join('')}  note`);
  for (const [i, [name, , note]] of results[0]!.entries()) {
    console.log(
      `${name.padEnd(34)}${results.map((r) => r[i]![1].toFixed(3).padStart(12)).join('')}  ${note}`,
    );
  }
}
