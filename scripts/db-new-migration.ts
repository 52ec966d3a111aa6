// `npm run db:migration -- <intent>`: writes prisma/migrations/<timestamp>_<intent>/migration.sql
// with the SQL that brings the migration history up to prisma/schema.prisma (docs/database.md).
import { diffToNewMigration } from '../server/db';

const name = process.argv.slice(2).join('_');
if (!name) {
  console.error('usage: npm run db:migration -- <intent, e.g. add_message_expiry>');
  process.exit(2);
}
const migration = await diffToNewMigration(name);
if (!migration) {
  console.log('prisma/schema.prisma matches the migration history; no migration written');
} else {
  console.log(`wrote ${migration.path}\n\n${migration.sql}`);
  console.log('review it, then run `npm run db:generate` and commit the folder');
}
