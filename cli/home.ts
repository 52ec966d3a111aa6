/**
 * The CLI's files, in `$MIFENG_HOME` (default `~/.mifeng`), readable by the owner only:
 *
 * - `session.json`: the server's URL, the bearer token and the user id (from `login`);
 * - `keys.json`: the user id, the public key and the private key sealed under the master key
 *   (a protocol v1 key backup, exactly what the mini program uploads): without the master key the
 *   file opens nothing.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { KeyBackupSchema, PublicKeySchema, UserIdSchema } from '../shared/protocol';

export class CliError extends Error {}

export const SessionSchema = z.object({ server: z.string(), token: z.string(), user: UserIdSchema });
export type Session = z.infer<typeof SessionSchema>;

export const KeysFileSchema = z.strictObject({
  user: UserIdSchema,
  publicKey: PublicKeySchema,
  backup: KeyBackupSchema,
});
export type KeysFile = z.infer<typeof KeysFileSchema>;

/** The folder holding the CLI's files. */
export function homeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.MIFENG_HOME || join(homedir(), '.mifeng');
}

function read<T>(file: string, schema: z.ZodMiniType<T>, missing: string): T {
  let text: string;
  try {
    text = readFileSync(join(homeDir(), file), 'utf8');
  } catch {
    throw new CliError(missing);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`${join(homeDir(), file)} is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new CliError(`${join(homeDir(), file)} is damaged: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function write(file: string, value: unknown): string {
  const dir = homeDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, file);
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

export function readSession(): Session {
  return read('session.json', SessionSchema, 'not signed in: run `mifeng login` first');
}

export function writeSession(session: Session): string {
  return write('session.json', session);
}

export function readKeys(): KeysFile {
  return read('keys.json', KeysFileSchema, 'no keys here: run `mifeng register` first');
}

export function writeKeys(keys: KeysFile): string {
  return write('keys.json', keys);
}
