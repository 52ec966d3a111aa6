/**
 * The PGlite directory lock when the server is PID 1 of its own PID namespace, as in a container:
 * killed and started again (PID 1 again, in a new namespace) it must take its directory back,
 * while a second live one in another namespace must still be refused. Needs root for
 * `unshare --pid` (skipped otherwise, with the reason).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { STALE_MS } from '../../../server/db/directory-lock';

const holdOpen = fileURLToPath(new URL('./fixtures/hold-open.ts', import.meta.url));

function unshareUnavailable(): string | undefined {
  try {
    execFileSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'unshare --pid needs root (or CAP_SYS_ADMIN) and util-linux';
  }
}

interface Pid1 {
  /** The `unshare` process (in our namespace). */
  child: ChildProcess;
  /** What the fixture printed: its pid (as it sees it), the database's origin, the user count. */
  line: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Runs the fixture as PID 1 of a new PID namespace; resolves when it has the database open. */
function startAsPid1(dataDir: string, userId: string): Promise<Pid1> {
  const child = spawn(
    'unshare',
    [
      '--pid',
      '--fork',
      '--mount-proc',
      '--kill-child',
      process.execPath,
      '--import',
      'tsx',
      holdOpen,
      dataDir,
      userId,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n').find((l) => l.startsWith('open '));
      if (line) resolve({ child, line, stderr: () => stderr, exited });
    });
    void exited.then((code) => reject(Object.assign(new Error(`exited ${code}: ${stderr}`), { stderr })));
  });
}

/** SIGKILLs the namespace's PID 1 (the kernel then kills the rest of the namespace). */
async function killPid1(pid1: Pid1): Promise<void> {
  const children = (await readFile(`/proc/${pid1.child.pid}/task/${pid1.child.pid}/children`, 'utf8')).trim();
  for (const pid of children.split(/\s+/).filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
  await pid1.exited;
}

describe('PGlite lock across PID namespaces', { skip: unshareUnavailable(), timeout: 300_000 }, () => {
  it('a server killed as PID 1 starts again as PID 1 in a new namespace, data intact', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'mifeng-pid1-'));
    try {
      const first = await startAsPid1(dataDir, 'first');
      assert.match(first.line, /^open 1 \w+ 1$/, 'PID 1 in its namespace, one user');
      assert.equal(JSON.parse(await readFile(join(dataDir, 'pglite.lock'), 'utf8')).pid, 1);
      await killPid1(first);
      // The lock is still there, naming pid 1, which the next server is as well.
      assert.equal(JSON.parse(await readFile(join(dataDir, 'pglite.lock'), 'utf8')).pid, 1);

      const started = performance.now();
      const second = await startAsPid1(dataDir, 'second');
      assert.equal(second.line, 'open 1 existing 2', 'the same database, both users');
      console.log(
        `# restarted after kill in ${Math.round(performance.now() - started)} ms (stale after ${STALE_MS} ms)`,
      );
      await killPid1(second);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a second live server in another namespace, also PID 1', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'mifeng-pid1-'));
    try {
      const holder = await startAsPid1(dataDir, 'holder');
      try {
        await assert.rejects(startAsPid1(dataDir, 'intruder'), (error: Error & { stderr?: string }) => {
          assert.match(error.stderr ?? '', /in use by process 1 in another PID namespace/);
          return true;
        });
        assert.ok(!holder.child.killed && holder.child.exitCode === null, 'the holder lives on');
      } finally {
        await killPid1(holder);
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
