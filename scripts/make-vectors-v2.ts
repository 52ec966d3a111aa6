/**
 * Generates tests/vectors/protocol-v2.json, the published test vectors of envelope version 2
 * (docs/protocol.md §Envelope version 2): letters carrying a log head, a key commitment and a read
 * limit, and letters that must be refused.
 *
 *   npx tsx scripts/make-vectors-v2.ts           writes the file
 *   npx tsx scripts/make-vectors-v2.ts --check   exits 1 if the file differs from what it would write
 *
 * Keys and randomness as in the version 1 vectors (scripts/make-vectors.ts), under labels
 * "mifeng/protocol-v2/vectors/…"; the log key is the transparency vectors' (user "log"). Sealing
 * draws from the stream in version 1's order: the commitment is computed, not drawn.
 */
import { fileURLToPath } from 'node:url';
import { sm2Decrypt, sm2Encrypt, sm2Sign, sm3 } from '../shared/crypto';
import { base64urlDecode, base64urlEncode, utf8Decode, utf8Encode } from '../shared/encoding';
import {
  canonicalize,
  type EnvelopeV2,
  envelopeAad,
  type Identity,
  KEY_COMMITMENT_LABEL,
  keyId,
  MAX_OPENS_LIMIT,
  sealEnvelope,
  signedBytes,
  type UnsignedEnvelope,
} from '../shared/protocol';
import { signTreeHead } from '../shared/transparency';
import { vectorIdentity, vectorRandom, withMemberFirst, writeOrCheck } from './make-vectors';

export const VECTORS_V2_PATH = fileURLToPath(new URL('../tests/vectors/protocol-v2.json', import.meta.url));

const USERS = ['alice', 'bob', 'carol', 'erin'] as const;
type User = (typeof USERS)[number];

const CREATED_AT = '2026-11-24T12:00:00.000Z';
const EXPIRES_AT = '2026-11-27T12:00:00.000Z';
const OPENED_AT = '2026-11-24T13:00:00.000Z';
/** The head the senders checked: the log as it stood a minute before sealing. */
const HEAD_TIME = '2026-11-24T11:59:00.000Z';
const LABEL = 'mifeng/protocol-v2/vectors';

interface Case {
  name: string;
  description: string;
  sender: User;
  recipients: User[];
  content: string;
  remark?: string;
  expiresAt: string | null;
  withHead: boolean;
  maxOpens: number | null;
}

const CASES: Case[] = [
  {
    name: 'burn-after-reading',
    description:
      "alice to bob, with the log head she checked bob's key against, each recipient may open it once",
    sender: 'alice',
    recipients: ['bob'],
    content: 'The safe code is 4711.',
    remark: 'safe',
    expiresAt: EXPIRES_AT,
    withHead: true,
    maxOpens: 1,
  },
  {
    name: 'three-opens',
    description: 'alice to bob and carol, three opens each',
    sender: 'alice',
    recipients: ['bob', 'carol'],
    content: 'Wi-Fi: mifeng-home / correct horse battery staple 🔐',
    remark: 'Wi-Fi',
    expiresAt: EXPIRES_AT,
    withHead: true,
    maxOpens: 3,
  },
  {
    name: 'no-head-no-limit',
    description: 'bob to alice, permanent, no read limit and no log head (a sender that checked no log)',
    sender: 'bob',
    recipients: ['alice'],
    content: '永久保存的信',
    expiresAt: null,
    withHead: false,
    maxOpens: null,
  },
  {
    name: 'highest-limit',
    description: `carol to alice and bob with the highest read limit, ${MAX_OPENS_LIMIT}`,
    sender: 'carol',
    recipients: ['alice', 'bob'],
    content: 'x',
    expiresAt: EXPIRES_AT,
    withHead: true,
    maxOpens: MAX_OPENS_LIMIT,
  },
];

/** Builds the whole vector file as a JSON value. */
export function buildV2Vectors() {
  const ids = Object.fromEntries(USERS.map((u) => [u, vectorIdentity(u)])) as Record<User, Identity>;
  const log = vectorIdentity('log');
  const head = signTreeHead(
    log,
    { size: 42, root: sm3(utf8Encode('mifeng/protocol-v2/vectors/root')), time: new Date(HEAD_TIME) },
    vectorRandom(`${LABEL}/head`),
  );
  const seal = (c: Case) =>
    sealEnvelope(
      {
        sender: ids[c.sender],
        recipients: c.recipients.map((u) => ({ user: u, publicKey: ids[u].publicKey })),
        content: c.content,
        ...(c.remark === undefined ? {} : { remark: c.remark }),
        expiresAt: c.expiresAt === null ? null : new Date(c.expiresAt),
        head: c.withHead ? head : null,
        maxOpens: c.maxOpens,
      },
      { now: new Date(CREATED_AT), random: vectorRandom(`${LABEL}/${c.name}`) },
    ) as EnvelopeV2;
  const sealed = Object.fromEntries(CASES.map((c) => [c.name, seal(c)])) as Record<string, EnvelopeV2>;

  const envelopes = CASES.map((c) => {
    const envelope = sealed[c.name]!;
    const own = envelope.recipients[0]!;
    const dek = sm2Decrypt(ids[own.user as User].privateKey, base64urlDecode(own.wrap));
    const commitInput = new Uint8Array([
      ...utf8Encode(KEY_COMMITMENT_LABEL),
      0,
      ...base64urlDecode(envelope.id),
      ...dek,
    ]);
    return {
      name: c.name,
      description: c.description,
      randomLabel: `${LABEL}/${c.name}`,
      input: {
        sender: c.sender,
        recipients: c.recipients,
        content: c.content,
        remark: c.remark ?? null,
        createdAt: CREATED_AT,
        expiresAt: c.expiresAt,
        head: c.withHead ? 'head' : null,
        maxOpens: c.maxOpens,
      },
      intermediate: {
        dek: base64urlEncode(dek),
        commitInputHex: Buffer.from(commitInput).toString('hex'),
        commit: envelope.commit,
        aad: utf8Decode(envelopeAad(envelope)),
        signedBytes: utf8Decode(signedBytes(envelope)),
        plaintext: canonicalize({ content: c.content, remark: c.remark ?? '' }),
      },
      envelope,
      open: {
        now: OPENED_AT,
        readers: envelope.recipients.map((r) => r.user),
        expect: { content: c.content, remark: c.remark ?? '' },
        maxOpens: c.maxOpens,
      },
    };
  });

  const one = sealed['burn-after-reading']!;
  const two = sealed['three-opens']!;
  const alice = ids.alice;
  const { sig: _sig, ...unsignedOne } = one;
  const { sig: _sig2, ...unsignedTwo } = two;
  const resign = (envelope: UnsignedEnvelope, label: string) =>
    ({
      ...envelope,
      sig: base64urlEncode(
        sm2Sign(alice.privateKey, signedBytes(envelope), vectorRandom(`${LABEL}/${label}/sig`)),
      ),
    }) as EnvelopeV2;
  const otherHead = signTreeHead(
    log,
    { size: 43, root: sm3(utf8Encode('mifeng/protocol-v2/vectors/fork')), time: new Date(HEAD_TIME) },
    vectorRandom(`${LABEL}/other-head`),
  );
  // carol's wrap replaced by a wrap of another DEK: the setting of the non-committing attack.
  const splitKey = (() => {
    const otherDek = sm3(utf8Encode(`${LABEL}/split-key/dek`)).subarray(0, 16);
    const wrap = base64urlEncode(
      sm2Encrypt(ids.carol.publicKey, otherDek, vectorRandom(`${LABEL}/split-key/wrap`)),
    );
    const recipients = two.recipients.map((r) => (r.user === 'carol' ? { ...r, wrap } : r));
    return resign({ ...unsignedTwo, recipients }, 'split-key');
  })();
  const negative = (
    name: string,
    description: string,
    envelope: object | string,
    error: string,
    reader: User = 'bob',
  ) => ({
    name,
    description,
    ...(typeof envelope === 'string' ? { envelopeText: envelope } : { envelope }),
    reader,
    sender: 'alice',
    now: OPENED_AT,
    error,
  });
  const negativeEnvelopes = [
    negative(
      'bad-commitment-resigned',
      'burn-after-reading with commit replaced by SM3 of itself, signed again by alice: the unwrapped key does not match',
      resign({ ...unsignedOne, commit: base64urlEncode(sm3(base64urlDecode(one.commit))) }, 'bad-commitment'),
      'Tampered',
    ),
    negative(
      'split-key-resigned',
      "three-opens with carol's wrap holding another DEK, signed again by alice: carol's key fails the commitment before GCM",
      splitKey,
      'Tampered',
      'carol',
    ),
    negative(
      'head-altered',
      'burn-after-reading with another signed head of the same log, signature kept',
      { ...one, head: otherHead },
      'BadSignature',
    ),
    negative(
      'head-removed',
      'burn-after-reading with head set to null, signature kept',
      { ...one, head: null },
      'BadSignature',
    ),
    negative(
      'max-opens-raised',
      'burn-after-reading with maxOpens raised to 5, signature kept',
      { ...one, maxOpens: 5 },
      'BadSignature',
    ),
    negative(
      'max-opens-removed',
      'burn-after-reading with maxOpens set to null (no limit), signature kept',
      { ...one, maxOpens: null },
      'BadSignature',
    ),
    negative(
      'max-opens-zero',
      'burn-after-reading with maxOpens 0, signed again by alice',
      resign({ ...unsignedOne, maxOpens: 0 }, 'max-opens-zero'),
      'Malformed',
    ),
    negative(
      'commit-missing',
      'burn-after-reading without commit',
      (({ commit: _c, ...rest }) => rest)(one),
      'Malformed',
    ),
    negative('v1-with-v2-members', 'burn-after-reading labelled v = 1', { ...one, v: 1 }, 'Malformed'),
    negative('unsupported-version', 'burn-after-reading with v = 3', { ...one, v: 3 }, 'UnsupportedVersion'),
    negative(
      'duplicate-sig',
      "burn-after-reading as JSON text with three-opens' sig before the real one",
      withMemberFirst(one, 'sig', two.sig),
      'Malformed',
    ),
    negative(
      'duplicate-max-opens',
      'burn-after-reading as JSON text with maxOpens null before the real 1: a parser keeping the first would see no limit',
      withMemberFirst(one, 'maxOpens', null),
      'Malformed',
    ),
    negative(
      'duplicate-head-size',
      'burn-after-reading as JSON text whose head gives size twice',
      JSON.stringify(one).replace(`"size":${one.head!.size}`, `"size":43,"size":${one.head!.size}`),
      'Malformed',
    ),
  ];

  return {
    description:
      'Mifeng envelope version 2 test vectors (docs/protocol.md). Generated by scripts/make-vectors-v2.ts; identities and randomness as in protocol-v1.json; every binary value is base64url without padding unless named *Hex.',
    version: 2,
    commitment: {
      label: KEY_COMMITMENT_LABEL,
      algorithm: 'commit = SM3(UTF-8(label) || 00 || id || DEK), id and DEK as raw bytes (16 each)',
    },
    identities: Object.fromEntries(
      USERS.map((u) => [
        u,
        {
          user: u,
          privateKey: base64urlEncode(ids[u].privateKey),
          publicKey: base64urlEncode(ids[u].publicKey),
          keyId: keyId(ids[u].publicKey),
        },
      ]),
    ),
    log: { publicKey: base64urlEncode(log.publicKey), keyId: keyId(log.publicKey), head },
    envelopes,
    negativeEnvelopes,
  };
}

/** The file's exact text. */
export function v2VectorsText(): string {
  return `${JSON.stringify(buildV2Vectors(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeOrCheck(VECTORS_V2_PATH, v2VectorsText(), 'npx tsx scripts/make-vectors-v2.ts');
}
