/** Builds dist/miniprogram once per test process (the page tests run the built output). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './mini-program';

let building: Promise<{ mainPackage: number; lib: number }> | null = null;

export function buildOnce(): Promise<{ mainPackage: number; lib: number }> {
  building ??= import(pathToFileURL(join(ROOT, 'scripts', 'build-mp.mjs')).href).then(
    (mod: {
      buildMiniProgram(options: {
        quiet: boolean;
        lib: boolean;
      }): Promise<{ mainPackage: number; lib: number }>;
    }) => mod.buildMiniProgram({ quiet: true, lib: existsSync(join(ROOT, 'scripts', 'build-lib.mjs')) }),
  );
  return building;
}
