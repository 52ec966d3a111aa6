/**
 * Fault, embedded default: the single server on PGlite is killed (`kill -9`) during a
 * burst of envelope uploads. Restarted on the same DATA_DIR, every envelope whose POST was
 * answered 201 is there and opens (decrypts) for each of its readers; an upload that was cut off
 * is either absent or whole — never half-written.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Instance, startInstance } from '../../harness/cluster';
import {
  Api,
  presealEnvelopes,
  registerUsers,
  type SentEnvelope,
  type SimUser,
} from '../../harness/workload';
import type { Envelope } from '../../shared/protocol';
import { openEnvelope } from '../../shared/protocol';

describe('kill -9 the embedded (PGlite) server during a burst of writes', { timeout: 600_000 }, () => {
  let dir: string;
  let instance: Instance;
  let users: SimUser[];
  let api: Api;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mifeng-pglite-kill-'));
    instance = await startInstance({
      env: {
        NODE_ENV: 'development',
        DATA_DIR: join(dir, 'data'),
        JWT_SECRET: randomBytes(32).toString('base64url'),
        PHONE_PEPPER: randomBytes(32).toString('base64url'),
        DEV_LOGIN: 'on',
        LOG_LEVEL: 'warn',
        PURGE_INTERVAL_SECONDS: '0',
      },
      logFile: join(dir, 'server.log'),
      startTimeoutMs: 240_000,
    });
    api = new Api(instance.url);
    users = await registerUsers(api, 4, 5, 2);
  });
  after(async () => {
    await instance?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('every envelope answered 201 survives the crash and opens', async () => {
    const pool = presealEnvelopes(users, 160);
    const sent: SentEnvelope[] = [];
    let acked = 0;
    let killed = false;
    const statuses: Record<number, number> = {};
    const kill = async () => {
      if (killed) return;
      killed = true;
      await instance.kill();
    };
    const timer = setTimeout(() => void kill(), 8000);
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (!killed && pool.length > 0) {
          const letter = pool.pop()!;
          sent.push(letter);
          letter.attempted = true;
          // No retries: what matters is exactly which uploads were acknowledged before the crash.
          const res = await api.once('POST', '/api/v1/envelopes', {
            token: letter.sender.token,
            body: { envelope: letter.envelope },
          });
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          if (res.status === 201) {
            letter.acked = true;
            if (++acked === 30) await kill();
          } else if (res.status !== 0) {
            assert.fail(`upload answered ${res.status} ${res.text}`);
          }
        }
      }),
    );
    clearTimeout(timer);
    assert.equal(instance.child.signalCode, 'SIGKILL');
    console.log(`# burst until kill -9: ${JSON.stringify(statuses)} (0 = connection cut)`);

    await instance.restart();
    let opened = 0;
    let decryptions = 0;
    let cutButStored = 0;
    for (const letter of sent) {
      const readers = [letter.sender, ...letter.recipients];
      const first = await api.once('GET', `/api/v1/envelopes/${letter.envelope.id}`, {
        token: letter.sender.token,
      });
      if (!letter.acked && first.status === 404) continue; // cut off before it was stored: absent
      assert.equal(first.status, 200, `${letter.acked ? 'acknowledged' : 'cut-off'} envelope: ${first.text}`);
      if (!letter.acked) cutButStored++;
      for (const reader of readers) {
        const res = await api.once('GET', `/api/v1/envelopes/${letter.envelope.id}`, { token: reader.token });
        assert.equal(res.status, 200, res.text);
        const got = (res.body as { envelope: Envelope }).envelope;
        const opened1 = openEnvelope(got, {
          reader: reader.identity,
          senderPublicKey: letter.sender.identity.publicKey,
        });
        assert.equal(opened1.content, letter.content);
        decryptions++;
      }
      opened++;
    }
    assert.ok(acked >= 1, 'some uploads were acknowledged before the kill');
    assert.equal(opened - cutButStored, acked, 'every acknowledged envelope is there');
    console.log(
      `# after restart: ${acked} acknowledged envelopes all present, ${decryptions} decryptions; ` +
        `${cutButStored} cut-off uploads stored whole, the rest absent`,
    );
  });
});
