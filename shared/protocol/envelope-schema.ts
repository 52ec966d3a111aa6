/**
 * zod schemas of the envelope, versions 1 to 3 (docs/protocol.md §Envelope). Apart from the
 * other protocol schemas because versions 2 and 3 embed a signed tree head of the transparency log.
 *
 * Version 2 adds three members to the header, so they are covered by the GCM AAD and by the
 * signature like everything else the sender decides:
 *   head      the log's signed tree head the sender checked its recipients' keys against, or null
 *   commit    base64url(SM3(UTF-8(KEY_COMMITMENT_LABEL) ‖ 00 ‖ id ‖ DEK)), the key commitment
 *   maxOpens  opens allowed per recipient: 1 to MAX_OPENS_LIMIT, or null for no limit
 *
 * Version 3 has version 2's members; a recipient entry carries either its `wrap` or, once the
 * server purged it, only its `wrapHash` (the signature covers the hash, so it holds either way).
 */
import * as z from 'zod/mini';
import { base64urlLength, isBase64url } from '../encoding';
import { SignedTreeHeadSchema } from '../transparency/head';
import {
  IV_LENGTH,
  KEY_COMMITMENT_LENGTH,
  MAX_CIPHERTEXT_BYTES,
  MAX_OPENS_LIMIT,
  MAX_RECIPIENTS,
  MIN_CIPHERTEXT_BYTES,
  PADDING_BLOCK,
  TAG_LENGTH,
  WRAP_HASH_LENGTH,
  WRAP_LENGTH,
} from './limits';
import {
  bytesField,
  decodedLength,
  EnvelopeIdSchema,
  KeyIdSchema,
  pointField,
  SignatureSchema,
  TimestampSchema,
  UserIdSchema,
} from './schema';

/** The members of a recipient entry that the envelope header keeps: who, under which key. */
const RECIPIENT_HEADER_SHAPE = { user: UserIdSchema, key: KeyIdSchema };

/** One recipient entry: who, under which key, and the DEK wrapped to that key. */
export const RecipientSchema = z.strictObject({
  ...RECIPIENT_HEADER_SHAPE,
  wrap: pointField(WRAP_LENGTH, 'wrap'),
});
export type Recipient = z.infer<typeof RecipientSchema>;

/**
 * A version 3 recipient entry: as in version 1 and 2 with its `wrap`, or — once the server purged
 * that wrap — with its `wrapHash` instead. Exactly one of the two.
 */
export const RecipientV3Schema = z
  .strictObject({
    ...RECIPIENT_HEADER_SHAPE,
    wrap: z.optional(pointField(WRAP_LENGTH, 'wrap')),
    wrapHash: z.optional(bytesField(WRAP_HASH_LENGTH, 'wrapHash')),
  })
  .check(
    z.refine(
      (entry) => (entry.wrap === undefined) !== (entry.wrapHash === undefined),
      'a recipient carries exactly one of wrap and wrapHash',
    ),
  );
export type RecipientV3 = z.infer<typeof RecipientV3Schema>;

const recipientList = <T extends z.ZodMiniType>(entry: T) =>
  z.array(entry).check(z.minLength(1), z.maxLength(MAX_RECIPIENTS));

/**
 * The version 1 header: every member but `ct` and `sig`, and the recipients without `wrap`. It is
 * what SM4-GCM authenticates as AAD, and the envelope schemas below are built on it, so the
 * header's member list is written only here.
 */
const ENVELOPE_V1_HEADER_SHAPE = {
  v: z.literal(1),
  id: EnvelopeIdSchema,
  sender: UserIdSchema,
  senderKey: KeyIdSchema,
  createdAt: TimestampSchema,
  expiresAt: z.nullable(TimestampSchema),
  recipients: recipientList(z.strictObject(RECIPIENT_HEADER_SHAPE)),
  iv: bytesField(IV_LENGTH, 'iv'),
};

/** A read limit: opens allowed per recipient (1 = burn after reading), or null for no limit. */
export const MaxOpensSchema = z.nullable(z.int().check(z.gte(1), z.lte(MAX_OPENS_LIMIT)));

/** The version 2 header: version 1's and the log head, the key commitment and the read limit. */
const ENVELOPE_V2_HEADER_SHAPE = {
  ...ENVELOPE_V1_HEADER_SHAPE,
  v: z.literal(2),
  head: z.nullable(SignedTreeHeadSchema),
  commit: bytesField(KEY_COMMITMENT_LENGTH, 'commit'),
  maxOpens: MaxOpensSchema,
};

/** The version 3 header: version 2's, under another `v`. */
const ENVELOPE_V3_HEADER_SHAPE = { ...ENVELOPE_V2_HEADER_SHAPE, v: z.literal(3) };

const EnvelopeV1HeaderSchema = z.strictObject(ENVELOPE_V1_HEADER_SHAPE);
const EnvelopeV2HeaderSchema = z.strictObject(ENVELOPE_V2_HEADER_SHAPE);
const EnvelopeV3HeaderSchema = z.strictObject(ENVELOPE_V3_HEADER_SHAPE);
export type EnvelopeV1Header = z.infer<typeof EnvelopeV1HeaderSchema>;
export type EnvelopeV2Header = z.infer<typeof EnvelopeV2HeaderSchema>;
export type EnvelopeV3Header = z.infer<typeof EnvelopeV3HeaderSchema>;
export type EnvelopeHeader = EnvelopeV1Header | EnvelopeV2Header | EnvelopeV3Header;

/** Each version's header member names, for copying exactly the header out of an envelope. */
export const ENVELOPE_HEADER_MEMBERS = {
  1: Object.keys(ENVELOPE_V1_HEADER_SHAPE) as (keyof EnvelopeV1Header)[],
  2: Object.keys(ENVELOPE_V2_HEADER_SHAPE) as (keyof EnvelopeV2Header)[],
  3: Object.keys(ENVELOPE_V3_HEADER_SHAPE) as (keyof EnvelopeV3Header)[],
} as const;
/** The recipient members the header keeps. */
export const RECIPIENT_HEADER_MEMBERS = Object.keys(RECIPIENT_HEADER_SHAPE) as (keyof Recipient)[];

/** Envelope ciphertext: padded plaintext (1–80 blocks of 256 bytes) and the 16-byte tag. */
const EnvelopeCiphertextSchema = z.string().check(
  z.refine((s) => {
    if (!isBase64url(s) || s.length > base64urlLength(MAX_CIPHERTEXT_BYTES)) return false;
    const length = decodedLength(s);
    return length >= MIN_CIPHERTEXT_BYTES && (length - TAG_LENGTH) % PADDING_BLOCK === 0;
  }, `ct must be base64url of 256·k + 16 bytes, at most ${MAX_CIPHERTEXT_BYTES}`),
);

/** The rules across members that every version shares. */
const envelopeRules = z.superRefine(
  (
    envelope: {
      sender: string;
      senderKey: string;
      createdAt: string;
      expiresAt: string | null;
      recipients: { user: string; key: string }[];
    },
    ctx,
  ) => {
    const users = new Set<string>();
    for (const [index, recipient] of envelope.recipients.entries()) {
      if (users.has(recipient.user)) {
        ctx.addIssue({
          code: 'custom',
          message: 'duplicate recipient user',
          path: ['recipients', index, 'user'],
        });
      }
      users.add(recipient.user);
    }
    const own = envelope.recipients.find((r) => r.user === envelope.sender);
    if (!own) {
      ctx.addIssue({
        code: 'custom',
        message: 'the sender must be among the recipients',
        path: ['recipients'],
      });
    } else if (own.key !== envelope.senderKey) {
      ctx.addIssue({
        code: 'custom',
        message: "the sender's entry must use senderKey",
        path: ['recipients'],
      });
    }
    if (envelope.expiresAt !== null && Date.parse(envelope.expiresAt) <= Date.parse(envelope.createdAt)) {
      ctx.addIssue({ code: 'custom', message: 'expiresAt must be after createdAt', path: ['expiresAt'] });
    }
  },
);

const SEALED_MEMBERS = {
  recipients: recipientList(RecipientSchema),
  ct: EnvelopeCiphertextSchema,
  sig: SignatureSchema,
};

/** A sealed letter of version 1 (docs/protocol.md §Envelope). */
export const EnvelopeV1Schema = z
  .strictObject({ ...ENVELOPE_V1_HEADER_SHAPE, ...SEALED_MEMBERS })
  .check(envelopeRules);
export type EnvelopeV1 = z.infer<typeof EnvelopeV1Schema>;

/** A sealed letter of version 2 (docs/protocol.md §Envelope version 2). */
export const EnvelopeV2Schema = z
  .strictObject({ ...ENVELOPE_V2_HEADER_SHAPE, ...SEALED_MEMBERS })
  .check(envelopeRules);
export type EnvelopeV2 = z.infer<typeof EnvelopeV2Schema>;

/** A sealed letter of version 3 (docs/protocol.md §Envelope version 3). */
export const EnvelopeV3Schema = z
  .strictObject({
    ...ENVELOPE_V3_HEADER_SHAPE,
    ...SEALED_MEMBERS,
    recipients: recipientList(RecipientV3Schema),
  })
  .check(envelopeRules);
export type EnvelopeV3 = z.infer<typeof EnvelopeV3Schema>;

/** A sealed letter of any readable version, told apart by `v`. */
export const EnvelopeSchema = z.discriminatedUnion('v', [
  EnvelopeV1Schema,
  EnvelopeV2Schema,
  EnvelopeV3Schema,
]);
export type Envelope = EnvelopeV1 | EnvelopeV2 | EnvelopeV3;
