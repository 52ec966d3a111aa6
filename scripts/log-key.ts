/**
 * `npm run log:key -- <command>`: the transparency log's signing key (docs/transparency.md §Log key).
 *
 *   new                          a fresh private key (base64url) on stdout; its public key and
 *                                keyId on stderr. `npm run --silent log:key -- new > secrets/log_signing_key`
 *   public --key FILE            the public key of the private key in FILE: what the mini program
 *                                is built with
 *   rotate --from OLD --to NEW   the rotation statement by which OLD hands the log over to NEW
 *                                (both files of private keys), for LOG_KEY_ROTATIONS_FILE
 *
 * Exit 2 for usage errors.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { sm2PublicKey } from '../shared/crypto';
import { base64urlDecode, base64urlEncode, isBase64url } from '../shared/encoding';
import { keyId, PRIVATE_KEY_LENGTH } from '../shared/protocol';
import { signLogKeyRotation } from '../shared/transparency';

const USAGE = `usage: npm run log:key -- new | public --key FILE | rotate --from OLD --to NEW`;
const nodeRandom = (length: number) => new Uint8Array(randomBytes(length));

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

/** A key pair from a file holding the base64url private key (trailing newline allowed). */
function readKeyPair(path: string | undefined) {
  if (!path) return fail('a key file is required');
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    return fail(`cannot read ${path}: ${(err as Error).message}`);
  }
  if (!isBase64url(text, PRIVATE_KEY_LENGTH))
    return fail(`${path} does not hold a base64url 32-byte private key`);
  const privateKey = base64urlDecode(text);
  try {
    return { privateKey, publicKey: sm2PublicKey(privateKey) };
  } catch {
    return fail(`${path} does not hold a valid SM2 private key`);
  }
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { key: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
});

switch (positionals[0]) {
  case 'new': {
    for (;;) {
      const privateKey = nodeRandom(PRIVATE_KEY_LENGTH);
      let publicKey: Uint8Array;
      try {
        publicKey = sm2PublicKey(privateKey);
      } catch {
        continue; // 0 or ≥ n − 1: draw again (probability about 2^-224)
      }
      console.log(base64urlEncode(privateKey));
      console.error(`public key ${base64urlEncode(publicKey)}\nkeyId ${keyId(publicKey)}`);
      break;
    }
    break;
  }
  case 'public': {
    const { publicKey } = readKeyPair(values.key);
    console.log(JSON.stringify({ publicKey: base64urlEncode(publicKey), keyId: keyId(publicKey) }));
    break;
  }
  case 'rotate': {
    const old = readKeyPair(values.from);
    const next = readKeyPair(values.to);
    console.log(JSON.stringify(signLogKeyRotation(old, next.publicKey, new Date(), nodeRandom), null, 2));
    break;
  }
  default:
    fail(positionals[0] ? `unknown command ${positionals[0]}` : 'a command is required');
}
