// `/api/v1/log/*` and the log appends behind `PUT /me/keys`: every key event is a leaf, heads are
// signed by the log key, and every proof the server gives verifies with shared/transparency and
// matches the independent RFC 9162 implementation recomputed from the leaves it serves.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { connectDatabase } from '../../../server/db/connect';
import {
  envelopesContract,
  type KeyInclusion,
  type LogEntry,
  logContract,
  meContract,
  recipientsContract,
} from '../../../shared/api';
import { base64urlDecode, base64urlEncode } from '../../../shared/encoding';
import { generateIdentity, signKeyChange } from '../../../shared/protocol';
import {
  encodeLeaf,
  leafHash,
  type SignedTreeHead,
  verifyConsistency,
  verifyInclusion,
  verifyTreeHead,
} from '../../../shared/transparency';
import { mth } from '../../shared/transparency/rfc9162-reference';
import { forEachDatabase, useDatabase } from '../databases';
import {
  callApi,
  changeKeys,
  registerUser,
  rowCounts,
  sealFor,
  sendLetter,
  startServer,
  type TestServer,
  testConfig,
  uploadKeys,
  useServer,
} from '../helper';

async function allLeaves(server: TestServer): Promise<LogEntry[]> {
  const leaves: LogEntry[] = [];
  for (;;) {
    const page = await callApi(server, logContract.leaves, {
      query: { start: String(leaves.length), limit: '7' },
    });
    leaves.push(...page.leaves);
    if (leaves.length >= page.size) return leaves;
  }
}

async function verifiedHead(server: TestServer): Promise<SignedTreeHead> {
  const key = await callApi(server, logContract.key, {});
  const head = await callApi(server, logContract.head, {});
  return verifyTreeHead(base64urlDecode(key.publicKey), head);
}

/** Checks that the served leaves are 0…n−1 and hash to the head's root (reference implementation). */
async function checkWholeLog(server: TestServer): Promise<{ head: SignedTreeHead; leaves: LogEntry[] }> {
  const head = await verifiedHead(server);
  const leaves = await allLeaves(server);
  assert.deepEqual(
    leaves.map((e) => e.index),
    leaves.map((_, i) => i),
  );
  assert.equal(head.size, leaves.length);
  assert.equal(base64urlEncode(mth(leaves.map((e) => encodeLeaf(e.leaf)))), head.root);
  return { head, leaves };
}

forEachDatabase((target) => {
  describe('transparency log', () => {
    const db = useDatabase(target);
    const server = useServer(() => ({ database: db().database }));

    it('starts empty: a signed head of size 0 over SM3 of nothing', async () => {
      const head = await verifiedHead(server());
      assert.equal(head.size, 0);
      assert.equal(head.root, base64urlEncode(mth([])));
      assert.deepEqual(await callApi(server(), logContract.head, {}), head, 'one head per size');
    });

    it('logs registrations and key changes with proofs that verify', async () => {
      const alice = await registerUser(server());
      const bob = await registerUser(server());
      const first = await checkWholeLog(server());
      assert.equal(first.head.size, 2);

      const events = await callApi(server(), logContract.userEvents, { params: { id: alice.id } });
      assert.equal(events.events.length, 1);
      const [registered] = events.events;
      assert.deepEqual(
        { ...registered!.leaf, time: 'x' },
        {
          userId: alice.id,
          publicKey: base64urlEncode(alice.identity.publicKey),
          keyId: registered!.leaf.keyId,
          kind: 'register',
          time: 'x',
        },
      );
      const proof = await callApi(server(), logContract.inclusion, {
        query: { index: String(registered!.index), size: String(first.head.size) },
      });
      assert.equal(
        verifyInclusion(
          registered!.index,
          first.head.size,
          leafHash(encodeLeaf(registered!.leaf)),
          proof.proof.map(base64urlDecode),
          base64urlDecode(first.head.root),
        ),
        true,
      );

      // A change signed by the old key carries its statement; the same key again logs nothing.
      await changeKeys(server(), alice, generateIdentity(alice.id));
      await uploadKeys(server(), alice.token, alice.name, alice.identity, alice.identity);
      const second = await checkWholeLog(server());
      assert.equal(second.head.size, 3);
      assert.deepEqual(
        second.leaves.map((e) => [e.leaf.userId, e.leaf.kind]),
        [
          [alice.id, 'register'],
          [bob.id, 'register'],
          [alice.id, 'signed-change'],
        ],
      );
      const [, , changed] = second.leaves;
      assert.equal(changed!.leaf.statement?.oldKey, registered!.leaf.keyId);
      assert.equal(changed!.leaf.statement?.newPublicKey, changed!.leaf.publicKey);
      const consistency = await callApi(server(), logContract.consistency, {
        query: { first: String(first.head.size), second: String(second.head.size) },
      });
      assert.equal(
        verifyConsistency(
          first.head.size,
          second.head.size,
          base64urlDecode(first.head.root),
          base64urlDecode(second.head.root),
          consistency.proof.map(base64urlDecode),
        ),
        true,
      );
    });

    it('lookups, key fetches and letter fetches carry the inclusion proof of the key they name', async () => {
      const sender = await registerUser(server());
      const recipient = await registerUser(server());
      const logKey = base64urlDecode((await callApi(server(), logContract.key, {})).publicKey);
      const check = (log: KeyInclusion | undefined, publicKey: Uint8Array) => {
        assert.ok(log, 'a proof is attached');
        const head = verifyTreeHead(logKey, log.head);
        assert.equal(log.leaf.publicKey, base64urlEncode(publicKey));
        assert.equal(
          verifyInclusion(
            log.index,
            head.size,
            leafHash(encodeLeaf(log.leaf)),
            log.proof.map(base64urlDecode),
            base64urlDecode(head.root),
          ),
          true,
        );
      };
      const found = await callApi(
        server(),
        recipientsContract.lookup,
        { body: { name: recipient.name, phone: recipient.phone } },
        sender.token,
      );
      check(found.log, recipient.identity.publicKey);
      const key = await callApi(
        server(),
        recipientsContract.userKey,
        { params: { id: recipient.id } },
        sender.token,
      );
      check(key.log, recipient.identity.publicKey);
      const letter = sealFor(sender, [recipient]);
      await sendLetter(server(), sender, letter);
      const fetched = await callApi(
        server(),
        envelopesContract.get,
        { params: { id: letter.id } },
        recipient.token,
      );
      check(fetched.sender.log, sender.identity.publicKey);
    });

    it('appends nothing when the key change is refused', async () => {
      const carol = await registerUser(server());
      const dave = await registerUser(server());
      const before = await checkWholeLog(server());
      const counts = await rowCounts(db().database);
      // Dave's public key under Carol's account, with a valid statement by Carol's key (so the
      // refusal comes from the key-change transaction, where the leaf is appended): 409, and no leaf.
      const reply = await server().request<{ error: { code: string } }>('PUT', '/api/v1/me/keys', {
        token: carol.token,
        body: {
          name: carol.name,
          publicKey: base64urlEncode(dave.identity.publicKey),
          backup: (await callApi(server(), meContract.get, {}, dave.token)).backup,
          statement: signKeyChange({ old: carol.identity, newPublicKey: dave.identity.publicKey }),
        },
      });
      assert.equal(reply.status, 409);
      assert.equal(reply.body.error.code, 'conflict');
      const after = await checkWholeLog(server());
      assert.equal(after.head.size, before.head.size);
      assert.deepEqual(await rowCounts(db().database), counts);
    });

    it('answers bad proof requests with coded errors', async () => {
      const { head } = await checkWholeLog(server());
      const code = async (path: string) => {
        const reply = await server().request<{ error: { code: string } }>('GET', path);
        return [reply.status, reply.body.error.code];
      };
      assert.deepEqual(await code(`/api/v1/log/inclusion?index=0&size=${head.size + 1}`), [404, 'not_found']);
      assert.deepEqual(await code(`/api/v1/log/inclusion?index=${head.size}&size=${head.size}`), [
        400,
        'validation_failed',
      ]);
      assert.deepEqual(await code('/api/v1/log/inclusion?index=-1&size=1'), [400, 'validation_failed']);
      assert.deepEqual(await code('/api/v1/log/inclusion?index=01&size=2'), [400, 'validation_failed']);
      assert.deepEqual(await code(`/api/v1/log/consistency?first=2&second=${head.size + 1}`), [
        404,
        'not_found',
      ]);
      assert.deepEqual(await code('/api/v1/log/consistency?first=3&second=2'), [400, 'validation_failed']);
      assert.deepEqual(await code('/api/v1/log/leaves?start=0&limit=1001'), [400, 'validation_failed']);
      assert.deepEqual(await code('/api/v1/log/leaves?start=0&limit=0'), [400, 'validation_failed']);
      assert.deepEqual(await code('/api/v1/log/users/not%20an%20id'), [400, 'validation_failed']);
      const none = await callApi(server(), logContract.userEvents, { params: { id: 'nobody' } });
      assert.deepEqual(none.events, []);
    });
  });
  describe('concurrent appends', () => {
    const db = useDatabase(target);

    it(
      target.kind === 'postgres'
        ? 'key changes through two instances on one database make one linear log'
        : 'concurrent key changes make one linear log (PGlite: one instance owns the directory)',
      async () => {
        const shared = { LOG_SIGNING_KEY: randomBytes(32).toString('base64url') };
        const second =
          target.kind === 'postgres'
            ? await connectDatabase({ databaseUrl: db().databaseUrl!, dataDir: db().dataDir })
            : db().database;
        const a = await startServer({ database: db().database, config: testConfig(shared) });
        const b = await startServer({ database: second, config: testConfig(shared) });
        try {
          const users = await Promise.all(Array.from({ length: 12 }, (_, i) => registerUser(i % 2 ? a : b)));
          await Promise.all(
            users.map((user, i) => changeKeys(i % 2 ? b : a, user, generateIdentity(user.id))),
          );
          const fromA = await checkWholeLog(a);
          const fromB = await checkWholeLog(b);
          assert.equal(fromA.head.size, 24);
          assert.deepEqual(fromB.leaves, fromA.leaves);
          assert.equal(fromB.head.root, fromA.head.root);
          for (const user of users) {
            const kinds = fromA.leaves.filter((e) => e.leaf.userId === user.id).map((e) => e.leaf.kind);
            assert.deepEqual(kinds, ['register', 'signed-change']);
          }
        } finally {
          await a.close();
          await b.close();
          if (second !== db().database) await second.close();
        }
      },
    );
  });
});
