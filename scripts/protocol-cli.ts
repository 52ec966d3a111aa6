/**
 * `npm run protocol -- <command>`: the protocol by hand, over shared/ (docs/protocol.md §CLI).
 *
 * Identity files are {"user","privateKey","publicKey"}; recipient files may hold only
 * {"user","publicKey"}, or be what the API answers for a person (a lookup, an envelope's sender). Results go to stdout as JSON; failures print the typed error's name on
 * stderr and exit 1 (2 for usage errors).
 */
import { webcrypto } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setRandomSource } from '../shared/crypto';
import { base64urlDecode, base64urlEncode } from '../shared/encoding';
import { isMifengError } from '../shared/errors';
import {
  formatFingerprint,
  generateIdentity,
  type Identity,
  identityFromJson,
  identityToJson,
  keyId,
  openEnvelope,
  PUBLIC_KEY_LENGTH,
  type PublicIdentity,
  publicIdentityFromJson,
  sealEnvelope,
  sealKeyBackup,
  unlockKeyBackup,
} from '../shared/protocol';
import type { SignedTreeHead } from '../shared/transparency';

const USAGE = `usage: npm run protocol -- <command> [options]

  keygen [--user ID]                                   new identity JSON (random user id if none)
  seal --from ID.json --to A.json[,B.json…] --content TEXT
       [--remark TEXT] [--expires ISO|never] [--now ISO]
       [--max-opens N|none] [--head HEAD.json]         envelope JSON, version 3 (default expiry:
                                                       7 days, no read limit, no log head)
  open --as ID.json --sender-key KEY [--envelope FILE|-] [--now ISO]
                                                       {"content","remark"}
  backup --identity ID.json --master-key TEXT [--iter N]
                                                       key backup JSON
  unlock --backup FILE --public-key KEY --master-key TEXT
                                                       the private key (base64url)
  fingerprint --public-key KEY                         keyId and fingerprint digits

KEY is a base64url public key or a JSON file holding "publicKey".`;

/** Default lifetime of a sealed letter, matching the mini program's "1 week". */
const DEFAULT_EXPIRY_MS = 7 * 24 * 60 * 60 * 1000;

class UsageError extends Error {}

function readText(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

function readJson(path: string): unknown {
  return JSON.parse(readJsonText(path));
}

/**
 * The text of a JSON file, for the protocol's own parsers: they refuse a member name given twice,
 * which JSON.parse would hide by keeping the last.
 */
function readJsonText(path: string): string {
  const text = readText(path);
  try {
    JSON.parse(text);
  } catch {
    throw new UsageError(`${path} is not JSON`);
  }
  return text;
}

function required(values: Record<string, string | undefined>, name: string): string {
  const value = values[name];
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

function parseTime(text: string | undefined, name: string): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--${name} must be an ISO date`);
  return date;
}

function readIdentity(path: string): Identity {
  return identityFromJson(readJson(path));
}

/**
 * A recipient from a JSON file holding `user` and `publicKey`: a public identity, an identity file
 * (its private key is ignored), or what the API answers for a person — `POST /recipients/lookup`
 * or the `sender` of `GET /envelopes/:id` (`name` is ignored, `keyId` must match the key).
 */
function readRecipient(path: string): PublicIdentity {
  const json = readJson(path);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new UsageError(`${path}: a recipient file is a JSON object with "user" and "publicKey"`);
  }
  const { user, publicKey, keyId: claimed } = json as Record<string, unknown>;
  for (const [name, value] of [
    ['user', user],
    ['publicKey', publicKey],
  ] as const) {
    if (typeof value !== 'string') throw new UsageError(`${path}: "${name}" is missing or not a string`);
  }
  let recipient: PublicIdentity;
  try {
    recipient = publicIdentityFromJson({ user, publicKey });
  } catch (err) {
    throw new UsageError(`${path}: ${(err as Error).message}`);
  }
  if (claimed !== undefined && claimed !== keyId(recipient.publicKey)) {
    throw new UsageError(`${path}: "keyId" is not the key id of "publicKey"`);
  }
  return recipient;
}

/** A public key given inline as base64url, or as a JSON file with a `publicKey` member. */
function readPublicKey(value: string): Uint8Array {
  let text = value;
  if (existsSync(value)) {
    const json = readJson(value) as { publicKey?: unknown } | null;
    if (typeof json?.publicKey !== 'string') throw new UsageError(`${value} has no publicKey`);
    text = json.publicKey;
  }
  const bytes = base64urlDecode(text);
  if (bytes.length !== PUBLIC_KEY_LENGTH) throw new UsageError(`a public key is ${PUBLIC_KEY_LENGTH} bytes`);
  return bytes;
}

function print(value: unknown): void {
  process.stdout.write(`${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}\n`);
}

const COMMANDS: Record<string, (args: string[]) => void> = {
  keygen(args) {
    const { values } = parseArgs({ args, options: { user: { type: 'string' } } });
    const user = values.user ?? base64urlEncode(webcrypto.getRandomValues(new Uint8Array(16)));
    print(identityToJson(generateIdentity(user)));
  },

  seal(args) {
    const { values } = parseArgs({
      args,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        content: { type: 'string' },
        remark: { type: 'string' },
        expires: { type: 'string' },
        now: { type: 'string' },
        'max-opens': { type: 'string' },
        head: { type: 'string' },
      },
    });
    const maxOpens =
      values['max-opens'] === undefined || values['max-opens'] === 'none'
        ? null
        : Number(values['max-opens']);
    if (maxOpens !== null && !Number.isSafeInteger(maxOpens))
      throw new UsageError('--max-opens must be a whole number or none');
    const head = values.head === undefined ? null : (readJson(values.head) as SignedTreeHead);
    const sender = readIdentity(required(values, 'from'));
    const recipients = required(values, 'to')
      .split(',')
      .filter((p) => p !== '')
      .map(readRecipient);
    const now = parseTime(values.now, 'now') ?? new Date();
    const expires = values.expires ?? new Date(now.getTime() + DEFAULT_EXPIRY_MS).toISOString();
    const expiresAt = expires === 'never' ? null : (parseTime(expires, 'expires') as Date);
    const content = required(values, 'content');
    print(
      sealEnvelope(
        {
          sender,
          recipients,
          content,
          ...(values.remark === undefined ? {} : { remark: values.remark }),
          expiresAt,
          head,
          maxOpens,
        },
        { now },
      ),
    );
  },

  open(args) {
    const { values } = parseArgs({
      args,
      options: {
        as: { type: 'string' },
        'sender-key': { type: 'string' },
        envelope: { type: 'string', default: '-' },
        now: { type: 'string' },
      },
    });
    const reader = readIdentity(required(values, 'as'));
    const senderPublicKey = readPublicKey(required(values, 'sender-key'));
    const envelope = readJsonText(values.envelope);
    const now = parseTime(values.now, 'now');
    const { content, remark } = openEnvelope(envelope, { reader, senderPublicKey, ...(now ? { now } : {}) });
    print({ content, remark });
  },

  backup(args) {
    const { values } = parseArgs({
      args,
      options: { identity: { type: 'string' }, 'master-key': { type: 'string' }, iter: { type: 'string' } },
    });
    const identity = readIdentity(required(values, 'identity'));
    const iterations = values.iter === undefined ? undefined : Number(values.iter);
    if (iterations !== undefined && !Number.isSafeInteger(iterations))
      throw new UsageError('--iter must be an integer');
    print(
      sealKeyBackup(identity, required(values, 'master-key'), iterations === undefined ? {} : { iterations }),
    );
  },

  unlock(args) {
    const { values } = parseArgs({
      args,
      options: {
        backup: { type: 'string' },
        'public-key': { type: 'string' },
        'master-key': { type: 'string' },
      },
    });
    const backup = readJsonText(required(values, 'backup'));
    const publicKey = readPublicKey(required(values, 'public-key'));
    print(base64urlEncode(unlockKeyBackup(backup, publicKey, required(values, 'master-key'))));
  },

  fingerprint(args) {
    const { values } = parseArgs({ args, options: { 'public-key': { type: 'string' } } });
    const publicKey = readPublicKey(required(values, 'public-key'));
    print({ keyId: keyId(publicKey), fingerprint: formatFingerprint(publicKey) });
  },
};

function main(argv: string[]): number {
  const [command, ...args] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    console.error(`unknown command: ${command}\n\n${USAGE}`);
    return 2;
  }
  setRandomSource((length) => webcrypto.getRandomValues(new Uint8Array(length)));
  try {
    run(args);
    return 0;
  } catch (err) {
    if (isMifengError(err)) {
      console.error(`${err.name}: ${err.message}`);
      return 1;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof TypeError || err instanceof RangeError) {
      console.error(`${err.name}: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = main(process.argv.slice(2));
