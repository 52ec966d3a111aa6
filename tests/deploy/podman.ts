/**
 * podman as this machine lets it run containers, found by trying: the base image the Dockerfile
 * builds on (made from local files, since nothing can be pulled) and the flags every `run` and
 * `build` needs.
 *
 *   const skip = await requireService('podman', podmanUnavailable);
 *   await podman(['build', ...RUN_FLAGS, …]);
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hasCommand } from '../../harness/net';
import { run } from './dockerfile';

/** The image tests/deploy/node-base-image.sh makes, passed as the Dockerfile's NODE_IMAGE. */
export const BASE_IMAGE = 'localhost/mifeng-node-base';

const BASE_SCRIPT = fileURLToPath(new URL('./node-base-image.sh', import.meta.url));

/**
 * Resource limits for every container (RUN steps included). podman's defaults for root
 * (1048576 files, 4194304 processes) are above the hard limits of a machine without
 * CAP_SYS_RESOURCE, where the runtime's setrlimit fails; these fit under any usual hard limit.
 */
export const RUN_FLAGS = ['--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096'];

/**
 * The global flags that choose a runtime: the default (crun) first, then runc, which also
 * handles hybrid cgroups (v1 controllers with a v2 hierarchy holding one), where crun 1.8 stops
 * with "cgroups in hybrid mode not supported".
 */
const RUNTIMES: string[][] = [[], ['--runtime', 'runc']];

let runtime: string[] | undefined;

/** Why podman cannot build and run containers here, or undefined once it can (a requireService probe). */
export async function podmanUnavailable(): Promise<string | undefined> {
  if (!hasCommand('podman')) return 'podman is not installed (apt-get install podman runc)';
  await run([BASE_SCRIPT, BASE_IMAGE], { cwd: '/' });
  const errors: string[] = [];
  for (const flags of RUNTIMES) {
    try {
      await run(['podman', ...flags, 'run', '--rm', ...RUN_FLAGS, BASE_IMAGE, 'node', '-e', '0'], {
        cwd: '/',
      });
      runtime = flags;
      return undefined;
    } catch (error) {
      errors.push(
        `${flags.join(' ') || 'default runtime'}: ${(error as Error).message.trim().split('\n').pop()}`,
      );
    }
  }
  return `podman cannot run a container here (${errors.join('; ')})`;
}

/** The podman command line, with the runtime the probe found. */
export function podmanArgv(args: string[]): string[] {
  if (!runtime) throw new Error('podman: call podmanUnavailable() first');
  return ['podman', ...runtime, ...args];
}

/** Runs podman to completion; resolves with its standard output, rejects with its output. */
export async function podman(args: string[]): Promise<string> {
  const [program, ...rest] = podmanArgv(args);
  return await new Promise((resolve, reject) => {
    execFile(program!, rest, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`podman ${args.join(' ')}: ${error.message}\n${stderr.slice(-4000)}`));
      else resolve(stdout);
    });
  });
}
