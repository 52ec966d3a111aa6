import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { connectDatabase, databaseKind, pgliteDirectory } from '../../../server/db/connect';
import { migrateDatabase } from '../../../server/db/migrations';
import { migratedDataDir } from '../databases';

const crashWriter = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url));

describe('databaseKind()', () => {
  it('selects PGlite without a URL and PostgreSQL for postgres URLs', () => {
    assert.equal(databaseKind({}), 'pglite');
    assert.equal(databaseKind({ databaseUrl: '' }), 'pglite');
    assert.equal(databaseKind({ databaseUrl: 'postgres://u@h/db' }), 'postgres');
    assert.equal(databaseKind({ databaseUrl: 'postgresql://u@h:5432/db?sslmode=require' }), 'postgres');
  });

  it('rejects invalid inputs', () => {
    assert.throws(() => databaseKind({ databaseUrl: 'mysql://u@h/db' }), RangeError);
    assert.throws(() => databaseKind({ databaseUrl: 'file:./dev.db' }), RangeError);
  });
});

describe('PGlite on disk (DATA_DIR)', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mifeng-pglite-disk-'));
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps its data in DATA_DIR/pglite across close and reopen', async () => {
    assert.equal(pgliteDirectory(dataDir), join(dataDir, 'pglite'));
    const first = await connectDatabase({ dataDir });
    assert.equal(first.kind, 'pglite');
    await migrateDatabase({ database: first });
    await first.prisma.user.create({
      data: { id: 'persisted', openid: 'persisted', phoneHash: new Uint8Array([7]) },
    });
    await first.close();
    await first.close(); // idempotent

    const second = await connectDatabase({ dataDir });
    try {
      assert.deepEqual(await migrateDatabase({ database: second }), { applied: [], edited: [] });
      const user = await second.prisma.user.findUniqueOrThrow({ where: { id: 'persisted' } });
      assert.deepEqual(new Uint8Array(user.phoneHash!), new Uint8Array([7]));
    } finally {
      await second.close();
    }
  });

  it('starts with 16 MB of shared buffers, not the 128 MB in postgresql.conf', async () => {
    // PostgreSQL zeroes its buffers at every start: 128 MB cost about 0.6 s of CPU per start.
    const database = await connectDatabase({ dataDir });
    try {
      const rows = await database.prisma.$queryRaw<{ shared_buffers: string }[]>`SHOW shared_buffers`;
      assert.deepEqual(rows, [{ shared_buffers: '16MB' }]);
    } finally {
      await database.close();
    }
  });

  it('is opened by one process at a time', async () => {
    // Runs on the directory the previous test created (initdb happens once per file).
    const open = await connectDatabase({ dataDir });
    try {
      await assert.rejects(connectDatabase({ dataDir }), /already open in this process/);
      const other = await runChild([dataDir, '0', '0'], () => false);
      assert.notEqual(other.code, 0);
      assert.match(other.stderr, /in use by process \d+/);
    } finally {
      await open.close();
    }
  });

  it('takes over the lock left by a process that died', async () => {
    // A pid far above any real one stands for a process killed before it could unlock.
    await writeFile(join(dataDir, 'pglite.lock'), '2147483646');
    const database = await connectDatabase({ dataDir });
    await database.close();
  });
});

describe('PGlite crash safety', () => {
  it('after kill -9 mid-transaction: committed rows are there, uncommitted ones are not', async () => {
    const dataDir = await migratedDataDir();
    try {
      const child = await runChild([dataDir, '25', '40'], (line) => line.startsWith('in-transaction'));
      assert.equal(
        child.signal,
        'SIGKILL',
        `child should be killed mid-transaction; stderr: ${child.stderr}`,
      );
      assert.match(child.stdout, /committed 25/);

      const database = await connectDatabase({ dataDir });
      try {
        const ids = (await database.prisma.user.findMany({ select: { id: true } })).map((u) => u.id);
        assert.equal(ids.filter((id) => id.startsWith('committed-')).length, 25);
        assert.deepEqual(
          ids.filter((id) => id.startsWith('pending-')),
          [],
        );
        // And the database still takes writes after recovery.
        await database.prisma.user.create({ data: { id: 'after-crash', openid: 'after-crash' } });
      } finally {
        await database.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the crash writer; kills it with SIGKILL as soon as a stdout line satisfies `killWhen`. */
function runChild(args: string[], killWhen: (line: string) => boolean): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', crashWriter, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.split('\n').some(killWhen)) child.kill('SIGKILL');
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
