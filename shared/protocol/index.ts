/** Protocol v1 (docs/protocol.md): envelopes, key backups, identities, canonical JSON, limits. */
export type { SealKeyBackupOptions } from './backup';
export { parseKeyBackup, sealKeyBackup, unlockKeyBackup } from './backup';
export { canonicalize } from './canonical';
export type {
  EnvelopeHeader,
  OpenedLetter,
  OpenOptions,
  SealInput,
  SealOptions,
  UnsignedEnvelope,
} from './envelope';
export {
  decodePlaintext,
  encodePlaintext,
  envelopeAad,
  envelopeHeader,
  openEnvelope,
  parseEnvelope,
  sealEnvelope,
  signedBytes,
  verifyEnvelopeSignature,
} from './envelope';
export type { Identity, PublicIdentity } from './identity';
export {
  FINGERPRINT_GROUP_DIGITS,
  FINGERPRINT_GROUPS,
  fingerprint,
  formatFingerprint,
  generateIdentity,
  identityFromJson,
  identityToJson,
  keyId,
  publicIdentityFromJson,
  publicIdentityToJson,
} from './identity';
export * from './limits';
export type {
  Envelope,
  IdentityJson,
  KeyBackup,
  KeyId,
  Plaintext,
  PrivateKey,
  PublicIdentityJson,
  PublicKey,
  Recipient,
  Timestamp,
  UserId,
} from './schema';
export {
  EnvelopeSchema,
  IdentityJsonSchema,
  isTimestamp,
  KeyBackupSchema,
  KeyIdSchema,
  PlaintextSchema,
  PrivateKeySchema,
  PublicIdentityJsonSchema,
  PublicKeySchema,
  RecipientSchema,
  TimestampSchema,
  UserIdSchema,
} from './schema';
