// Types for the parts of sm-crypto 0.5.8 (the reference oracle, which ships no typings) the tests use.
declare module 'sm-crypto' {
  type Bytes = number[] | Uint8Array | string;
  interface SignOptions {
    pointPool?: { k: unknown; x1: unknown }[];
    der?: boolean;
    hash?: boolean;
    publicKey?: string;
    userId?: string;
  }
  const smCrypto: {
    sm2: {
      getPublicKeyFromPrivateKey(privateKey: string): string;
      // biome-ignore lint/suspicious/noExplicitAny: jsbn BigInteger, untyped
      getPoint(): { k: any; x1: any; privateKey: string; publicKey: string };
      doSignature(msg: Bytes, privateKey: string, options?: SignOptions): string;
      doVerifySignature(msg: Bytes, signHex: string, publicKey: string, options?: SignOptions): boolean;
      doEncrypt(msg: Bytes, publicKey: string, cipherMode?: number): string;
      doDecrypt(
        encryptData: string,
        privateKey: string,
        cipherMode: number,
        options: { output: 'array' },
      ): number[];
      doDecrypt(encryptData: string, privateKey: string, cipherMode?: number): string;
    };
    sm3(input: Bytes, options?: { key: Bytes; mode?: 'hmac' }): string;
    sm4: {
      encrypt(
        input: Bytes,
        key: Bytes,
        options?: { mode?: 'cbc' | 'ecb'; iv?: Bytes; padding?: string; output?: 'array' | 'string' },
      ): string | number[];
      decrypt(
        input: Bytes,
        key: Bytes,
        options?: { mode?: 'cbc' | 'ecb'; iv?: Bytes; padding?: string; output?: 'array' | 'string' },
      ): string | number[];
    };
  };
  export default smCrypto;
}
