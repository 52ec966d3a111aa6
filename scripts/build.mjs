// `npm run build`: every build step, in order. Each step is an async function exported by its own
// script, so a step can also be run alone.
import { buildLib } from './build-lib.mjs';
import { buildMiniProgram } from './build-mp.mjs';
import { buildServer } from './build-server.mjs';
import { prismaGenerate } from './prisma-generate.mjs';

const steps = [
  // Prisma client for the server (prisma/schema.prisma → server/generated/prisma).
  ['prisma client', () => prismaGenerate()],
  // The mini program's lib: shared/ and its npm packages in one module (dist/miniprogram/lib/mifeng.js).
  ['mini program lib', () => buildLib()],
  // The mini program itself (dist/miniprogram/, what project.config.json points DevTools at),
  // requiring the lib built by the step above.
  ['mini program', () => buildMiniProgram({ lib: false })],
  // The API server as JavaScript (dist/server/), with the generated client inlined, and the
  // embedded database's template (dist/pglite-template/): what `NODE_ENV=production npm start` runs.
  ['server', () => buildServer()],
];

for (const [name, run] of steps) {
  const started = performance.now();
  await run();
  console.log(`build: ${name} done in ${Math.round(performance.now() - started)} ms`);
}
