// What the published-vector suites (protocol-v1.json, protocol-v2.json) check with alike: the
// reference oracle and the vector files' identities.
import { createRequire } from 'node:module';
import { type Identity, identityFromJson } from '../../../shared/protocol';

/** The reference oracle (untyped CommonJS): only the calls the vector suites use. */
export const smCrypto = createRequire(import.meta.url)('sm-crypto') as {
  sm2: {
    doVerifySignature(msg: number[], sigHex: string, publicKeyHex: string, options: object): boolean;
    doDecrypt(
      ctHex: string,
      privateKeyHex: string,
      cipherMode: number,
      options: { output: 'array' },
    ): number[];
    doEncrypt(msg: number[], publicKeyHex: string, cipherMode: number): string;
    doSignature(msg: number[], privateKeyHex: string, options: object): string;
  };
};

/** A vector file's `identities`, by name, as our code holds them. */
export function vectorIdentities(vectors: {
  identities: Record<string, { user: string; privateKey: string; publicKey: string }>;
}): Record<string, Identity> {
  return Object.fromEntries(
    Object.entries(vectors.identities).map(([name, { user, privateKey, publicKey }]) => [
      name,
      identityFromJson({ user, privateKey, publicKey }),
    ]),
  );
}

export const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
