// The openssl CLI as an independent SM2 implementation: keys as PEM, and its verdict on a signature
// (docs/protocol.md §1: `pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { SM2_USER_ID } from '../../../shared/crypto/index';

/** A scratch folder for the CLI's files, removed after the test file. */
export const opensslDir = mkdtempSync(join(tmpdir(), 'mifeng-openssl-'));
after(() => rmSync(opensslDir, { recursive: true, force: true }));

/** SubjectPublicKeyInfo prefix for an SM2 key: id-ecPublicKey with the SM2 curve OID 1.2.156.10197.1.301. */
export const SPKI_PREFIX = '3059301306072a8648ce3d020106082a811ccf5501822d034200';

export function publicKeyPem(publicKey: Uint8Array): string {
  const der = Buffer.concat([Buffer.from(SPKI_PREFIX, 'hex'), publicKey]);
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PUBLIC KEY-----\n${b64}\n-----END PUBLIC KEY-----\n`;
}

export function openssl(args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Whether `openssl pkeyutl -verify` accepts `signature` (DER) over `message` by `publicKey`. */
export function opensslVerifies(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  writeFileSync(join(opensslDir, 'pub.pem'), publicKeyPem(publicKey));
  writeFileSync(join(opensslDir, 'msg'), message);
  writeFileSync(join(opensslDir, 'sig'), signature);
  try {
    const out = openssl([
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      join(opensslDir, 'pub.pem'),
      '-rawin',
      '-in',
      join(opensslDir, 'msg'),
      '-sigfile',
      join(opensslDir, 'sig'),
      '-digest',
      'sm3',
      '-pkeyopt',
      `distid:${SM2_USER_ID}`,
    ]);
    return out.includes('Signature Verified Successfully');
  } catch {
    return false;
  }
}
