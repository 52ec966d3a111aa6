/**
 * `npx mifeng` end to end: the CLI spawned as a separate process against a real server over HTTP,
 * on PGlite and on PostgreSQL. Two people register (master keys on stdin), Alice sends Bob a letter,
 * Bob opens it by its link, both boxes list it, Alice revokes it and Bob can no longer open it.
 * Refusals name the problem, exit non-zero and change nothing on the server.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { base64urlDecode } from '../../shared/encoding';
import { formatFingerprint } from '../../shared/protocol';
import { forEachDatabase, useDatabase } from '../server/databases';
import { rowCounts, uniquePhone, useServer } from '../server/helper';

const ROOT = new URL('../..', import.meta.url).pathname;
const BIN = join(ROOT, 'cli/bin.mjs');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command args` in the repository with `home` as MIFENG_HOME, feeding `input` on stdin. */
function run(command: string, args: string[], home: string, input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, MIFENG_HOME: home, MIFENG_SERVER: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** `mifeng args` through the bin script, as `npx mifeng` runs it. */
function mifeng(home: string, args: string[], input = ''): Promise<Run> {
  return run(process.execPath, [BIN, ...args], home, input);
}

function ok(result: Run): string {
  assert.equal(result.code, 0, `exit ${result.code}: ${result.stderr}`);
  return result.stdout;
}

const ALICE_KEY = 'alice: correct horse battery staple';
const BOB_KEY = 'bob: a tree, seven rivers and one moon';
/** The protocol minimum, to keep the test fast. */
const ITERATIONS = ['--iterations', '10000'];

describe('npx mifeng', () => {
  it('runs from the repository without a global TypeScript runtime', async () => {
    const result = await run(
      'npx',
      ['--no-install', 'mifeng', 'help'],
      mkdtempSync(join(tmpdir(), 'mifeng-cli-')),
    );
    assert.match(ok(result), /usage: mifeng <command>/);
  });
});

forEachDatabase((target) => {
  describe('mifeng CLI against the server', () => {
    const db = useDatabase(target);
    const server = useServer(() => ({ database: db().database }));
    const alice = mkdtempSync(join(tmpdir(), 'mifeng-alice-'));
    const bob = mkdtempSync(join(tmpdir(), 'mifeng-bob-'));
    const bobPhone = uniquePhone();
    let letterId = '';
    let letterUrl = '';

    it('signs in with the dev login and registers, the master key read from stdin', async () => {
      for (const [home, name, phone, key] of [
        [alice, 'Alice', uniquePhone(), ALICE_KEY],
        [bob, 'Bob', bobPhone, BOB_KEY],
      ] as const) {
        assert.match(ok(await mifeng(home, ['login', '--server', server().url, '--dev'])), /signed in to/);
        const out = ok(
          await mifeng(home, ['register', '--name', name, '--phone', phone, ...ITERATIONS], `${key}\n`),
        );
        assert.match(out, new RegExp(`registered ${name}`));
        const keys = JSON.parse(readFileSync(join(home, 'keys.json'), 'utf8'));
        assert.deepEqual(Object.keys(keys).sort(), ['backup', 'publicKey', 'user']);
        assert.ok(
          !readFileSync(join(home, 'keys.json'), 'utf8').includes(key),
          'the master key is not stored',
        );
      }
    });

    it('whoami shows the fingerprint of the key the server holds', async () => {
      const out = ok(await mifeng(alice, ['whoami']));
      const keys = JSON.parse(readFileSync(join(alice, 'keys.json'), 'utf8'));
      assert.match(out, /name +Alice/);
      assert.ok(out.includes(formatFingerprint(base64urlDecode(keys.publicKey))), out);
      assert.doesNotMatch(out, /warning/);
    });

    it('sends a letter read from stdin and prints its link', async () => {
      const out = ok(
        await mifeng(
          alice,
          ['send', '--to', `Bob:${bobPhone}`, '--expires', '1w', '--remark', 'vault'],
          `${ALICE_KEY}\nthe vault code is 0451\n`,
        ),
      );
      const match = /^sent (\S+) to Bob\n(\S+)\nexpires /.exec(out);
      assert.ok(match, out);
      letterId = match[1]!;
      letterUrl = match[2]!;
      assert.equal(letterUrl, `https://mifeng.test/s/${letterId}`);
    });

    it('opens the letter by its link, checks the signature and shows the sender fingerprint', async () => {
      const out = ok(await mifeng(bob, ['open', letterUrl], `${BOB_KEY}\n`));
      const aliceKey = JSON.parse(readFileSync(join(alice, 'keys.json'), 'utf8')).publicKey;
      assert.match(out, /^from +Alice \(fingerprint /);
      assert.ok(out.includes(formatFingerprint(base64urlDecode(aliceKey))));
      assert.match(out, /remark +vault/);
      assert.ok(out.endsWith('\nthe vault code is 0451\n'), out);
    });

    it('lists the letter in the inbox and in the sent box, with who opened it', async () => {
      assert.match(ok(await mifeng(bob, ['inbox'])), new RegExp(`^${letterId} +active .* from Alice`));
      assert.match(ok(await mifeng(alice, ['sent'])), new RegExp(`^${letterId} +active .* to Bob `));
      assert.match(ok(await mifeng(alice, ['open', letterId], `${ALICE_KEY}\n`)), /opened by +Bob at /);
    });

    it('rejects invalid inputs, naming the problem, and changes nothing', async () => {
      const before = await rowCounts(db().database);
      const refused: [string, string[], string, number, RegExp][] = [
        [
          alice,
          ['send', '--to', 'Carol:13700137000', '--expires', '1w'],
          `${ALICE_KEY}\nhi\n`,
          1,
          /no registered user is called Carol/,
        ],
        [
          alice,
          ['send', '--to', `Bob:${bobPhone}`, '--expires', '2d'],
          `${ALICE_KEY}\nhi\n`,
          2,
          /--expires 2d: give 3d\|1w\|1m\|never\|YYYY-MM-DD/,
        ],
        [
          alice,
          ['send', '--to', 'Bob', '--expires', '1w'],
          `${ALICE_KEY}\nhi\n`,
          2,
          /--to Bob: write it as NAME:PHONE/,
        ],
        [
          alice,
          ['send', '--to', `Bob:${bobPhone}`, '--expires', '1w'],
          'a wrong master key\nhi\n',
          1,
          /wrong master key/,
        ],
        [bob, ['open', letterId], 'a wrong master key\n', 1, /wrong master key/],
        [bob, ['open', 'https://mifeng.test/x/abc'], '', 2, /neither a letter id nor a letter link/],
        [bob, ['revoke', letterId], '', 1, /Not found \(not_found\)/],
        [bob, ['register', '--phone', bobPhone], '', 2, /register needs --name NAME/],
        [
          mkdtempSync(join(tmpdir(), 'mifeng-nobody-')),
          ['inbox'],
          '',
          1,
          /not signed in: run `mifeng login` first/,
        ],
      ];
      for (const [home, args, input, code, message] of refused) {
        const result = await mifeng(home, args, input);
        assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
        assert.match(result.stderr, message, args.join(' '));
      }
      assert.deepEqual(await rowCounts(db().database), before);
    });

    it('signs in with a token kept in a file', async () => {
      const token = JSON.parse(readFileSync(join(alice, 'session.json'), 'utf8')).token;
      const other = mkdtempSync(join(tmpdir(), 'mifeng-token-'));
      writeFileSync(join(other, 'token'), `${token}\n`);
      ok(await mifeng(other, ['login', '--server', server().url, '--token-file', join(other, 'token')]));
      assert.match(ok(await mifeng(other, ['whoami'])), /name +Alice/);
    });

    it('revokes the letter; the recipient then cannot open it', async () => {
      assert.match(ok(await mifeng(alice, ['revoke', letterUrl])), /^revoked /);
      const result = await mifeng(bob, ['open', letterId], `${BOB_KEY}\n`);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /The sender revoked this letter \(revoked\)/);
      assert.match(ok(await mifeng(alice, ['sent'])), new RegExp(`^${letterId} +revoked `));
    });
  });
});
