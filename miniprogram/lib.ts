/**
 * The mini program's single door to `shared/` and npm packages.
 *
 * scripts/build-lib.mjs bundles this file, with everything it reaches (shared/, sm-crypto-v2,
 * zod/mini, weapp-qrcode), into ONE module, dist/miniprogram/lib/mifeng.js. Every page, component
 * and service imports from here, and scripts/build-mp.mjs compiles those imports into
 * `require('<relative path>/lib/mifeng.js')`, so the third-party code ships exactly once. Importing
 * shared/ or an npm package any other way from miniprogram/ fails the build.
 *
 * Only what the mini program uses is listed, so the lib carries no dead weight.
 */
export { default as drawQrcode } from 'weapp-qrcode';
export type {
  AuthResponse,
  Box,
  CallInput,
  CallOutput,
  ClosedEnvelopeState,
  Contract,
  CreateEnvelopeResponse,
  EnvelopeJson,
  EnvelopeSender,
  EnvelopeState,
  EnvelopeStatus,
  EnvelopeSummary,
  ExpiryChoice,
  GetEnvelopeResponse,
  HttpRequest,
  HttpResponse,
  KeyBackupJson,
  KeyHistory,
  KeyInclusion,
  KeysSetResponse,
  ListEnvelopesResponse,
  LogEntry,
  LookupResponse,
  MeResponse,
  MyKeysResponse,
  NotificationKind,
  NotificationsResponse,
  PendingEntry,
  PendingInput,
  PendingState,
  RecipientRef,
  User,
  UserKeyResponse,
} from '../shared/api';
export {
  ApiError,
  authContract,
  CLIENT_CODES,
  call,
  closedStateOf,
  DAY_MS,
  ENVELOPE_STATE,
  EnvelopeIdSchema,
  EXPIRY_CHOICES,
  envelopesContract,
  expiresAtFor,
  idFromLetterUrl,
  isApiError,
  KEY_EVENT,
  letterUrl,
  logContract,
  MAX_EXPIRY_DAYS,
  MAX_NAME_LENGTH,
  meContract,
  NOTIFICATION_KIND,
  notificationsContract,
  PENDING_STATE,
  parseJsonBody,
  pendingContract,
  READ_LIMIT,
  RECIPIENT_STATUS,
  recipientsContract,
  retryAfterSeconds,
  retryDelayMs,
  UploadConflictError,
  uploadEnvelope,
} from '../shared/api';
export type { RandomPool } from '../shared/crypto';
export {
  createRandomPool,
  randomBytes,
  setRandomSource,
  sm2PrepareKey,
  sm2PublicKey,
} from '../shared/crypto';
export { base64urlDecode, base64urlEncode } from '../shared/encoding';
export type { ErrorName } from '../shared/errors';
export { ERRORS, isMifengError, MifengError } from '../shared/errors';
export type {
  ContactBook,
  Identity,
  KeyChange,
  KeyTrust,
  PublicIdentity,
  SealInput,
  TrustState,
  VerifyOutcome,
} from '../shared/protocol';
export {
  acceptKeyChange,
  DEFAULT_BACKUP_ITERATIONS,
  emptyContactBook,
  envelopeLogHead,
  envelopeMaxOpens,
  formatFingerprint,
  generateIdentity,
  IV_LENGTH,
  keyChangeKind,
  keyId,
  keyQrPayload,
  keyTrust,
  MAX_CONTENT_BYTES,
  MAX_REMARK_BYTES,
  MIN_BACKUP_ITERATIONS,
  openContactBook,
  openEnvelope,
  PRIVATE_KEY_LENGTH,
  parseKeyQr,
  pinContact,
  SALT_LENGTH,
  sealContactBook,
  sealEnvelope,
  sealKeyBackup,
  sealRandomLength,
  signKeyChange,
  unlockKeyBackup,
  verifyContact,
} from '../shared/protocol';
export type { SignedTreeHead } from '../shared/transparency';
export {
  checkHeadConsistency,
  checkKeyInclusion,
  followLogKeyRotations,
  unexplainedOwnKey,
  verifyTreeHead,
} from '../shared/transparency';
