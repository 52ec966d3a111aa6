/**
 * The one registry of Mifeng's typed errors, shared by the protocol, the server and the mini program.
 *
 * Each entry has a stable snake_case `code` (what the API sends and the mini program branches on),
 * an English `message` for logs and developers, and the HTTP `status` the API answers with.
 * People never see `code` or `message`: the mini program maps codes to its own Chinese/English text.
 */
export const ERRORS = {
  // Protocol (shared/protocol, shared/crypto)
  Malformed: { code: 'malformed', status: 400, message: 'The data does not match the protocol format' },
  UnsupportedVersion: { code: 'unsupported_version', status: 400, message: 'Unsupported protocol version' },
  BadSignature: { code: 'bad_signature', status: 400, message: 'The sender signature does not verify' },
  NotARecipient: { code: 'not_a_recipient', status: 403, message: 'This letter is not addressed to you' },
  WrapPurged: {
    code: 'wrap_purged',
    status: 410,
    message: "The server purged the reader's wrapped key: their opens were used or they removed the letter",
  },
  Tampered: { code: 'tampered', status: 400, message: 'The ciphertext failed authentication' },
  WrongMasterKey: {
    code: 'wrong_master_key',
    status: 400,
    message: 'The master key does not open this key backup',
  },
  Expired: { code: 'expired', status: 410, message: 'This letter has expired' },
  RandomNotReady: {
    code: 'random_not_ready',
    status: 500,
    message: 'The secure random pool is not filled yet; refusing to use anything weaker',
  },
  TooLarge: { code: 'too_large', status: 413, message: 'The content is larger than the protocol allows' },
  Rollback: {
    code: 'rollback',
    status: 409,
    message: 'This copy is older than one already seen (an old copy was served again)',
  },

  // WeChat (server/wechat): what the WeChat API answered, as the API reports it to the mini program
  WeChatInvalidCode: {
    code: 'wechat_invalid_code',
    status: 400,
    message: 'WeChat rejected the code as invalid, expired or already used',
  },
  WeChatRateLimited: {
    code: 'wechat_rate_limited',
    status: 429,
    message: 'WeChat is rate limiting requests',
  },
  WeChatBusy: { code: 'wechat_busy', status: 503, message: 'WeChat is busy; try again shortly' },
  WeChatError: { code: 'wechat_error', status: 502, message: 'WeChat answered with an unexpected error' },
  WeChatUnavailable: { code: 'wechat_unavailable', status: 503, message: 'WeChat could not be reached' },
  WeChatNotSubscribed: {
    code: 'wechat_not_subscribed',
    status: 409,
    message: 'The user refused or has no subscription left for this message template',
  },

  // HTTP API (server/): request, auth and resource errors
  ValidationFailed: { code: 'validation_failed', status: 400, message: 'The request is invalid' },
  MalformedJson: { code: 'malformed_json', status: 400, message: 'The request body is not valid JSON' },
  Unauthorized: { code: 'unauthorized', status: 401, message: 'A valid bearer token is required' },
  NotRegistered: {
    code: 'not_registered',
    status: 403,
    message: 'Finish registration (phone, name and key) before using this route',
  },
  Forbidden: { code: 'forbidden', status: 403, message: 'You may not do this' },
  NotFound: { code: 'not_found', status: 404, message: 'Not found' },
  NoSuchRecipient: {
    code: 'no_such_recipient',
    status: 404,
    message: 'No registered user has this name and phone number',
  },
  Revoked: { code: 'revoked', status: 410, message: 'The sender revoked this letter' },
  Burned: {
    code: 'burned',
    status: 410,
    message: 'Nobody can open this letter any more: its recipients used their opens or removed it',
  },
  OpensUsed: { code: 'opens_used', status: 410, message: 'You have used every open this letter allows' },
  NotClosed: {
    code: 'not_closed',
    status: 409,
    message: 'Only a revoked or expired letter can be removed from the sent box: revoke it first',
  },
  Conflict: { code: 'conflict', status: 409, message: 'The resource already exists' },
  PendingNotReady: {
    code: 'pending_not_ready',
    status: 409,
    message: 'Nobody has registered with this number and name yet',
  },
  PendingDelivered: {
    code: 'pending_delivered',
    status: 409,
    message: 'This pending letter was already delivered',
  },
  PhoneTaken: { code: 'phone_taken', status: 409, message: 'This phone number belongs to another account' },
  PhoneRequired: { code: 'phone_required', status: 409, message: 'Verify a phone number first' },
  InvalidPhone: { code: 'invalid_phone', status: 400, message: 'This is not a usable phone number' },
  InvalidPublicKey: {
    code: 'invalid_public_key',
    status: 400,
    message: 'The public key is not a valid SM2 point',
  },
  SenderMismatch: { code: 'sender_mismatch', status: 403, message: 'The envelope names another sender' },
  SenderKeyMismatch: {
    code: 'sender_key_mismatch',
    status: 400,
    message: "The envelope's sender key is not your current key",
  },
  RecipientKeyMismatch: {
    code: 'recipient_key_mismatch',
    status: 400,
    message: 'A recipient is unknown or the key id is not their current key',
  },
  SenderNotRecipient: {
    code: 'sender_not_recipient',
    status: 400,
    message: 'The sender must be among the recipients',
  },
  KeyChangeRequired: {
    code: 'key_change_required',
    status: 403,
    message: 'You already have a key: changing it needs a statement signed by your current key',
  },
  KeyChangeInvalid: {
    code: 'key_change_invalid',
    status: 400,
    message: 'The key-change statement does not verify (user, keys, time or signature)',
  },
  KeyChangeStale: {
    code: 'key_change_stale',
    status: 409,
    message: 'The key-change statement does not name your current key, or is not newer than the last one',
  },
  FreshLoginRequired: {
    code: 'fresh_login_required',
    status: 403,
    message:
      'Sign in with WeChat again: a key reset or an account deletion is allowed only just after a fresh sign-in',
  },
  ContactsStale: {
    code: 'contacts_stale',
    status: 409,
    message: 'The contact book changed since it was read: the counter must be the stored one plus 1',
  },
  ClockSkew: { code: 'clock_skew', status: 400, message: 'createdAt is too far from the server clock' },
  InvalidExpiry: {
    code: 'invalid_expiry',
    status: 400,
    message: 'expiresAt must be in the future and within the allowed maximum',
  },
  PayloadTooLarge: { code: 'payload_too_large', status: 413, message: 'The request body is too large' },
  UnsupportedMediaType: {
    code: 'unsupported_media_type',
    status: 415,
    message: 'Send the body as application/json',
  },
  RateLimited: { code: 'rate_limited', status: 429, message: 'Too many requests; slow down' },
  QuotaActiveLetters: {
    code: 'quota_active_letters',
    status: 429,
    message: 'You have as many active letters as allowed; revoke one or wait for one to expire',
  },
  QuotaLettersPerDay: {
    code: 'quota_letters_per_day',
    status: 429,
    message: 'You have sent as many letters in the last 24 hours as allowed',
  },
  QuotaStoredBytes: {
    code: 'quota_stored_bytes',
    status: 413,
    message: 'Your active letters take up as much space as allowed; revoke some first',
  },
  Unavailable: { code: 'unavailable', status: 503, message: 'The service is temporarily unavailable' },
  BadRequest: { code: 'bad_request', status: 400, message: 'The request was rejected' },
  Internal: { code: 'internal', status: 500, message: 'Internal server error' },
} as const satisfies Record<string, { code: string; status: number; message: string }>;

export type ErrorName = keyof typeof ERRORS;
export type ErrorCode = (typeof ERRORS)[ErrorName]['code'];

/** Every registry code, for schemas that type the API's error bodies. */
export const ERROR_CODES = Object.values(ERRORS).map((entry) => entry.code) as [ErrorCode, ...ErrorCode[]];

const CODES: ReadonlySet<unknown> = new Set(ERROR_CODES);

/** True when `value` is one of the registry's codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return CODES.has(value);
}

/** A typed, coded error. `name` is the registry key (`BadSignature`), `code` its wire form. */
export class MifengError extends Error {
  override readonly name: ErrorName;
  readonly code: ErrorCode;
  readonly status: number;

  constructor(name: ErrorName, detail?: string, options?: { cause?: unknown }) {
    const entry = ERRORS[name];
    super(detail ? `${entry.message}: ${detail}` : entry.message, options);
    this.name = name;
    this.code = entry.code;
    this.status = entry.status;
  }
}

/** True when `err` is a MifengError, optionally of the given name. */
export function isMifengError(err: unknown, name?: ErrorName): err is MifengError {
  return err instanceof MifengError && (name === undefined || err.name === name);
}
