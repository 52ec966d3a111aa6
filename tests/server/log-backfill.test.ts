// Keys made current before the transparency log existed get their leaves at start-up: each key
// once, with the event that made it current, whether one instance starts or two start at once on
// one database, and however often it runs. Afterwards lookups carry their inclusion proofs.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Database } from '../../server/db';
import { connectDatabase } from '../../server/db/connect';
import { backfillLog } from '../../server/plugins/app/transparency-log';
import { type LogEntry, logContract, recipientsContract } from '../../shared/api';
import { base64urlDecode, base64urlEncode } from '../../shared/encoding';
import { generateIdentity, type Identity, keyId, verifyKeyChange } from '../../shared/protocol';
import { encodeLeaf, verifyTreeHead } from '../../shared/transparency';
import { mth } from '../shared/transparency/rfc9162-reference';
import { forEachDatabase, useDatabase } from './databases';
import {
  callApi,
  changeKeys,
  registerUser,
  startServer,
  type TestServer,
  type TestUser,
  testConfig,
} from './helper';

/** Empties the log, as a database from before the migration that created it would be. */
async function forgetLog(database: Database): Promise<void> {
  const p = database.prisma;
  await p.$executeRawUnsafe('DELETE FROM log_heads');
  await p.$executeRawUnsafe('DELETE FROM log_nodes');
  await p.$executeRawUnsafe('DELETE FROM log_leaves');
}

async function allLeaves(server: TestServer): Promise<LogEntry[]> {
  return (await callApi(server, logContract.leaves, { query: { start: '0' } })).leaves;
}

forEachDatabase((target) => {
  describe('transparency log backfill', () => {
    const db = useDatabase(target);

    it('logs every current key from before the log once, with its event, at start-up and on every instance', async () => {
      const config = testConfig({ LOG_SIGNING_KEY: randomBytes(32).toString('base64url') });
      const first = await startServer({ database: db().database, config });
      let alice: TestUser;
      let bob: TestUser;
      let old: Identity;
      let next: Identity;
      try {
        alice = await registerUser(first);
        bob = await registerUser(first);
        old = bob.identity;
        next = generateIdentity(bob.id);
        await changeKeys(first, bob, next);
      } finally {
        await first.close();
      }
      await forgetLog(db().database);

      // Two instances start at once on the same database (PGlite: one instance owns the directory,
      // so the second start is a second run of the step on it).
      const second =
        target.kind === 'postgres'
          ? await connectDatabase({ databaseUrl: db().databaseUrl!, dataDir: db().dataDir })
          : db().database;
      const [a, b] = await Promise.all([
        startServer({ database: db().database, config }),
        startServer({ database: second, config }),
      ]);
      try {
        // Run again by hand: nothing is left to do.
        assert.equal(await backfillLog(a.app.prisma), 0);
        const leaves = await allLeaves(a);
        assert.deepEqual(
          leaves.map((e) => e.index),
          [0, 1],
          'one leaf per current key, no gaps',
        );
        assert.deepEqual(await allLeaves(b), leaves);
        const byUser = new Map(leaves.map((e) => [e.leaf.userId, e.leaf]));
        const aliceLeaf = byUser.get(alice.id)!;
        assert.equal(aliceLeaf.kind, 'register');
        assert.equal(aliceLeaf.keyId, keyId(alice.identity.publicKey));
        const bobLeaf = byUser.get(bob.id)!;
        assert.equal(bobLeaf.kind, 'signed-change', "Bob's key came with a statement: it is logged with it");
        assert.equal(bobLeaf.publicKey, base64urlEncode(next.publicKey));
        assert.ok(
          verifyKeyChange(bobLeaf.statement!, {
            user: bob.id,
            oldPublicKey: old.publicKey,
            newPublicKey: next.publicKey,
          }),
        );

        // The head covers exactly those leaves, and lookups now carry the proof.
        const key = await callApi(a, logContract.key, {});
        const head = verifyTreeHead(base64urlDecode(key.publicKey), await callApi(a, logContract.head, {}));
        assert.equal(head.size, 2);
        assert.equal(head.root, base64urlEncode(mth(leaves.map((e) => encodeLeaf(e.leaf)))));
        const found = await callApi(
          a,
          recipientsContract.lookup,
          { body: { name: alice.name, phone: alice.phone } },
          bob.token,
        );
        assert.equal(found.log?.leaf.keyId, aliceLeaf.keyId);
      } finally {
        await a.close();
        await b.close();
        if (second !== db().database) await second.close();
      }
    });
  });
});
