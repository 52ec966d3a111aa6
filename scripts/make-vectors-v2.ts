/**
 * Generates tests/vectors/protocol-v2.json, the published test vectors of envelope version 2
 * (docs/protocol.md §Envelope version 2): letters carrying a log head, a key commitment and a read
 * limit, and letters that must be refused. Version 3 has the same members, so its vectors
 * (scripts/make-vectors-v3.ts) are the same letters built here with `buildLimitVectors(3)`, plus
 * the wrap hashes, letters with a purged wrap and the refusals only version 3 has.
 *
 *   npx tsx scripts/make-vectors-v2.ts           writes the file
 *   npx tsx scripts/make-vectors-v2.ts --check   exits 1 if the file differs from what it would write
 *
 * Keys and randomness as in the version 1 vectors (scripts/make-vectors.ts), under labels
 * "mifeng/protocol-v<version>/vectors/…"; the log key is the transparency vectors' (user "log").
 * Sealing draws from the stream in version 1's order: the commitment is computed, not drawn.
 */
import { fileURLToPath } from 'node:url';
import { sm2Decrypt, sm2Encrypt, sm2Sign, sm3 } from '../shared/crypto';
import { base64urlDecode, base64urlEncode, utf8Decode, utf8Encode } from '../shared/encoding';
import {
  canonicalize,
  type EnvelopeV2,
  type EnvelopeV3,
  envelopeAad,
  KEY_COMMITMENT_LABEL,
  keyId,
  MAX_OPENS_LIMIT,
  purgeWrap,
  recipientWrapHash,
  sealEnvelope,
  signedBytes,
  type UnsignedEnvelope,
  WRAP_HASH_LABEL,
} from '../shared/protocol';
import { signTreeHead } from '../shared/transparency';
import {
  CREATED_AT,
  caseInput,
  type EnvelopeCase,
  USERS,
  type User,
  userIdentities,
  vectorIdentity,
  vectorRandom,
  withMemberFirst,
  writeOrCheck,
} from './make-vectors';

export const VECTORS_V2_PATH = fileURLToPath(new URL('../tests/vectors/protocol-v2.json', import.meta.url));

const EXPIRES_AT = '2026-11-27T12:00:00.000Z';
const OPENED_AT = '2026-11-24T13:00:00.000Z';
/** The head the senders checked: the log as it stood a minute before sealing. */
const HEAD_TIME = '2026-11-24T11:59:00.000Z';

/** An envelope version these vectors are built for. */
export type LimitVersion = 2 | 3;
type Sealed = EnvelopeV2 | EnvelopeV3;

interface Case extends EnvelopeCase {
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

/** Builds the whole vector file of `version` as a JSON value. */
export function buildLimitVectors(version: LimitVersion) {
  const LABEL = `mifeng/protocol-v${version}/vectors`;
  const ids = userIdentities();
  const log = vectorIdentity('log');
  const head = signTreeHead(
    log,
    { size: 42, root: sm3(utf8Encode(`${LABEL}/root`)), time: new Date(HEAD_TIME) },
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
      { now: new Date(CREATED_AT), random: vectorRandom(`${LABEL}/${c.name}`), version },
    ) as Sealed;
  const sealed = Object.fromEntries(CASES.map((c) => [c.name, seal(c)])) as Record<string, Sealed>;

  const envelopes = CASES.map((c) => {
    const envelope = sealed[c.name]!;
    const own = envelope.recipients[0]!;
    const dek = sm2Decrypt(ids[own.user as User].privateKey, base64urlDecode(own.wrap!));
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
        ...caseInput(c),
        head: c.withHead ? 'head' : null,
        maxOpens: c.maxOpens,
      },
      intermediate: {
        dek: base64urlEncode(dek),
        commitInputHex: Buffer.from(commitInput).toString('hex'),
        commit: envelope.commit,
        ...(version === 3
          ? {
              wrapHashes: envelope.recipients.map((r) => ({
                user: r.user,
                inputHex: Buffer.from([
                  ...utf8Encode(WRAP_HASH_LABEL),
                  0,
                  ...base64urlDecode(r.wrap!),
                ]).toString('hex'),
                wrapHash: recipientWrapHash(r),
              })),
            }
          : {}),
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
    }) as Sealed;
  const otherHead = signTreeHead(
    log,
    { size: 43, root: sm3(utf8Encode(`${LABEL}/fork`)), time: new Date(HEAD_TIME) },
    vectorRandom(`${LABEL}/other-head`),
  );
  // carol's wrap replaced by a wrap of another DEK: the setting of the non-committing attack.
  const splitKey = (() => {
    const otherDek = sm3(utf8Encode(`${LABEL}/split-key/dek`)).subarray(0, 16);
    const wrap = base64urlEncode(
      sm2Encrypt(ids.carol.publicKey, otherDek, vectorRandom(`${LABEL}/split-key/wrap`)),
    );
    const recipients = two.recipients.map((r) => (r.user === 'carol' ? { ...r, wrap } : r));
    return resign({ ...unsignedTwo, recipients } as UnsignedEnvelope, 'split-key');
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
    ...(version === 3 ? wrapHashNegatives(two as EnvelopeV3, resign, negative) : []),
    negative('unsupported-version', 'burn-after-reading with v = 4', { ...one, v: 4 }, 'UnsupportedVersion'),
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
    description: `Mifeng envelope version ${version} test vectors (docs/protocol.md). Generated by scripts/make-vectors-v${version}.ts; identities and randomness as in protocol-v1.json; every binary value is base64url without padding unless named *Hex.`,
    version,
    commitment: {
      label: KEY_COMMITMENT_LABEL,
      algorithm: 'commit = SM3(UTF-8(label) || 00 || id || DEK), id and DEK as raw bytes (16 each)',
    },
    ...(version === 3
      ? {
          wrapHash: {
            label: WRAP_HASH_LABEL,
            algorithm:
              'wrapHash = SM3(UTF-8(label) || 00 || wrap), wrap as raw bytes (113); signed bytes write every recipient as {user, key, wrapHash}',
          },
        }
      : {}),
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
    ...(version === 3 ? { purgedEnvelopes: purgedEnvelopes(two as EnvelopeV3, OPENED_AT) } : {}),
    negativeEnvelopes,
  };
}

type Negative = (
  name: string,
  description: string,
  envelope: object | string,
  error: string,
  reader?: User,
) => object;

/**
 * Version 3 letters whose wraps the server purged, still signed by alice: three-opens with bob's
 * wrap purged, and with bob's and carol's (only alice, the sender, can still open it).
 */
function purgedEnvelopes(two: EnvelopeV3, now: string) {
  const bobPurged = purgeWrap(two, 'bob');
  return [
    {
      name: 'bob-purged',
      description:
        "three-opens after bob used his opens: his wrap replaced by its wrapHash, alice's signature kept",
      envelope: bobPurged,
      open: { now, readers: ['alice', 'carol'], purged: ['bob'], error: 'WrapPurged' },
    },
    {
      name: 'bob-and-carol-purged',
      description: 'three-opens after bob and carol both used their opens: only the sender can still open it',
      envelope: purgeWrap(bobPurged, 'carol'),
      open: { now, readers: ['alice'], purged: ['bob', 'carol'], error: 'WrapPurged' },
    },
  ];
}

/** Refusals only version 3 has: the wrap and its hash in one entry, neither, or a hash that lies. */
function wrapHashNegatives(
  two: EnvelopeV3,
  resign: (e: UnsignedEnvelope, label: string) => Sealed,
  negative: Negative,
) {
  const { sig: _sig, ...unsignedTwo } = two;
  const bob = two.recipients[1]!;
  const carol = two.recipients[2]!;
  const withBob = (entry: object) => ({
    ...two,
    recipients: two.recipients.map((r) => (r.user === 'bob' ? entry : r)),
  });
  const purged = purgeWrap(two, 'bob');
  const flipped = base64urlDecode(recipientWrapHash(bob));
  flipped[0]! ^= 0x01;
  // Signed over bob's wrap as it is, but listing the hash of carol's wrap for him.
  const lyingSender = (() => {
    const recipients = two.recipients.map((r) =>
      r.user === 'bob' ? { user: r.user, key: r.key, wrapHash: recipientWrapHash(carol) } : r,
    );
    const signed = resign({ ...unsignedTwo, recipients }, 'wrong-wrap-hash');
    return { ...signed, recipients: two.recipients };
  })();
  return [
    negative(
      'wrap-and-wrap-hash',
      "three-opens with bob's entry carrying both its wrap and its (correct) wrapHash",
      withBob({ ...bob, wrapHash: recipientWrapHash(bob) }),
      'Malformed',
      'carol',
    ),
    negative(
      'neither-wrap-nor-hash',
      "three-opens with bob's entry carrying neither wrap nor wrapHash",
      withBob({ user: bob.user, key: bob.key }),
      'Malformed',
      'carol',
    ),
    negative(
      'wrong-wrap-hash',
      "three-opens signed over a wrapHash for bob that is the hash of carol's wrap, served with bob's real wrap: the hash of the wrap is not what was signed",
      lyingSender,
      'BadSignature',
      'carol',
    ),
    negative(
      'tampered-wrap-hash',
      "bob-purged with the first byte of bob's wrapHash flipped, signature kept",
      {
        ...purged,
        recipients: purged.recipients.map((r) =>
          r.user === 'bob' ? { ...r, wrapHash: base64urlEncode(flipped) } : r,
        ),
      },
      'BadSignature',
      'carol',
    ),
    negative(
      'wrap-swapped',
      "three-opens with bob's wrap replaced by carol's, signature kept: the hash of each wrap is signed",
      withBob({ ...bob, wrap: carol.wrap }),
      'BadSignature',
      'carol',
    ),
    negative(
      'signed-as-version-2',
      'three-opens whose signature covers the wraps themselves, as version 2 signs them',
      { ...two, sig: resign({ ...unsignedTwo, v: 2 } as UnsignedEnvelope, 'signed-as-v2').sig },
      'BadSignature',
      'carol',
    ),
    negative(
      'labelled-v2',
      'three-opens labelled v = 2, signature kept',
      { ...two, v: 2 },
      'BadSignature',
      'carol',
    ),
    negative(
      'purged-labelled-v2',
      'bob-purged labelled v = 2: version 2 has no wrapHash',
      { ...purged, v: 2 },
      'Malformed',
      'carol',
    ),
    negative(
      'purged-reader',
      'bob opens bob-purged: his entry has only its hash left',
      purged,
      'WrapPurged',
      'bob',
    ),
  ];
}

/** The version 2 file's exact text. */
export function v2VectorsText(): string {
  return `${JSON.stringify(buildLimitVectors(2), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeOrCheck(VECTORS_V2_PATH, v2VectorsText(), 'npx tsx scripts/make-vectors-v2.ts');
}
