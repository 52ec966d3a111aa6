// `npm start`: makes sure the Prisma client is generated (it is gitignored), then runs the API
// server (server/server.ts) through tsx. Configuration comes from the environment (docs/api.md);
// with none set it serves on port 3000 with PGlite in ./data and the dev login on.
import { spawn } from 'node:child_process';
import { ensurePrismaClient } from './prisma-generate.mjs';

const root = new URL('..', import.meta.url).pathname;

await ensurePrismaClient();

const child = spawn(process.execPath, ['--import', 'tsx', 'server/server.ts'], {
  cwd: root,
  stdio: 'inherit',
});
// Forward stop signals so the server closes gracefully; exit with its status.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
