/**
 * An exclusive lock on a data directory between processes, for PGlite, which lets two processes
 * open one directory and both write to it (which corrupts it).
 *
 * The lock is a file created with O_EXCL holding who took it: process id, the process's start
 * time (field 22 of /proc/<pid>/stat, clock ticks since boot), the boot id and the PID namespace.
 * A process id alone is not enough: a server that ran as PID 1 in a container and was killed
 * leaves "1" behind, and the next container's server is PID 1 as well. So a holder counts as
 * alive only when, in our PID namespace, its pid runs a process started at the recorded time on
 * this boot. From another PID namespace (another container on the same volume) the holder's
 * process cannot be looked up; there the lock file's modification time decides: the holder
 * touches it every {@link HEARTBEAT_MS}, and a lock not touched for {@link STALE_MS} is taken
 * over (a restarted container waits at most that long).
 *
 * Off Linux (no /proc) the start time and namespace are absent and the check falls back to
 * "a process with that pid exists".
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { mkdir, open, readFile, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';

/** How often a holder refreshes its lock file's modification time. */
export const HEARTBEAT_MS = 1000;
/** A lock from another PID namespace not refreshed for this long belongs to a dead process. */
export const STALE_MS = 5000;

/** What the lock file records about its holder. */
export interface LockOwner {
  pid: number;
  /** Clock ticks after boot at which the process started; null where /proc is unavailable. */
  startTime: number | null;
  bootId: string | null;
  /** e.g. `pid:[4026531836]`: the PID namespace the pid belongs to. */
  pidNamespace: string | null;
}

/** The calling process as a lock owner. */
export function currentOwner(): LockOwner {
  return {
    pid: process.pid,
    startTime: processStartTime('self'),
    bootId: readOrNull('/proc/sys/kernel/random/boot_id'),
    pidNamespace: linkOrNull('/proc/self/ns/pid'),
  };
}

/** Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces, so parse after its ')'. */
export function processStartTime(pid: number | 'self'): number | null {
  const stat = readOrNull(`/proc/${pid}/stat`);
  if (!stat) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const value = Number(fields[19]); // fields[0] is field 3 (state)
  return Number.isInteger(value) ? value : null;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

function linkOrNull(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}

/** Whether `owner` (read from a lock file) is a live process, as far as `self` can tell. */
export function ownerState(owner: LockOwner, self: LockOwner, lockAgeMs: number): 'alive' | 'dead' | 'self' {
  if (owner.bootId && self.bootId && owner.bootId !== self.bootId) return 'dead'; // rebooted since
  if (owner.pidNamespace && self.pidNamespace && owner.pidNamespace !== self.pidNamespace) {
    return lockAgeMs > STALE_MS ? 'dead' : 'alive';
  }
  if (owner.pid === self.pid && owner.startTime === self.startTime) return 'self';
  if (owner.startTime !== null && self.startTime !== null) {
    return processStartTime(owner.pid) === owner.startTime ? 'alive' : 'dead';
  }
  return owner.pid !== self.pid && pidExists(owner.pid) ? 'alive' : 'dead';
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Parses a lock file; the bare pid written by earlier versions reads as an owner known by pid only. */
export function parseOwner(text: string): LockOwner | null {
  try {
    const value = JSON.parse(text) as Partial<LockOwner> | number;
    if (typeof value === 'number') return { pid: value, startTime: null, bootId: null, pidNamespace: null };
    if (typeof value?.pid !== 'number') return null;
    return {
      pid: value.pid,
      startTime: value.startTime ?? null,
      bootId: value.bootId ?? null,
      pidNamespace: value.pidNamespace ?? null,
    };
  } catch {
    return null;
  }
}

export interface DirectoryLock {
  /** Stops the heartbeat and removes the lock file. */
  release(): Promise<void>;
}

/**
 * Takes `<dir>/<name>`, describing the protected thing as `what` in errors. A lock whose holder is
 * dead is taken over (the data's own crash recovery then runs on open); one held by a live process,
 * or by this one, is an error. A lock from another PID namespace is waited on until it goes stale.
 */
export async function lockDirectory(dir: string, name: string, what: string): Promise<DirectoryLock> {
  await mkdir(dir, { recursive: true });
  const lockPath = join(dir, name);
  const self = currentOwner();
  const deadline = Date.now() + STALE_MS + 2 * HEARTBEAT_MS;
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(JSON.stringify(self));
      await handle.close();
      return holding(lockPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const [text, info] = await Promise.all([
      readFile(lockPath, 'utf8').catch(() => ''),
      stat(lockPath).catch(() => null),
    ]);
    if (!info) continue; // released between our open and our read
    const owner = parseOwner(text);
    // An unreadable file is a lock being written right now, unless it has stayed so for a while.
    const state = owner
      ? ownerState(owner, self, Date.now() - info.mtimeMs)
      : Date.now() - info.mtimeMs > STALE_MS
        ? 'dead'
        : 'alive';
    if (state === 'self') throw new Error(`${what} is already open in this process`);
    if (state === 'dead') {
      await rm(lockPath, { force: true });
      continue;
    }
    const foreign = owner?.pidNamespace && self.pidNamespace && owner.pidNamespace !== self.pidNamespace;
    if (!foreign || Date.now() > deadline) {
      throw new Error(
        `${what} is in use by process ${owner?.pid ?? '?'}${foreign ? ` in another PID namespace (${owner?.pidNamespace})` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_MS / 4));
  }
}

function holding(lockPath: string): DirectoryLock {
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lockPath, now, now).catch(() => {});
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    release: async () => {
      clearInterval(heartbeat);
      await rm(lockPath, { force: true });
    },
  };
}
