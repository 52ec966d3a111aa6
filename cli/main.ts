/**
 * `npx mifeng <command>`: the Mifeng client for a terminal (docs/cli.md), on the same contract
 * client as the mini program (shared/api) and the same protocol (shared/protocol). Letters are
 * sealed and opened here; the server sees only ciphertext, as with the mini program.
 *
 * Output is for people; failures print `mifeng <command>: <what went wrong>` on stderr and exit 1
 * (2 for usage errors).
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import {
  ApiError,
  authContract,
  type CallInput,
  type CallOutput,
  type Contract,
  call,
  EnvelopeIdSchema,
  type EnvelopeSummary,
  EXPIRY,
  EXPIRY_CHOICES,
  envelopesContract,
  expiresAtFor,
  fetchTransport,
  idFromLetterUrl,
  meContract,
  recipientsContract,
} from '../shared/api';
import { setRandomSource } from '../shared/crypto';
import { base64urlDecode, base64urlEncode } from '../shared/encoding';
import { isMifengError } from '../shared/errors';
import {
  formatFingerprint,
  generateIdentity,
  type Identity,
  openEnvelope,
  sealEnvelope,
  sealKeyBackup,
  unlockKeyBackup,
} from '../shared/protocol';
import { CliError, readKeys, readSession, type Session, writeKeys, writeSession } from './home';
import { readMasterKey, restOfStdin } from './master-key';

setRandomSource((n) => new Uint8Array(nodeRandomBytes(n)));

/** Where `login` goes when neither `--server` nor `MIFENG_SERVER` says otherwise (`npm start`). */
const DEFAULT_SERVER = 'http://127.0.0.1:3000';

const EXPIRES_HELP = `${EXPIRY_CHOICES.map((c) => EXPIRY[c].short).join('|')}|YYYY-MM-DD`;

const USAGE = `usage: mifeng <command> [options]

  login [--server URL] (--dev [--openid ID] | --token-file FILE)
                              sign in: the dev login, or a bearer token kept in a file
  register --name NAME [--phone PHONE] [--iterations N]
                              new key pair; its backup sealed under your master key
  whoami                      your account, key id and key fingerprint
  send --to NAME:PHONE [--to …] --expires ${EXPIRES_HELP}
       [--remark TEXT] [--file FILE]
                              seal and send a letter (content from FILE or stdin)
  open ID|URL                 fetch, check and decrypt a letter
  inbox | sent                your letters, newest first
  revoke ID|URL               revoke a letter you sent

The master key is asked at a hidden prompt, or read as the first line of stdin (then the letter's
content is the rest of stdin). Files live in $MIFENG_HOME (default ~/.mifeng).`;

class UsageError extends Error {}

/** The contract client over fetch to the session's server, as the session's user. */
function api(session: Pick<Session, 'server'> & { token?: string }) {
  const transport = fetchTransport(session.server, { fetch, token: () => session.token });
  return <C extends Contract>(contract: C, input: CallInput<C>): Promise<CallOutput<C>> =>
    call(contract, input, transport);
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

type OptionsSpec = NonNullable<ParseArgsConfig['options']>;

/** Parses a command's arguments; unknown or malformed options are usage errors. */
function options<T extends OptionsSpec>(args: string[], spec: T) {
  try {
    return parseArgs({ args, options: spec, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The envelope id in an id or a letter link. */
function letterId(text: string | undefined): string {
  if (text === undefined) throw new UsageError('give the letter as its id or its link');
  if (EnvelopeIdSchema.safeParse(text).success) return text;
  const id = idFromLetterUrl(text);
  if (!id) throw new UsageError(`${text} is neither a letter id nor a letter link (…/s/<id>)`);
  return id;
}

/** The private key, unlocked from the keys file with the master key. */
async function unlock(session: Session): Promise<Identity> {
  const keys = readKeys();
  if (keys.user !== session.user) {
    throw new CliError(
      `the keys file belongs to user ${keys.user}, but you are signed in as ${session.user}`,
    );
  }
  const publicKey = base64urlDecode(keys.publicKey);
  const masterKey = await readMasterKey();
  try {
    return { user: keys.user, publicKey, privateKey: unlockKeyBackup(keys.backup, publicKey, masterKey) };
  } catch (err) {
    if (isMifengError(err, 'WrongMasterKey')) throw new CliError('wrong master key');
    throw err;
  }
}

/** `--expires` as an `expiresAt`: a preset short name or a local day, within the server's limit. */
function parseExpires(text: string | undefined, now: Date, maxDays: number): Date | null {
  if (text === undefined) throw new UsageError(`--expires is required (${EXPIRES_HELP})`);
  const choice = EXPIRY_CHOICES.find((c) => EXPIRY[c].short === text);
  const expiresAt = expiresAtFor(choice ?? { day: text }, now, maxDays);
  if (expiresAt === undefined) {
    throw new UsageError(
      `--expires ${text}: give ${EXPIRES_HELP}, a day after today and at most ${maxDays} days ahead`,
    );
  }
  return expiresAt;
}

/** `--to NAME:PHONE` as its two parts (the phone is after the last colon). */
function parseRecipient(text: string): { name: string; phone: string } {
  const colon = text.lastIndexOf(':');
  const name = text.slice(0, colon).trim();
  const phone = text.slice(colon + 1).trim();
  if (colon < 0 || !name || !phone) throw new UsageError(`--to ${text}: write it as NAME:PHONE`);
  return { name, phone };
}

function summaryLine(item: EnvelopeSummary, box: 'inbox' | 'sent'): string {
  const who =
    box === 'inbox'
      ? `from ${item.sender.name}`
      : `to ${
          item.recipients
            .filter((r) => r.user !== item.sender.user)
            .map((r) => r.name)
            .join(', ') || '(only you)'
        }`;
  const expires = item.expiresAt ? `expires ${item.expiresAt}` : 'never expires';
  return `${item.id}  ${item.state.padEnd(7)}  ${item.createdAt}  ${who}  (${expires})`;
}

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  async login(args) {
    const { values } = options(args, {
      server: { type: 'string' },
      dev: { type: 'boolean' },
      openid: { type: 'string' },
      'token-file': { type: 'string' },
    });
    const server = (values.server ?? process.env.MIFENG_SERVER ?? DEFAULT_SERVER).replace(/\/+$/, '');
    let token: string;
    if (values['token-file'] !== undefined) {
      try {
        token = readFileSync(values['token-file'], 'utf8').trim();
      } catch (err) {
        throw new CliError(`cannot read ${values['token-file']}: ${(err as Error).message}`);
      }
      if (!token) throw new CliError(`${values['token-file']} is empty`);
    } else if (values.dev) {
      const openid = values.openid ?? `cli-${nodeRandomBytes(12).toString('hex')}`;
      ({ token } = await api({ server })(authContract.dev, { body: { openid } }));
    } else {
      throw new UsageError('login needs --dev [--openid ID] or --token-file FILE');
    }
    const me = await api({ server, token })(meContract.get, {});
    const path = writeSession({ server, token, user: me.user.id });
    print(`signed in to ${server} as user ${me.user.id}${me.user.registered ? ` (${me.user.name})` : ''}`);
    print(`session saved in ${path}`);
    if (!me.user.registered) print('next: mifeng register --name NAME --phone PHONE');
  },

  async register(args) {
    const { values } = options(args, {
      name: { type: 'string' },
      phone: { type: 'string' },
      iterations: { type: 'string' },
    });
    if (!values.name) throw new UsageError('register needs --name NAME');
    const iterations = values.iterations === undefined ? undefined : Number(values.iterations);
    if (iterations !== undefined && !Number.isSafeInteger(iterations)) {
      throw new UsageError('--iterations must be a whole number');
    }
    const session = readSession();
    const client = api(session);
    let me = await client(meContract.get, {});
    if (values.phone !== undefined) me = await client(meContract.setPhone, { body: { phone: values.phone } });
    if (!me.user.phoneMasked) throw new UsageError('this account has no phone yet: give --phone PHONE');
    const masterKey = await readMasterKey(true);
    const identity = generateIdentity(me.user.id);
    const backup = sealKeyBackup(identity, masterKey, iterations === undefined ? {} : { iterations });
    const publicKey = base64urlEncode(identity.publicKey);
    me = await client(meContract.setKeys, { body: { name: values.name, publicKey, backup } });
    const path = writeKeys({ user: me.user.id, publicKey, backup });
    print(`registered ${me.user.name} (${me.user.phoneMasked}), user ${me.user.id}`);
    print(`key ${me.user.keyId}, fingerprint ${formatFingerprint(identity.publicKey)}`);
    print(`keys saved in ${path}, sealed under your master key`);
  },

  async whoami() {
    const session = readSession();
    const me = await api(session)(meContract.get, {});
    print(`server       ${session.server}`);
    print(`user         ${me.user.id}`);
    print(`name         ${me.user.name ?? '(not registered)'}`);
    print(`phone        ${me.user.phoneMasked ?? '(none)'}`);
    if (me.publicKey) {
      print(`key id       ${me.user.keyId}`);
      print(`fingerprint  ${formatFingerprint(base64urlDecode(me.publicKey))}`);
      let local: string | null = null;
      try {
        local = readKeys().publicKey;
      } catch {
        // no keys file: said below
      }
      if (local !== me.publicKey) print('warning: the keys file here does not hold this key');
    }
  },

  async send(args) {
    const { values } = options(args, {
      to: { type: 'string', multiple: true },
      expires: { type: 'string' },
      remark: { type: 'string' },
      file: { type: 'string' },
    });
    const to = (values.to ?? []).map(parseRecipient);
    if (to.length === 0) throw new UsageError('send needs at least one --to NAME:PHONE');
    const session = readSession();
    const client = api(session);
    const me = await client(meContract.get, {});
    const expiresAt = parseExpires(values.expires, new Date(), me.maxExpiryDays);
    const recipients = [];
    for (const { name, phone } of to) {
      try {
        const found = await client(recipientsContract.lookup, { body: { name, phone } });
        recipients.push({ user: found.user, publicKey: base64urlDecode(found.publicKey) });
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) {
          throw new CliError(`no registered user is called ${name} with phone ${phone}`);
        }
        throw err;
      }
    }
    const sender = await unlock(session);
    let content: string | null;
    if (values.file !== undefined) {
      try {
        content = readFileSync(values.file, 'utf8');
      } catch (err) {
        throw new CliError(`cannot read ${values.file}: ${(err as Error).message}`);
      }
    } else {
      content = await restOfStdin();
      if (content === null) throw new UsageError('give the content with --file FILE or on stdin');
    }
    if (!content) throw new UsageError('the letter is empty');
    const others = recipients.filter((r) => r.user !== sender.user);
    const envelope = sealEnvelope(
      { sender, recipients: others, content, remark: values.remark ?? '', expiresAt },
      { now: new Date() },
    );
    const created = await client(envelopesContract.create, { body: { envelope } });
    print(`sent ${created.id} to ${to.map((r) => r.name).join(', ')}`);
    print(created.url);
    print(expiresAt ? `expires ${expiresAt.toISOString()}` : 'never expires');
  },

  async open(args) {
    const { positionals } = options(args, {});
    const id = letterId(positionals[0]);
    const session = readSession();
    // Unlocked first: a wrong master key must not count as the letter being opened.
    const reader = await unlock(session);
    const fetched = await api(session)(envelopesContract.get, { params: { id } });
    const senderPublicKey = base64urlDecode(fetched.sender.publicKey);
    const letter = openEnvelope(fetched.envelope, { reader, senderPublicKey, now: new Date() });
    // Decrypted: tell the sender it was opened (not for our own letters, which are not opens).
    if (fetched.envelope.sender !== reader.user)
      await api(session)(envelopesContract.opened, { params: { id } });
    print(`from         ${fetched.sender.name} (fingerprint ${formatFingerprint(senderPublicKey)})`);
    print(`sent         ${fetched.envelope.createdAt}`);
    print(`expires      ${fetched.envelope.expiresAt ?? 'never'}`);
    if (letter.remark) print(`remark       ${letter.remark}`);
    for (const open of fetched.opens ?? []) print(`opened by    ${open.name} at ${open.at}`);
    for (const got of fetched.deliveries ?? [])
      print(`delivered to ${got.name} at ${got.at} (not opened yet)`);
    print('');
    process.stdout.write(letter.content.endsWith('\n') ? letter.content : `${letter.content}\n`);
  },

  async inbox() {
    await listBox('inbox');
  },

  async sent() {
    await listBox('sent');
  },

  async revoke(args) {
    const { positionals } = options(args, {});
    const id = letterId(positionals[0]);
    await api(readSession())(envelopesContract.revoke, { params: { id } });
    print(`revoked ${id}: its recipients can no longer open it`);
  },
};

async function listBox(box: 'inbox' | 'sent'): Promise<void> {
  const client = api(readSession());
  let cursor: string | undefined;
  let count = 0;
  do {
    const page = await client(envelopesContract.list, { query: { box, ...(cursor ? { cursor } : {}) } });
    for (const item of page.items) print(summaryLine(item, box));
    count += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  if (count === 0) print(box === 'inbox' ? 'no letters for you' : 'you have sent no letters');
}

/** What went wrong, in words, for an error a command threw. */
function describe(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'network') return `cannot reach the server: ${err.message}`;
    return `${err.message} (${err.code})`;
  }
  if (isMifengError(err)) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    print(USAGE);
    return command ? 0 : 2;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`mifeng: unknown command ${command}\n\n${USAGE}\n`);
    return 2;
  }
  try {
    await run(args);
    return 0;
  } catch (err) {
    process.stderr.write(`mifeng ${command}: ${describe(err)}\n`);
    if (err instanceof UsageError) return 2;
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
