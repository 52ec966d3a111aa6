/**
 * `npm run audit:log -- --server URL [--state FILE] [--log-key KEY] [--max-changes N] [--window-days D]`:
 * an independent auditor of a Mifeng transparency log (docs/transparency.md §Auditing).
 *
 * Each run fetches the log key (pinned in the state on the first run, or given with --log-key, and
 * followed through its rotations), the newest signed head, and every leaf since the last run; it
 * replays the tree from the leaves (keeping only the last complete subtree of each level between
 * runs), checks that its root is the head's, checks the server's consistency proof from the head
 * it saw last, checks each signed change's statement against the user's previous key in the log,
 * and reports each user's key events, flagging users with more than N new keys within the window. The state file is written only after a clean run.
 *
 * Exit codes: 0 clean; 1 the log misbehaved (bad signature, malformed or missing leaf, a root that
 * is not the leaves', an inconsistent head: evidence printed); 2 usage; 3 the audit could not run
 * (server unreachable, unexpected answer); 4 clean but some user changed keys more than N times.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { call, fetchTransport, isApiError, LOG_PAGE_SIZE, logContract, type Transport } from '../shared/api';
import { base64urlDecode, base64urlEncode } from '../shared/encoding';
import { isMifengError } from '../shared/errors';
import { keyId, verifyKeyChange } from '../shared/protocol';
import {
  appendHashes,
  encodeLeaf,
  foldNodes,
  followLogKeyRotations,
  type LogEventKind,
  leafHash,
  type SignedTreeHead,
  verifyConsistency,
  verifyTreeHead,
} from '../shared/transparency';

/** What the auditor keeps between runs. */
export interface AuditState {
  v: 1;
  /** The log key pinned at the first run (base64url public key). */
  logKey: string;
  /** The last head verified, replayed and found consistent. */
  head: SignedTreeHead | null;
  /** Hash of the last complete subtree at each level (base64url), for the tree of head.size leaves. */
  frontier: (string | null)[];
  /** Every key event seen, per user: [index, kind, keyId, time, public key]. */
  users: Record<string, [number, LogEventKind, string, string, string][]>;
}

export interface AuditOptions {
  transport: Transport;
  state: AuditState | null;
  /** Trust this log key instead of the pinned one (or on the first run). */
  logKey?: Uint8Array;
  maxChanges: number;
  windowDays: number;
  now: Date;
}

export interface AuditResult {
  exitCode: 0 | 1 | 3 | 4;
  state: AuditState | null;
  lines: string[];
}

class Misbehaviour extends Error {}

function rootOf(size: number, frontier: (Uint8Array | null)[]): Uint8Array | null {
  if (size === 0) return null;
  const nodes: Uint8Array[] = [];
  for (let level = frontier.length - 1; level >= 0; level--) {
    if (Math.floor(size / 2 ** level) % 2 === 1) nodes.push(frontier[level]!);
  }
  return foldNodes(nodes);
}

/** One audit run. Never throws for the log's or the network's faults: they become exit codes. */
export async function auditLog(options: AuditOptions): Promise<AuditResult> {
  const { transport, maxChanges, windowDays, now } = options;
  const lines: string[] = [];
  const previous = options.state;
  try {
    const keyInfo = await call(logContract.key, {}, transport);
    const pinned =
      options.logKey ?? (previous ? base64urlDecode(previous.logKey) : base64urlDecode(keyInfo.publicKey));
    let current: Uint8Array;
    try {
      current = followLogKeyRotations(pinned, keyInfo.rotations);
    } catch (err) {
      throw new Misbehaviour(
        `the log key rotations do not lead from the pinned key: ${(err as Error).message}`,
      );
    }
    if (keyId(current) !== keyInfo.keyId)
      throw new Misbehaviour(`the server signs with ${keyInfo.keyId}, not the key its rotations lead to`);

    const raw = await call(logContract.head, {}, transport);
    let head: SignedTreeHead;
    try {
      head = verifyTreeHead(current, raw);
    } catch (err) {
      throw new Misbehaviour(`head ${JSON.stringify(raw)}: ${(err as Error).message}`);
    }
    const last = previous?.head ?? null;
    if (last && head.size < last.size)
      throw new Misbehaviour(
        `the log shrank from ${last.size} to ${head.size} leaves: ${JSON.stringify({ last, head })}`,
      );

    // The server's own proof first, so a rewritten past is named as such; the replay below then
    // checks every new leaf against the head.
    if (last && last.size > 0 && last.size < head.size) {
      const { proof } = await call(
        logContract.consistency,
        { query: { first: String(last.size), second: String(head.size) } },
        transport,
      );
      const consistent = verifyConsistency(
        last.size,
        head.size,
        base64urlDecode(last.root),
        base64urlDecode(head.root),
        proof.map(base64urlDecode),
      );
      if (!consistent)
        throw new Misbehaviour(
          `head ${head.size} is not consistent with head ${last.size} seen before: ${JSON.stringify({ last, head })}`,
        );
    } else if (last && last.size === head.size && last.root !== head.root) {
      throw new Misbehaviour(
        `two heads of size ${head.size} with different roots: ${JSON.stringify({ last, head })}`,
      );
    }

    const frontier = (previous?.frontier ?? []).map((h) => (h ? base64urlDecode(h) : null));
    const users = structuredClone(previous?.users ?? {});
    let size = last?.size ?? 0;
    while (size < head.size) {
      const page = await call(
        logContract.leaves,
        { query: { start: String(size), limit: String(Math.min(LOG_PAGE_SIZE, head.size - size)) } },
        transport,
      );
      if (page.leaves.length === 0)
        throw new Misbehaviour(`leaf ${size} of a ${head.size}-leaf head is missing`);
      for (const { index, leaf } of page.leaves) {
        if (size === head.size) break;
        if (index !== size) throw new Misbehaviour(`expected leaf ${size}, got ${index}`);
        let bytes: Uint8Array;
        try {
          bytes = encodeLeaf(leaf);
        } catch (err) {
          throw new Misbehaviour(`leaf ${index} is not a valid leaf: ${(err as Error).message}`);
        }
        for (const { node, hash } of appendHashes(index, leafHash(bytes), (n) => frontier[n.level]!)) {
          frontier[node.level] = hash;
        }
        const events = users[leaf.userId] ?? [];
        if (leaf.statement) {
          const before = events.at(-1);
          const signed =
            before !== undefined &&
            verifyKeyChange(leaf.statement, {
              user: leaf.userId,
              oldPublicKey: base64urlDecode(before[4]),
              newPublicKey: base64urlDecode(leaf.publicKey),
            });
          if (!signed)
            throw new Misbehaviour(
              `leaf ${index}: a signed change the user's previous key in the log did not sign`,
            );
        }
        events.push([index, leaf.kind, leaf.keyId, leaf.time, leaf.publicKey]);
        users[leaf.userId] = events;
        size++;
      }
    }
    const root = rootOf(head.size, frontier);
    if (root && base64urlEncode(root) !== head.root)
      throw new Misbehaviour(
        `the root of the ${head.size} leaves served is not the signed head's: ${JSON.stringify(head)}`,
      );
    lines.push(`log ${keyInfo.keyId}: ${head.size} leaves, root ${head.root}, signed ${head.time}`);
    lines.push(
      `verified: signature, ${head.size - (last?.size ?? 0)} new leaves replayed, root matches${last ? `, consistent with head ${last.size}` : ''}`,
    );
    const since = now.getTime() - windowDays * 86_400_000;
    let flagged = 0;
    for (const [user, events] of Object.entries(users)) {
      const recent = events.filter(([, , , time]) => Date.parse(time) >= since).length;
      if (recent > maxChanges) {
        flagged++;
        lines.push(
          `ALERT user ${user}: ${recent} key events in the last ${windowDays} days (more than ${maxChanges})`,
        );
      }
    }
    const counts: Record<LogEventKind, number> = { register: 0, 'signed-change': 0, reset: 0, delete: 0 };
    for (const events of Object.values(users)) for (const [, kind] of events) counts[kind]++;
    lines.push(
      `${Object.keys(users).length} users; ${counts.register} registrations, ${counts['signed-change']} signed changes, ${counts.reset} resets, ${counts.delete} deleted accounts`,
    );
    const state: AuditState = {
      v: 1,
      logKey: base64urlEncode(pinned),
      head,
      frontier: frontier.map((h) => (h ? base64urlEncode(h) : null)),
      users,
    };
    return { exitCode: flagged ? 4 : 0, state, lines };
  } catch (err) {
    if (err instanceof Misbehaviour)
      return { exitCode: 1, state: previous, lines: [...lines, `LOG MISBEHAVIOUR: ${err.message}`] };
    if (isApiError(err) || isMifengError(err))
      return {
        exitCode: 3,
        state: previous,
        lines: [...lines, `audit could not run: ${(err as Error).message}`],
      };
    throw err;
  }
}

function usage(message: string): never {
  console.error(
    `${message}\nusage: npm run audit:log -- --server URL [--state FILE] [--log-key KEY] [--max-changes N] [--window-days D]`,
  );
  process.exit(2);
}

async function main(): Promise<void> {
  const parse = () =>
    parseArgs({
      options: {
        server: { type: 'string' },
        state: { type: 'string' },
        'log-key': { type: 'string' },
        'max-changes': { type: 'string', default: '3' },
        'window-days': { type: 'string', default: '30' },
      },
    }).values;
  let values: ReturnType<typeof parse>;
  try {
    values = parse();
  } catch (err) {
    usage((err as Error).message);
  }
  if (!values.server) usage('--server is required');
  const maxChanges = Number(values['max-changes']);
  const windowDays = Number(values['window-days']);
  if (!Number.isInteger(maxChanges) || maxChanges < 0) usage('--max-changes must be a whole number');
  if (!Number.isFinite(windowDays) || windowDays <= 0) usage('--window-days must be a positive number');
  let state: AuditState | null = null;
  if (values.state && existsSync(values.state)) {
    try {
      state = JSON.parse(readFileSync(values.state, 'utf8')) as AuditState;
      if (state.v !== 1) usage(`${values.state} is not an audit state of this version`);
    } catch (err) {
      usage(`cannot read ${values.state}: ${(err as Error).message}`);
    }
  }
  const result = await auditLog({
    transport: fetchTransport(values.server, { fetch }),
    state,
    ...(values['log-key'] ? { logKey: base64urlDecode(values['log-key']) } : {}),
    maxChanges,
    windowDays,
    now: new Date(),
  });
  for (const line of result.lines) console.log(line);
  if (values.state && result.state && (result.exitCode === 0 || result.exitCode === 4)) {
    const tmp = `${values.state}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(result.state)}\n`);
    renameSync(tmp, values.state);
  }
  process.exit(result.exitCode);
}

if (process.argv[1]?.endsWith('audit-log.ts')) await main();
