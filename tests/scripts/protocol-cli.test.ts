// Spawns the real CLI (scripts/protocol-cli.ts) the way `npm run protocol --` does.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../scripts/protocol-cli.ts', import.meta.url));
let dir: string;

function cli(args: string[], input?: string) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
    encoding: 'utf8',
    ...(input === undefined ? {} : { input }),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function ok(args: string[], input?: string): string {
  const result = cli(args, input);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

const file = (name: string) => join(dir, name);
const write = (name: string, value: unknown) => writeFileSync(file(name), JSON.stringify(value));
const read = (name: string) => JSON.parse(readFileSync(file(name), 'utf8'));

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mifeng-cli-'));
  writeFileSync(file('alice.json'), ok(['keygen', '--user', 'alice']));
  writeFileSync(file('bob.json'), ok(['keygen', '--user', 'bob']));
  writeFileSync(file('carol.json'), ok(['keygen', '--user', 'carol']));
  const { user, publicKey } = read('bob.json');
  write('bob.pub.json', { user, publicKey });
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('protocol CLI', () => {
  it('keygen prints an identity, with a random user id when none is given', () => {
    const alice = read('alice.json');
    assert.deepEqual(Object.keys(alice), ['user', 'privateKey', 'publicKey']);
    assert.equal(alice.user, 'alice');
    assert.match(alice.privateKey, /^[A-Za-z0-9_-]{43}$/);
    assert.match(alice.publicKey, /^BA[A-Za-z0-9_-]{85}$|^B[A-Za-z0-9_-]{86}$/);
    assert.match(JSON.parse(ok(['keygen'])).user, /^[A-Za-z0-9_-]{22}$/);
  });

  it('seals to recipient files, and each recipient opens from a file or stdin', () => {
    const content = '第一行\n第二行 🔐';
    const envelope = ok([
      'seal',
      '--from',
      file('alice.json'),
      '--to',
      `${file('bob.pub.json')},${file('carol.json')}`,
      '--content',
      content,
      '--remark',
      'safe',
    ]);
    writeFileSync(file('letter.json'), envelope);
    const parsed = JSON.parse(envelope);
    assert.deepEqual(
      parsed.recipients.map((r: { user: string }) => r.user),
      ['alice', 'bob', 'carol'],
    );
    // Default expiry: seven days after createdAt.
    assert.equal(Date.parse(parsed.expiresAt) - Date.parse(parsed.createdAt), 7 * 24 * 3600 * 1000);
    const alicePublicKey = read('alice.json').publicKey;
    const opened = JSON.parse(
      ok([
        'open',
        '--as',
        file('bob.json'),
        '--sender-key',
        alicePublicKey,
        '--envelope',
        file('letter.json'),
      ]),
    );
    assert.deepEqual(opened, { content, remark: 'safe' });
    const fromStdin = JSON.parse(
      ok(['open', '--as', file('carol.json'), '--sender-key', file('alice.json')], envelope),
    );
    assert.deepEqual(fromStdin, { content, remark: 'safe' });
  });

  it('seals permanent letters and honours --expires and --now', () => {
    const permanent = JSON.parse(
      ok([
        'seal',
        '--from',
        file('alice.json'),
        '--to',
        file('bob.pub.json'),
        '--content',
        'x',
        '--expires',
        'never',
      ]),
    );
    assert.equal(permanent.expiresAt, null);
    const dated = ok([
      'seal',
      '--from',
      file('alice.json'),
      '--to',
      file('bob.pub.json'),
      '--content',
      'x',
      '--now',
      '2026-01-01T00:00:00.000Z',
      '--expires',
      '2026-01-02T00:00:00.000Z',
    ]);
    writeFileSync(file('dated.json'), dated);
    const expired = cli([
      'open',
      '--as',
      file('bob.json'),
      '--sender-key',
      file('alice.json'),
      '--envelope',
      file('dated.json'),
    ]);
    assert.equal(expired.code, 1);
    assert.match(expired.stderr, /^Expired\b/);
    const early = ok([
      'open',
      '--as',
      file('bob.json'),
      '--sender-key',
      file('alice.json'),
      '--envelope',
      file('dated.json'),
      '--now',
      '2026-01-01T12:00:00.000Z',
    ]);
    assert.deepEqual(JSON.parse(early), { content: 'x', remark: '' });
  });

  it('seals version 3 with a read limit and a log head given as files', () => {
    const head = {
      size: 3,
      root: 'A'.repeat(43),
      time: '2026-11-24T11:59:00.000Z',
      key: 'A'.repeat(22),
      sig: 'MAYCAQECAQE',
    };
    write('head.json', head);
    const args = ['seal', '--from', file('alice.json'), '--to', file('bob.pub.json'), '--content', 'x'];
    const limited = JSON.parse(ok([...args, '--max-opens', '1', '--head', file('head.json')]));
    assert.equal(limited.v, 3);
    assert.equal(limited.maxOpens, 1);
    assert.deepEqual(limited.head, head);
    assert.match(limited.commit, /^[A-Za-z0-9_-]{43}$/);
    const open = (envelope: unknown) =>
      JSON.parse(
        ok(['open', '--as', file('bob.json'), '--sender-key', file('alice.json')], JSON.stringify(envelope)),
      );
    assert.equal(open(limited).content, 'x');
    const plain = JSON.parse(ok([...args, '--max-opens', 'none']));
    assert.equal(plain.maxOpens, null);
    assert.equal(plain.head, null);
    assert.equal(cli([...args, '--max-opens', 'once']).code, 2);
    const zero = cli([...args, '--max-opens', '0']);
    assert.equal(zero.code, 1);
    assert.ok(zero.stderr.startsWith('Malformed:'), zero.stderr);
  });

  it('exits non-zero with the typed error name when opening fails', () => {
    const letter = read('letter.json');
    const tampered = { ...letter, ct: `${letter.ct[0] === 'A' ? 'B' : 'A'}${letter.ct.slice(1)}` };
    const cases: [string, string[], string?][] = [
      [
        'BadSignature',
        ['--as', file('bob.json'), '--sender-key', file('alice.json')],
        JSON.stringify(tampered),
      ],
      [
        'BadSignature',
        ['--as', file('bob.json'), '--sender-key', file('carol.json')],
        JSON.stringify(letter),
      ],
      [
        'Malformed',
        ['--as', file('bob.json'), '--sender-key', file('alice.json')],
        JSON.stringify({ ...letter, x: 1 }),
      ],
      [
        'Malformed',
        ['--as', file('bob.json'), '--sender-key', file('alice.json')],
        // A junk sig before the real one: JSON.parse would keep the real one.
        `{"sig":${JSON.stringify(tampered.ct.slice(0, 96))},${JSON.stringify(letter).slice(1)}`,
      ],
    ];
    for (const [name, args, input] of cases) {
      const result = cli(['open', ...args], input);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.stdout, '');
      assert.ok(result.stderr.startsWith(`${name}:`), result.stderr);
    }
    // Not for erin: a fresh identity that is not listed.
    writeFileSync(file('erin.json'), ok(['keygen', '--user', 'erin']));
    const notForErin = cli(
      ['open', '--as', file('erin.json'), '--sender-key', file('alice.json')],
      JSON.stringify(letter),
    );
    assert.equal(notForErin.code, 1);
    assert.match(notForErin.stderr, /^NotARecipient:/);
  });

  it('backs up a key and unlocks it, and names a wrong master key', () => {
    writeFileSync(
      file('backup.json'),
      ok(['backup', '--identity', file('alice.json'), '--master-key', '密钥 pass', '--iter', '10000']),
    );
    const backup = read('backup.json');
    assert.equal(backup.iter, 10000);
    assert.equal(backup.kdf, 'pbkdf2-hmac-sm3');
    const unlocked = ok([
      'unlock',
      '--backup',
      file('backup.json'),
      '--public-key',
      file('alice.json'),
      '--master-key',
      '密钥 pass',
    ]);
    assert.equal(unlocked.trim(), read('alice.json').privateKey);
    const wrong = cli([
      'unlock',
      '--backup',
      file('backup.json'),
      '--public-key',
      file('alice.json'),
      '--master-key',
      'nope',
    ]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^WrongMasterKey:/);
  });

  it('takes what the API answers for a person as a recipient file (a lookup response)', () => {
    const { user, publicKey } = read('bob.json');
    const { keyId } = JSON.parse(ok(['fingerprint', '--public-key', publicKey]));
    write('bob.lookup.json', { user, name: 'Bob', publicKey, keyId });
    const envelope = ok([
      'seal',
      '--from',
      file('alice.json'),
      '--to',
      file('bob.lookup.json'),
      '--content',
      'hi',
    ]);
    const opened = JSON.parse(
      ok(['open', '--as', file('bob.json'), '--sender-key', file('alice.json'), '--envelope', '-'], envelope),
    );
    assert.equal(opened.content, 'hi');
  });

  it('rejects invalid recipient files, naming the file and the member', () => {
    const { user, publicKey } = read('bob.json');
    const { keyId } = JSON.parse(ok(['fingerprint', '--public-key', read('carol.json').publicKey]));
    const cases: [unknown, RegExp][] = [
      [{ user, name: 'Bob' }, /"publicKey" is missing or not a string/],
      [{ user, publicKey, keyId }, /"keyId" is not the key id of "publicKey"/],
      [[user, publicKey], /a recipient file is a JSON object/],
    ];
    for (const [value, message] of cases) {
      write('bad.json', value);
      const result = cli(['seal', '--from', file('alice.json'), '--to', file('bad.json'), '--content', 'x']);
      assert.equal(result.code, 2);
      assert.match(result.stderr, new RegExp(`bad\\.json: ${message.source}`));
    }
  });

  it('prints the keyId and fingerprint digits', () => {
    const out = JSON.parse(ok(['fingerprint', '--public-key', read('alice.json').publicKey]));
    assert.match(out.keyId, /^[A-Za-z0-9_-]{22}$/);
    assert.match(out.fingerprint, /^\d{5}( \d{5}){11}$/);
  });

  it('rejects invalid inputs', () => {
    assert.equal(cli([]).code, 2);
    assert.equal(cli(['frobnicate']).code, 2);
    assert.equal(cli(['seal', '--from', file('alice.json')]).code, 2);
    assert.equal(
      cli(['seal', '--from', file('missing.json'), '--to', file('bob.json'), '--content', 'x']).code,
      2,
    );
    assert.equal(
      cli(['backup', '--identity', file('alice.json'), '--master-key', 'x', '--iter', '5']).code,
      2,
    );
    const badUser = cli(['keygen', '--user', 'not valid']);
    assert.equal(badUser.code, 1);
    assert.match(badUser.stderr, /^Malformed:/);
  });
});
