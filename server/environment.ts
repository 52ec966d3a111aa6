/**
 * Where the server's configuration comes from (server/config.ts validates it): the process
 * environment over a `.env` file. A module of its own, without the validation's dependencies, so
 * the built server's entry (server/built-entry.ts) can read it before the application is loaded.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';

/** A variable that is missing or invalid, or an ENV_FILE that cannot be read. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The environment: `process.env` over the `.env` file. */
export interface EnvironmentSource {
  env?: Record<string, string | undefined>;
  /** Directory whose `.env` is read unless ENV_FILE names another file (default: the working directory). */
  cwd?: string;
}

/**
 * The variables the server reads: those of the environment, over those of a `.env` file — the
 * file named by `ENV_FILE`, else `.env` in the working directory if there is one. A variable set
 * in the environment, even to the empty string, wins over the file (as with `node --env-file`).
 */
export function readEnvironment({
  env = process.env,
  cwd = process.cwd(),
}: EnvironmentSource = {}): Record<string, string | undefined> {
  const named = env.ENV_FILE;
  const path = resolve(cwd, named || '.env');
  if (!existsSync(path)) {
    if (named) throw new ConfigError(`Invalid environment variable ENV_FILE: ${path} does not exist`);
    return env;
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `Invalid environment variable ENV_FILE: cannot read ${path} (${(err as Error).message})`,
    );
  }
  return { ...parseEnv(text), ...env };
}
