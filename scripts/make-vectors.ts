/**
 * Generates tests/vectors/protocol-v1.json, the published test vectors of protocol v1
 * (docs/protocol.md §Test vectors), from fixed keys and a fixed randomness stream.
 *
 *   npx tsx scripts/make-vectors.ts           writes the file
 *   npx tsx scripts/make-vectors.ts --check   exits 1 if the file differs from what it would write
 *
 * The randomness stream, so that other implementations can reproduce every byte: for a label L,
 * block i (i = 0, 1, 2, …) is SM3(UTF-8(L) ‖ uint32_be(i)); the stream is block 0 ‖ block 1 ‖ …,
 * and each request for n bytes takes the next n bytes of it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type RandomSource, sm2Decrypt, sm2PublicKey, sm2Sign, sm3, sm4GcmEncrypt } from '../shared/crypto';
import { base64urlDecode, base64urlEncode, utf8Decode, utf8Encode } from '../shared/encoding';
import {
  canonicalize,
  type Envelope,
  type EnvelopeV1,
  envelopeAad,
  fingerprint,
  formatFingerprint,
  type Identity,
  type KeyChange,
  keyChangeSignedBytes,
  keyId,
  MAX_CONTENT_BYTES,
  MIN_BACKUP_ITERATIONS,
  sealEnvelope,
  sealKeyBackup,
  signedBytes,
  signKeyChange,
  type UnsignedEnvelope,
} from '../shared/protocol';

export const VECTORS_PATH = fileURLToPath(new URL('../tests/vectors/protocol-v1.json', import.meta.url));

/** The deterministic randomness stream described in the module comment. */
export function vectorRandom(label: string): RandomSource {
  const prefix = utf8Encode(label);
  let counter = 0;
  let buffer = new Uint8Array(0);
  return (length: number) => {
    while (buffer.length < length) {
      const input = new Uint8Array(prefix.length + 4);
      input.set(prefix);
      new DataView(input.buffer).setUint32(prefix.length, counter++);
      const next = new Uint8Array(buffer.length + 32);
      next.set(buffer);
      next.set(sm3(input), buffer.length);
      buffer = next;
    }
    const out = buffer.slice(0, length);
    buffer = buffer.slice(length);
    return out;
  };
}

/** Test identities: private key = SM3(UTF-8("mifeng/protocol-v1/test-key/" ‖ user)). */
export function vectorIdentity(user: string): Identity {
  const privateKey = sm3(utf8Encode(`mifeng/protocol-v1/test-key/${user}`));
  return { user, privateKey, publicKey: sm2PublicKey(privateKey) };
}

/** A user's next key: private key = SM3(UTF-8("mifeng/protocol-v1/test-key/" ‖ user ‖ "/2")). */
export function vectorNextIdentity(user: string): Identity {
  const privateKey = sm3(utf8Encode(`mifeng/protocol-v1/test-key/${user}/2`));
  return { user, privateKey, publicKey: sm2PublicKey(privateKey) };
}

/** The people of the vector files (both protocol versions). */
export const USERS = ['alice', 'bob', 'carol', 'erin'] as const;
export type User = (typeof USERS)[number];

/** When every vector letter (both versions) was sealed. */
export const CREATED_AT = '2026-11-24T12:00:00.000Z';
const EXPIRES_AT = '2026-11-27T12:00:00.000Z';
/** When positive vectors are opened: an hour after sealing. */
const OPENED_AT = '2026-11-24T13:00:00.000Z';
const BACKUP_ITERATIONS = MIN_BACKUP_ITERATIONS;

const MULTILINE =
  '第一行：银行卡密码 123456\n第二行：保险柜 🔐 密码是 8 位\r\n\t"引号" \\ 反斜杠\n最后一行 ✅ 👨‍👩‍👧 \u0001';
/** Exactly MAX_CONTENT_BYTES of UTF-8: 3-byte characters, then ASCII to fill up. */
const LARGEST = (() => {
  const han = '密'.repeat(Math.floor(MAX_CONTENT_BYTES / 3));
  return han + 'x'.repeat(MAX_CONTENT_BYTES - 3 * Math.floor(MAX_CONTENT_BYTES / 3));
})();

/** A letter a vector file seals; version 2 cases add to it. */
export interface EnvelopeCase {
  name: string;
  description: string;
  sender: User;
  recipients: User[];
  content: string;
  remark?: string;
  expiresAt: string | null;
}

const ENVELOPE_CASES: EnvelopeCase[] = [
  {
    name: 'one-recipient',
    description: 'alice to bob: the smallest letter (the sender is added as the first recipient)',
    sender: 'alice',
    recipients: ['bob'],
    content: 'The safe code is 4711.',
    remark: 'safe',
    expiresAt: EXPIRES_AT,
  },
  {
    name: 'three-recipients',
    description:
      'alice to bob and carol, listed with alice explicitly in the middle (sealing moves her first)',
    sender: 'alice',
    recipients: ['bob', 'alice', 'carol'],
    content: 'Wi-Fi: mifeng-home / correct horse battery staple',
    remark: 'Wi-Fi',
    expiresAt: EXPIRES_AT,
  },
  {
    name: 'permanent',
    description: 'bob to alice with expiresAt null (permanent) and no remark',
    sender: 'bob',
    recipients: ['alice'],
    content: 'permanent',
    expiresAt: null,
  },
  {
    name: 'multiline-chinese-emoji',
    description:
      'multi-line Chinese with emoji, a ZWJ sequence, CR LF, tab, quotes, backslash and a control character',
    sender: 'carol',
    recipients: ['alice', 'bob'],
    content: MULTILINE,
    remark: '家里的保险柜 🏠',
    expiresAt: EXPIRES_AT,
  },
  {
    name: 'largest-content',
    description: `content of exactly MAX_CONTENT_BYTES (${MAX_CONTENT_BYTES}) UTF-8 bytes`,
    sender: 'alice',
    recipients: ['bob'],
    content: LARGEST,
    remark: 'big',
    expiresAt: EXPIRES_AT,
  },
];

/** A case's `input` as the vector file publishes it: what was sealed, and when. */
export function caseInput(c: EnvelopeCase) {
  return {
    sender: c.sender,
    recipients: c.recipients,
    content: c.content,
    remark: c.remark ?? null,
    createdAt: CREATED_AT,
    expiresAt: c.expiresAt,
  };
}

/** Every vector user's fixed identity, by name. */
export function userIdentities(): Record<User, Identity> {
  return Object.fromEntries(USERS.map((u) => [u, vectorIdentity(u)])) as Record<User, Identity>;
}

function seal(ids: Record<User, Identity>, c: EnvelopeCase): EnvelopeV1 {
  return sealEnvelope(
    {
      sender: ids[c.sender],
      recipients: c.recipients.map((u) => ({ user: u, publicKey: ids[u].publicKey })),
      content: c.content,
      ...(c.remark === undefined ? {} : { remark: c.remark }),
      expiresAt: c.expiresAt === null ? null : new Date(c.expiresAt),
    },
    {
      now: new Date(CREATED_AT),
      random: vectorRandom(`mifeng/protocol-v1/vectors/${c.name}`),
      version: 1,
    },
  ) as EnvelopeV1;
}

/** Signs an altered envelope again as its sender, as a buggy or malicious sender could. */
function resign(envelope: UnsignedEnvelope, sender: Identity, label: string): Envelope {
  const sig = sm2Sign(sender.privateKey, signedBytes(envelope), vectorRandom(label));
  return { ...envelope, sig: base64urlEncode(sig) } as Envelope;
}

function flipByte(text: string, index: number): string {
  const bytes = base64urlDecode(text);
  bytes[index]! ^= 0x01;
  return base64urlEncode(bytes);
}

/**
 * The JSON text of `value` with `"name": first` written before its own members, so `name` appears
 * twice and the real value comes last (what JSON.parse keeps).
 */
export function withMemberFirst(value: object, name: string, first: unknown): string {
  return `{${JSON.stringify(name)}:${JSON.stringify(first)},${JSON.stringify(value).slice(1)}`;
}

function unsigned(envelope: Envelope): UnsignedEnvelope {
  const { sig: _sig, ...rest } = envelope;
  return rest;
}

/** Builds the whole vector file as a JSON value. */
export function buildVectors() {
  const ids = userIdentities();
  const sealed = Object.fromEntries(ENVELOPE_CASES.map((c) => [c.name, seal(ids, c)])) as Record<
    string,
    EnvelopeV1
  >;
  const one = sealed['one-recipient']!;
  const alice = ids.alice;

  const envelopes = ENVELOPE_CASES.map((c) => {
    const envelope = sealed[c.name]!;
    const senderEntry = envelope.recipients[0]!;
    const dek = sm2Decrypt(ids[senderEntry.user as User].privateKey, base64urlDecode(senderEntry.wrap));
    const plaintext = canonicalize({ content: c.content, remark: c.remark ?? '' });
    return {
      name: c.name,
      description: c.description,
      randomLabel: `mifeng/protocol-v1/vectors/${c.name}`,
      input: caseInput(c),
      intermediate: {
        dek: base64urlEncode(dek),
        aad: utf8Decode(envelopeAad(envelope)),
        plaintext,
        plaintextBytes: utf8Encode(plaintext).length,
        paddedBytes: base64urlDecode(envelope.ct).length - 16,
      },
      envelope,
      open: {
        now: OPENED_AT,
        readers: envelope.recipients.map((r) => r.user),
        expect: { content: c.content, remark: c.remark ?? '' },
      },
    };
  });

  // Plaintext with a non-zero byte in its padding, correctly encrypted and signed by alice.
  const badPadding = (() => {
    const dek = sm2Decrypt(alice.privateKey, base64urlDecode(one.recipients[0]!.wrap));
    const json = utf8Encode(canonicalize({ content: 'The safe code is 4711.', remark: 'safe' }));
    const padded = new Uint8Array(256);
    padded.set(json);
    padded[255] = 0x01;
    const ct = sm4GcmEncrypt(dek, base64urlDecode(one.iv), padded, envelopeAad(one));
    return resign(
      { ...unsigned(one), ct: base64urlEncode(ct) },
      alice,
      'mifeng/protocol-v1/vectors/bad-padding/sig',
    );
  })();
  // bob's wrap replaced by the wrap of another envelope (another DEK), then signed again.
  const swappedWrap = (() => {
    const other = sealed['three-recipients']!;
    const recipients = one.recipients.map((r) =>
      r.user === 'bob' ? { ...r, wrap: other.recipients.find((o) => o.user === 'bob')!.wrap } : r,
    );
    return resign({ ...unsigned(one), recipients }, alice, 'mifeng/protocol-v1/vectors/swapped-wrap/sig');
  })();

  const negativeEnvelopes = [
    {
      name: 'tampered-ct',
      description: 'one-recipient with the first ct byte flipped: the signature no longer verifies',
      envelope: { ...one, ct: flipByte(one.ct, 0) },
      reader: 'bob',
      sender: 'alice',
      now: OPENED_AT,
      error: 'BadSignature',
    },
    {
      name: 'tampered-ct-resigned',
      description: 'tampered-ct signed again by alice: the signature verifies, the GCM tag does not',
      envelope: resign(
        { ...unsigned(one), ct: flipByte(one.ct, 0) },
        alice,
        'mifeng/protocol-v1/vectors/tampered-ct-resigned/sig',
      ),
      reader: 'bob',
      sender: 'alice',
      now: OPENED_AT,
      error: 'Tampered',
    },
    {
      name: 'swapped-wrap-resigned',
      description:
        "bob's wrap taken from another envelope, signed again by alice: it unwraps to the wrong DEK",
      envelope: swappedWrap,
      reader: 'bob',
      sender: 'alice',
      now: OPENED_AT,
      error: 'Tampered',
    },
    {
      name: 'bad-padding-resigned',
      description: 'a plaintext whose last padding byte is 01, encrypted and signed by alice',
      envelope: badPadding,
      reader: 'bob',
      sender: 'alice',
      now: OPENED_AT,
      error: 'Malformed',
    },
    {
      name: 'wrong-recipient',
      description: 'one-recipient opened by erin, who is not listed',
      envelope: one,
      reader: 'erin',
      sender: 'alice',
      now: OPENED_AT,
      error: 'NotARecipient',
    },
    {
      name: 'wrong-sender-key',
      description: "one-recipient checked against carol's key instead of alice's",
      envelope: one,
      reader: 'bob',
      sender: 'carol',
      now: OPENED_AT,
      error: 'BadSignature',
    },
    {
      name: 'expired',
      description: 'one-recipient opened at exactly its expiresAt',
      envelope: one,
      reader: 'bob',
      sender: 'alice',
      now: EXPIRES_AT,
      error: 'Expired',
    },
    {
      name: 'unsupported-version',
      description: 'one-recipient with v = 4 (versions 2 and 3 are read too, with their own members)',
      envelope: { ...one, v: 4 },
      reader: 'bob',
      sender: 'alice',
      now: OPENED_AT,
      error: 'UnsupportedVersion',
    },
    {
      name: 'unknown-member',
      description: 'one-recipient with an extra top-level member',
      envelope: { ...one, note: 'hi' },
      reader: 'bob',
      sender: 'alice',
      now: OPENED_AT,
      error: 'Malformed',
    },
    {
      name: 'duplicate-sig',
      description:
        "one-recipient as JSON text with a junk sig (three-recipients') before the real one: a parser that keeps the last member would open it; a name given twice is Malformed",
      envelopeText: withMemberFirst(one, 'sig', sealed['three-recipients']!.sig),
      reader: 'bob',
      sender: 'alice',
      now: OPENED_AT,
      error: 'Malformed',
    },
    {
      name: 'duplicate-escaped-name',
      description:
        'one-recipient as JSON text with "\\u0076" (an escaped "v") = 3 before the real v: the same name twice',
      envelopeText: JSON.stringify(one).replace('{', '{"\\u0076":3,'),
      reader: 'bob',
      sender: 'alice',
      now: OPENED_AT,
      error: 'Malformed',
    },
    {
      name: 'duplicate-wrap',
      description: "one-recipient as JSON text with bob's entry naming wrap twice (alice's wrap first)",
      envelopeText: JSON.stringify(one).replace(
        `"wrap":"${one.recipients[1]!.wrap}"`,
        `"wrap":"${one.recipients[0]!.wrap}","wrap":"${one.recipients[1]!.wrap}"`,
      ),
      reader: 'bob',
      sender: 'alice',
      now: OPENED_AT,
      error: 'Malformed',
    },
    {
      name: 'timestamp-without-milliseconds',
      description: 'one-recipient with createdAt written without milliseconds',
      envelope: { ...one, createdAt: '2026-11-24T12:00:00Z' },
      reader: 'bob',
      sender: 'alice',
      now: OPENED_AT,
      error: 'Malformed',
    },
  ];

  const backupLabel = 'mifeng/protocol-v1/vectors/backup-alice';
  const masterKey = 'correct horse battery staple 密封';
  const backup = sealKeyBackup(alice, masterKey, {
    iterations: BACKUP_ITERATIONS,
    random: vectorRandom(backupLabel),
  });
  // Same passphrase with "é" precomposed (NFC) and decomposed (NFD): one backup opens with both.
  const accentLabel = 'mifeng/protocol-v1/vectors/backup-bob-nfc';
  const accentBackup = sealKeyBackup(ids.bob, 'Pass\u00e9 secr\u00e8te', {
    iterations: BACKUP_ITERATIONS,
    random: vectorRandom(accentLabel),
  });

  return {
    description:
      'Mifeng protocol v1 test vectors (docs/protocol.md). Generated by scripts/make-vectors.ts; every binary value is base64url without padding unless named *Hex.',
    version: 1,
    random: {
      algorithm:
        'For a label L, the stream is SM3(UTF-8(L) || uint32_be(0)) || SM3(UTF-8(L) || uint32_be(1)) || ...; each request for n bytes takes the next n bytes. Sealing an envelope draws id (16), DEK (16), iv (12), then for each recipient in list order the SM2 encryption nonce, then the signature nonce; a backup draws salt (16) then iv (12). Each SM2 nonce k is a 32-byte big-endian draw, redrawn while k = 0 or k >= n; a signature also redraws when r = 0, r + k = n or s = 0.',
      example: {
        label: 'mifeng/protocol-v1/vectors/one-recipient',
        first64Hex: Buffer.from(vectorRandom('mifeng/protocol-v1/vectors/one-recipient')(64)).toString('hex'),
      },
    },
    identities: Object.fromEntries(
      USERS.map((u) => {
        const id = ids[u];
        return [
          u,
          {
            user: u,
            privateKey: base64urlEncode(id.privateKey),
            publicKey: base64urlEncode(id.publicKey),
            privateKeyHex: Buffer.from(id.privateKey).toString('hex'),
            publicKeyHex: Buffer.from(id.publicKey).toString('hex'),
            fingerprintHex: Buffer.from(fingerprint(id.publicKey)).toString('hex'),
            keyId: keyId(id.publicKey),
            fingerprintText: formatFingerprint(id.publicKey),
          },
        ];
      }),
    ),
    envelopes,
    negativeEnvelopes,
    backups: [
      {
        name: 'backup-alice',
        description: `alice's private key under a master key, at the lowest allowed iteration count (${BACKUP_ITERATIONS}) so checks are quick`,
        randomLabel: backupLabel,
        identity: 'alice',
        masterKey,
        unlockWith: [masterKey],
        intermediate: { aad: keyId(alice.publicKey) },
        backup,
      },
      {
        name: 'backup-bob-nfc',
        description:
          'bob\'s private key under "Passé secrète" typed precomposed (NFC); the decomposed (NFD) spelling opens it too',
        randomLabel: accentLabel,
        identity: 'bob',
        masterKey: 'Pass\u00e9 secr\u00e8te',
        unlockWith: ['Pass\u00e9 secr\u00e8te', 'Passe\u0301 secre\u0300te'],
        intermediate: { aad: keyId(ids.bob.publicKey) },
        backup: accentBackup,
      },
    ],
    negativeBackups: [
      {
        name: 'wrong-master-key',
        description: 'backup-alice with a master key differing in one letter',
        backup,
        identity: 'alice',
        masterKey: 'correct horse battery staple 密钥',
        error: 'WrongMasterKey',
      },
      {
        name: 'other-public-key',
        description: "backup-alice unlocked for bob's public key (the AAD is bob's keyId)",
        backup,
        identity: 'bob',
        masterKey,
        error: 'WrongMasterKey',
      },
      {
        name: 'tampered-salt',
        description: 'backup-alice with the first salt byte flipped',
        backup: { ...backup, salt: flipByte(backup.salt, 0) },
        identity: 'alice',
        masterKey,
        error: 'WrongMasterKey',
      },
      {
        name: 'iterations-too-high',
        description: 'backup-alice claiming 1 000 001 iterations, above the bound',
        backup: { ...backup, iter: 1_000_001 },
        identity: 'alice',
        masterKey,
        error: 'Malformed',
      },
      {
        name: 'duplicate-iter',
        description:
          'backup-alice as JSON text with iter 1 000 000 before the real one: a parser that keeps the last member would unlock it',
        backupText: withMemberFirst(backup, 'iter', 1_000_000),
        identity: 'alice',
        masterKey,
        error: 'Malformed',
      },
      {
        name: 'unknown-kdf',
        description: 'backup-alice naming another KDF',
        backup: { ...backup, kdf: 'argon2id' },
        identity: 'alice',
        masterKey,
        error: 'UnsupportedVersion',
      },
    ],
    ...keyChangeVectors(ids),
  };
}

/** When the key-change vectors were signed. */
const KEY_CHANGE_AT = '2026-11-25T08:30:00.000Z';

/** The key-change statements (docs/protocol.md §10): valid ones, then ones that must be refused. */
function keyChangeVectors(ids: Record<User, Identity>) {
  const alice = ids.alice;
  const next = vectorNextIdentity('alice');
  const sign = (old: Identity, newPublicKey: Uint8Array, label: string) =>
    signKeyChange({ old, newPublicKey }, { now: new Date(KEY_CHANGE_AT), random: vectorRandom(label) });
  const resign = (statement: Omit<KeyChange, 'sig'>, signer: Identity, label: string): KeyChange => ({
    ...statement,
    sig: base64urlEncode(sm2Sign(signer.privateKey, keyChangeSignedBytes(statement), vectorRandom(label))),
  });
  const rotateLabel = 'mifeng/protocol-v1/vectors/key-change-alice-rotates';
  const rotate = sign(alice, next.publicKey, rotateLabel);
  const { sig: _sig, ...unsignedRotate } = rotate;
  const sameLabel = 'mifeng/protocol-v1/vectors/key-change-alice-same-key';
  return {
    nextIdentities: {
      alice: {
        user: 'alice',
        privateKey: base64urlEncode(next.privateKey),
        publicKey: base64urlEncode(next.publicKey),
        keyId: keyId(next.publicKey),
      },
    },
    keyChanges: [
      {
        name: 'alice-rotates',
        description: "alice's key vouches for her next key (nextIdentities.alice)",
        randomLabel: rotateLabel,
        user: 'alice',
        oldPublicKey: base64urlEncode(alice.publicKey),
        newPublicKey: base64urlEncode(next.publicKey),
        intermediate: { signedBytes: utf8Decode(keyChangeSignedBytes(rotate)) },
        statement: rotate,
      },
      {
        name: 'alice-same-key',
        description: "alice's key vouches for itself: a new backup or a new name, no new key",
        randomLabel: sameLabel,
        user: 'alice',
        oldPublicKey: base64urlEncode(alice.publicKey),
        newPublicKey: base64urlEncode(alice.publicKey),
        intermediate: {
          signedBytes: utf8Decode(keyChangeSignedBytes(sign(alice, alice.publicKey, sameLabel))),
        },
        statement: sign(alice, alice.publicKey, sameLabel),
      },
    ],
    negativeKeyChanges: [
      {
        name: 'signed-by-new-key',
        description:
          'alice-rotates signed by the new key instead of the old one (a thief without the old key)',
        statement: resign(unsignedRotate, next, 'mifeng/protocol-v1/vectors/key-change-signed-by-new-key'),
        user: 'alice',
        oldPublicKey: base64urlEncode(alice.publicKey),
        newPublicKey: base64urlEncode(next.publicKey),
        error: 'invalid',
      },
      {
        name: 'other-user',
        description: 'alice-rotates with user changed to bob, signature kept',
        statement: { ...rotate, user: 'bob' },
        user: 'bob',
        oldPublicKey: base64urlEncode(alice.publicKey),
        newPublicKey: base64urlEncode(next.publicKey),
        error: 'invalid',
      },
      {
        name: 'later-time',
        description: 'alice-rotates with at moved a day later, signature kept (a replay made to look fresh)',
        statement: { ...rotate, at: '2026-11-26T08:30:00.000Z' },
        user: 'alice',
        oldPublicKey: base64urlEncode(alice.publicKey),
        newPublicKey: base64urlEncode(next.publicKey),
        error: 'invalid',
      },
      {
        name: 'other-new-key',
        description: "alice-rotates with newPublicKey and newKey swapped for bob's key, signature kept",
        statement: {
          ...rotate,
          newPublicKey: base64urlEncode(ids.bob.publicKey),
          newKey: keyId(ids.bob.publicKey),
        },
        user: 'alice',
        oldPublicKey: base64urlEncode(alice.publicKey),
        newPublicKey: base64urlEncode(ids.bob.publicKey),
        error: 'invalid',
      },
      {
        name: 'new-key-id-mismatch',
        description: "alice-rotates with newKey naming bob's key while newPublicKey stays",
        statement: { ...rotate, newKey: keyId(ids.bob.publicKey) },
        user: 'alice',
        oldPublicKey: base64urlEncode(alice.publicKey),
        newPublicKey: base64urlEncode(next.publicKey),
        error: 'Malformed',
      },
      {
        name: 'duplicate-new-public-key',
        description: "alice-rotates as JSON text with bob's key as newPublicKey before the real one",
        statement: withMemberFirst(rotate, 'newPublicKey', base64urlEncode(ids.bob.publicKey)),
        user: 'alice',
        oldPublicKey: base64urlEncode(alice.publicKey),
        newPublicKey: base64urlEncode(next.publicKey),
        error: 'Malformed',
      },
      {
        name: 'unsupported-version',
        description: 'alice-rotates with v = 2',
        statement: { ...rotate, v: 2 },
        user: 'alice',
        oldPublicKey: base64urlEncode(alice.publicKey),
        newPublicKey: base64urlEncode(next.publicKey),
        error: 'UnsupportedVersion',
      },
      {
        name: 'envelope-type',
        description: 'alice-rotates with another type, signature kept',
        statement: { ...rotate, type: 'mifeng-envelope' },
        user: 'alice',
        oldPublicKey: base64urlEncode(alice.publicKey),
        newPublicKey: base64urlEncode(next.publicKey),
        error: 'Malformed',
      },
    ],
  };
}

/** The file's exact text. */
export function vectorsText(): string {
  return `${JSON.stringify(buildVectors(), null, 2)}\n`;
}

/** Writes `text` to `path`, or with `--check` exits 1 when the file differs (`command` regenerates it). */
export function writeOrCheck(path: string, text: string, command: string): void {
  if (process.argv.includes('--check')) {
    const current = readFileSync(path, 'utf8');
    if (current !== text) {
      console.error(`${path} is out of date: run ${command}`);
      process.exit(1);
    }
    console.log(`${path} is up to date`);
  } else {
    writeFileSync(path, text);
    console.log(`wrote ${path} (${text.length} bytes)`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeOrCheck(VECTORS_PATH, vectorsText(), 'npx tsx scripts/make-vectors.ts');
}
