// The interpreter path: iOS WeChat runs JavaScript without a JIT, and `node --jitless` is
// our stand-in. A child process runs a small keygen/sign/verify/wrap/unwrap/GCM/PBKDF2 round trip there.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';

const SCRIPT = `
import { webcrypto } from 'node:crypto';
import * as c from './shared/crypto/index.ts';
c.setRandomSource((n) => webcrypto.getRandomValues(new Uint8Array(n)));
const { privateKey, publicKey } = c.sm2GenerateKeyPair();
const message = new TextEncoder().encode('jitless 密封');
const sig = c.sm2Sign(privateKey, message);
const dek = c.randomBytes(16);
const iv = c.randomBytes(12);
const sealed = c.sm4GcmEncrypt(dek, iv, message, sig);
const opened = c.sm4GcmDecrypt(c.sm2Decrypt(privateKey, c.sm2Encrypt(publicKey, dek)), iv, sealed, sig);
const key = c.pbkdf2HmacSm3(message, iv, 100, 16);
console.log(JSON.stringify({
  verified: c.sm2Verify(publicKey, message, sig),
  opened: new TextDecoder().decode(opened),
  jitless: process.execArgv.includes('--jitless'),
  pbkdf2: Array.from(key).length,
}));
`;

describe('crypto under node --jitless', () => {
  it('signs, verifies, wraps, unwraps, seals and opens', () => {
    const out = execFileSync(
      process.execPath,
      ['--jitless', '--import', 'tsx', '--input-type=module', '-e', SCRIPT],
      {
        cwd: new URL('../../..', import.meta.url).pathname,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    assert.deepEqual(JSON.parse(out.trim().split('\n').at(-1)!), {
      verified: true,
      opened: 'jitless 密封',
      jitless: true,
      pbkdf2: 16,
    });
  });
});
