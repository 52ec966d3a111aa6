// `npm start`: runs the API server.
//
// - With NODE_ENV=production, or wherever tsx (a devDependency) is not installed: the built
//   server, dist/server/server.mjs (`npm run build`), in this process — plain Node, no TypeScript
//   runtime, nothing generated at start.
// - Otherwise (development): server/server.ts through tsx, generating the Prisma client first if
//   it is missing or older than the schema.
//
// Configuration comes from the environment and `.env` (docs/operations.md); with none set it
// serves on port 3000 with PGlite in ./data and the dev login on.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = fileURLToPath(new URL('../dist/server/server.mjs', import.meta.url));

function tsxInstalled() {
  try {
    createRequire(import.meta.url).resolve('tsx');
    return true;
  } catch {
    return false;
  }
}

if (process.env.NODE_ENV === 'production' || !tsxInstalled()) {
  if (!existsSync(built)) {
    console.error(
      'mifeng: dist/server/server.mjs is missing. Build it where devDependencies are installed ' +
        '(`npm ci && npm run build`) and ship dist/ with the production install (docs/operations.md).',
    );
    process.exit(1);
  }
  await import(pathToFileURL(built).href);
} else {
  const { ensurePrismaClient } = await import('./prisma-generate.mjs');
  await ensurePrismaClient();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/server.ts'], {
    cwd: root,
    stdio: 'inherit',
  });
  // Forward stop signals so the server closes gracefully; exit with its status.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
