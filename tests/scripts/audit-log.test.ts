// The auditor (scripts/audit-log.ts) against the real API on PGlite: clean runs that keep their
// state, a user over the change threshold, and a server that misbehaves — a head altered in
// transit, a leaf rewritten after its head was signed, and a whole history rewritten and re-signed
// (consistency fails) — each caught with exit code 1; plus the CLI's exit codes and state file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type AuditState, auditLog } from '../../scripts/audit-log';
import { appendLogLeaf } from '../../server/plugins/app/transparency-log';
import { fetchTransport, logContract, type Transport } from '../../shared/api';
import { base64urlEncode } from '../../shared/encoding';
import { generateIdentity } from '../../shared/protocol';
import { decodeLeaf, encodeLeaf } from '../../shared/transparency';
import { forEachDatabase, useDatabase } from '../server/databases';
import { callApi, changeKeys, registerUser, useServer } from '../server/helper';

const CLI = fileURLToPath(new URL('../../scripts/audit-log.ts', import.meta.url));

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const now = () => new Date();

forEachDatabase((target) => {
  if (target.kind !== 'pglite') return;
  describe('audit:log', () => {
    const db = useDatabase(target);
    const server = useServer(() => ({ database: db().database }));
    const transport = (): Transport => fetchTransport(server().url, { fetch });
    const audit = (state: AuditState | null, extra: Partial<Parameters<typeof auditLog>[0]> = {}) =>
      auditLog({ transport: transport(), state, maxChanges: 3, windowDays: 30, now: now(), ...extra });

    let state: AuditState | null = null;

    it('replays the log, keeps its state and reports key events per user', async () => {
      const alice = await registerUser(server());
      await registerUser(server());
      const first = await audit(null);
      assert.equal(first.exitCode, 0, first.lines.join('\n'));
      assert.equal(first.state?.head?.size, 2);
      assert.match(first.lines.join('\n'), /2 users; 2 registrations, 0 signed changes, 0 resets/);

      await changeKeys(server(), alice, generateIdentity(alice.id));
      await registerUser(server());
      const second = await audit(first.state);
      assert.equal(second.exitCode, 0, second.lines.join('\n'));
      assert.match(second.lines.join('\n'), /2 new leaves replayed, root matches, consistent with head 2/);
      assert.deepEqual(
        second.state?.users[alice.id]?.map(([, kind]) => kind),
        ['register', 'signed-change'],
      );
      const strict = await audit(first.state, { maxChanges: 1 });
      assert.equal(strict.exitCode, 4);
      assert.match(strict.lines.join('\n'), new RegExp(`ALERT user ${alice.id}: 2 key events`));
      state = second.state;
    });

    it('catches a head altered in transit (exit 1, state kept)', async () => {
      const base = transport();
      const lying: Transport = async (request) => {
        const response = await base(request);
        if (request.path === logContract.head.path)
          return { ...response, body: { ...(response.body as object), size: 1 } };
        return response;
      };
      const result = await audit(state, { transport: lying });
      assert.equal(result.exitCode, 1);
      assert.match(result.lines.join('\n'), /LOG MISBEHAVIOUR: .*signature/);
      assert.equal(result.state, state);
    });

    it('catches a leaf rewritten after its head was signed (root mismatch)', async () => {
      const user = await registerUser(server());
      const row = await db().prisma.logLeaf.findFirstOrThrow({ where: { userId: user.id } });
      const leaf = decodeLeaf(new Uint8Array(row.body));
      const other = generateIdentity(user.id);
      const swapped = encodeLeaf({
        ...leaf,
        publicKey: base64urlEncode(other.publicKey),
        keyId: (await import('../../shared/protocol')).keyId(other.publicKey),
      });
      await db().prisma.logLeaf.update({
        where: { index: row.index },
        data: { body: Uint8Array.from(swapped) },
      });
      const result = await audit(state);
      assert.equal(result.exitCode, 1);
      assert.match(
        result.lines.join('\n'),
        /LOG MISBEHAVIOUR: the root of the \d+ leaves served is not the signed head's/,
      );
      await db().prisma.logLeaf.update({ where: { index: row.index }, data: { body: row.body } });
      const repaired = await audit(state);
      assert.equal(repaired.exitCode, 0, repaired.lines.join('\n'));
      state = repaired.state;
    });

    it('catches a rewritten history, even re-signed by the log key (consistency fails)', async () => {
      const prisma = db().prisma;
      const leaves = await prisma.logLeaf.findMany({ orderBy: { index: 'asc' } });
      // The server rewrites leaf 1 (another key for a user who never changed keys since, so no
      // later signed change contradicts it), rebuilds the tree and signs anew.
      await prisma.$transaction([
        prisma.logHead.deleteMany(),
        prisma.logNode.deleteMany(),
        prisma.logLeaf.deleteMany(),
      ]);
      const other = generateIdentity('x');
      const { keyId } = await import('../../shared/protocol');
      for (const [i, row] of leaves.entries()) {
        const leaf = decodeLeaf(new Uint8Array(row.body));
        const rewritten =
          i === 1
            ? { ...leaf, publicKey: base64urlEncode(other.publicKey), keyId: keyId(other.publicKey) }
            : leaf;
        await prisma.$transaction((tx) => appendLogLeaf(tx, rewritten));
      }
      await registerUser(server()); // one more, so the new head is larger than the audited one
      const result = await audit(state);
      assert.equal(result.exitCode, 1);
      assert.match(
        result.lines.join('\n'),
        /LOG MISBEHAVIOUR: head \d+ is not consistent with head \d+ seen before/,
      );
      const fresh = await audit(null);
      assert.equal(
        fresh.exitCode,
        0,
        'a newcomer sees a self-consistent log: only a kept state catches the rewrite',
      );
    });

    it('exits 3 when the server cannot be reached', async () => {
      const result = await audit(null, { transport: fetchTransport('http://127.0.0.1:9', { fetch }) });
      assert.equal(result.exitCode, 3);
      assert.match(result.lines.join('\n'), /audit could not run/);
    });

    it('the CLI keeps its state in --state and exits with the documented codes', async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'mifeng-audit-')), 'state.json');
      const first = await cli(['--server', server().url, '--state', file]);
      assert.equal(first.code, 0, first.stdout + first.stderr);
      const saved = JSON.parse(readFileSync(file, 'utf8')) as AuditState;
      const head = await callApi(server(), logContract.head, {});
      assert.equal(saved.head?.size, head.size);
      const again = await cli(['--server', server().url, '--state', file, '--max-changes', '0']);
      assert.equal(again.code, 4, again.stdout + again.stderr);
      const bad = await cli(['--state', file]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--server is required/);
    });
  });
});
