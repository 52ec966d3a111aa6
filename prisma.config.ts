// Prisma CLI configuration. The CLI is used here only for `prisma generate`: migrations are created
// and applied through the WASM schema engine in server/db (see docs/database.md), because the
// native engine the CLI would download is unreachable from these machines. The paths below still
// let `prisma migrate deploy` run unchanged on a normally connected machine with DATABASE_URL set.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: {
    path: 'prisma/migrations',
  },
  ...(process.env.DATABASE_URL ? { datasource: { url: process.env.DATABASE_URL } } : {}),
});
