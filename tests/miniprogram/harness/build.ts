/**
 * Builds the mini program once per test process, into this process's own directory (DIST), and
 * removes it when the process exits. The page tests run this build, exactly what DevTools would load.
 */
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST, ROOT } from './mini-program';

type BuildMiniProgram = (options: {
  quiet: boolean;
  outDir: string;
}) => Promise<{ mainPackage: number; lib: number }>;

let building: Promise<{ mainPackage: number; lib: number }> | null = null;

export function buildOnce(): Promise<{ mainPackage: number; lib: number }> {
  if (!building) {
    process.once('exit', () => rmSync(dirname(DIST), { recursive: true, force: true }));
    building = import(pathToFileURL(join(ROOT, 'scripts', 'build-mp.mjs')).href).then(
      (mod: { buildMiniProgram: BuildMiniProgram }) => mod.buildMiniProgram({ quiet: true, outDir: DIST }),
    );
  }
  return building;
}
