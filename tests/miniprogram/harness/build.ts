/**
 * Builds the mini program once per test process, into this process's own directory (DIST), and
 * removes it when the process exits. The page tests run this build, exactly what DevTools would load.
 */
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TEST_LOG_KEY } from './log-key';
import { DIST, ROOT } from './mini-program';

type BuildMiniProgram = (options: {
  quiet: boolean;
  outDir: string;
  settings: unknown;
}) => Promise<{ mainPackage: number; lib: number }>;
type Settings = { miniProgramSettings(env: string, vars: Record<string, string | undefined>): unknown };

let building: Promise<{ mainPackage: number; lib: number }> | null = null;

export function buildOnce(): Promise<{ mainPackage: number; lib: number }> {
  if (!building) {
    process.once('exit', () => rmSync(dirname(DIST), { recursive: true, force: true }));
    building = Promise.all([
      import(pathToFileURL(join(ROOT, 'scripts', 'build-mp.mjs')).href),
      import(pathToFileURL(join(ROOT, 'scripts', 'mp-settings.mjs')).href),
    ]).then(([mod, settings]: [{ buildMiniProgram: BuildMiniProgram }, Settings]) =>
      mod.buildMiniProgram({
        quiet: true,
        outDir: DIST,
        // The test server's log key is built in, exactly as a release build carries the real one.
        settings: settings.miniProgramSettings('dev', { ...process.env, MIFENG_LOG_KEY: TEST_LOG_KEY }),
      }),
    );
  }
  return building;
}
