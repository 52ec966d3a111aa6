/**
 * Runs a Dockerfile's instructions on this machine, without a container engine: each stage's
 * `/app` is a directory of its own, `/data` another, and COPY, RUN, ENV, WORKDIR and USER do what
 * they would in the image. The image's CMD and HEALTHCHECK come back as commands to spawn.
 *
 * Handles the subset our Dockerfile uses (exec-form CMD/HEALTHCHECK, `COPY [--from=stage]`,
 * `ENV k=v …`, line continuations, ARG defaults) and refuses anything else, so the file cannot
 * grow an instruction this runner silently skips.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface Instruction {
  op: string;
  args: string;
}

export interface Stage {
  name: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (comments dropped, continuations joined). */
export function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  const stages: Stage[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^([A-Z]+)\s+(.*)$/.exec(line);
    if (!match) throw new Error(`Dockerfile: cannot parse ${JSON.stringify(line)}`);
    const [, op, args] = match as unknown as [string, string, string];
    if (op === 'FROM') {
      stages.push({ name: /\bAS\s+(\S+)/i.exec(args)?.[1] ?? String(stages.length), instructions: [] });
    } else if (op !== 'ARG' || stages.length > 0) {
      if (stages.length === 0) throw new Error(`Dockerfile: ${op} before FROM`);
      stages.at(-1)!.instructions.push({ op, args });
    }
  }
  return stages;
}

/** A command to run in the finished image: argv, environment and user of its last stage. */
export interface ImageCommand {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  uid?: number;
  gid?: number;
}

export interface BuiltImage {
  cmd: ImageCommand;
  healthcheck: ImageCommand;
  /** The host directory standing for the image's `/data`. */
  dataDir: string;
  /** The host directory standing for the last stage's `/app`. */
  appDir: string;
}

export interface RunOptions {
  /** The build context (a fresh clone). */
  context: string;
  /** Scratch directory: one sub-directory per stage, and `data/`. */
  workDir: string;
  /** Prints each step. */
  log?: (line: string) => void;
}

/** Runs every stage in order and returns the last stage's CMD and HEALTHCHECK. */
export async function runDockerfile(file: string, options: RunOptions): Promise<BuiltImage> {
  const stages = parseDockerfile(await readFile(file, 'utf8'));
  const dataDir = join(options.workDir, 'data');
  const roots = new Map<string, string>();
  const ignored = await dockerignore(options.context);
  let last: { cmd?: ImageCommand; healthcheck?: ImageCommand; appDir: string } | undefined;

  for (const stage of stages) {
    const root = join(options.workDir, `stage-${stage.name}`);
    roots.set(stage.name, root);
    await mkdir(root, { recursive: true });
    // Container paths → host paths: this stage's filesystem lives under `root`, /data apart.
    const host = (path: string): string =>
      path.startsWith('/data') ? dataDir + path.slice('/data'.length) : join(root, path);
    const env: Record<string, string> = {};
    let cwd = root;
    let user: { uid: number; gid: number } | undefined;
    const image: { cmd?: ImageCommand; healthcheck?: ImageCommand } = {};
    const command = (json: string): ImageCommand => ({
      argv: JSON.parse(json) as string[],
      env: { ...env },
      cwd,
      ...(user ?? {}),
    });

    for (const { op, args } of stage.instructions) {
      options.log?.(`[${stage.name}] ${op} ${args}`);
      switch (op) {
        case 'WORKDIR':
          cwd = host(args);
          await mkdir(cwd, { recursive: true });
          break;
        case 'ENV':
          for (const pair of args.split(/\s+/)) {
            const [key, ...value] = pair.split('=');
            env[key!] = mapPaths(value.join('='), host);
          }
          break;
        case 'COPY': {
          const words = args.split(/\s+/);
          const from = words[0]?.startsWith('--from=') ? words.shift()!.slice('--from='.length) : undefined;
          const dest = words.pop()!;
          const target = dest.startsWith('/') ? host(dest) : join(cwd, dest);
          const sourceRoot = from ? roots.get(from) : options.context;
          if (!sourceRoot) throw new Error(`Dockerfile: COPY --from=${from}: no such stage`);
          for (const source of words) {
            const path = join(sourceRoot, source);
            const into = dest.endsWith('/') || words.length > 1;
            const info = await stat(path);
            const to = into && !info.isDirectory() ? join(target, source.split('/').pop()!) : target;
            await mkdir(dirname(to), { recursive: true });
            await cp(path, to, {
              recursive: true,
              filter: (src) => !ignored.some((name) => src === join(options.context, name)),
            });
          }
          break;
        }
        case 'RUN':
          // An image's npm cache is its own: on this machine `npm cache clean` would otherwise
          // empty the shared one of everything else running here.
          await run(['sh', '-c', mapPaths(args, host)], {
            env: { npm_config_cache: join(options.workDir, 'npm-cache'), ...env },
            cwd,
            log: options.log,
          });
          break;
        case 'USER': {
          const [uid, gid] = args.split(':').map(Number);
          if (!Number.isInteger(uid)) throw new Error('Dockerfile: USER must be numeric here');
          user = { uid: uid!, gid: gid ?? uid! };
          break;
        }
        case 'CMD':
          image.cmd = command(args);
          break;
        case 'HEALTHCHECK':
          image.healthcheck = command(args.slice(args.indexOf('CMD ') + 4));
          break;
        case 'VOLUME':
          await mkdir(host(args), { recursive: true });
          break;
        case 'EXPOSE':
        case 'ARG':
          break;
        default:
          throw new Error(`Dockerfile: ${op} is not understood by this runner`);
      }
    }
    last = { ...image, appDir: cwd };
  }
  if (!last?.cmd || !last.healthcheck)
    throw new Error('Dockerfile: the last stage needs CMD and HEALTHCHECK');
  return { cmd: last.cmd, healthcheck: last.healthcheck, dataDir, appDir: last.appDir };
}

/** The plain top-level names in .dockerignore; patterns (`*.log`) match nothing a fresh clone has. */
async function dockerignore(context: string): Promise<string[]> {
  const text = await readFile(join(context, '.dockerignore'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#') && !line.includes('*'));
}

function mapPaths(text: string, host: (path: string) => string): string {
  return text.replace(/(^|[\s=:])(\/data)\b/g, (_m, lead: string, path: string) => lead + host(path));
}

/** Runs a command to completion; rejects with its output on a non-zero exit. */
export function run(
  argv: string[],
  options: { env?: Record<string, string>; cwd: string; log?: (line: string) => void },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${argv.join(' ')} exited ${code}:\n${output.slice(-4000)}`));
    });
  });
}
