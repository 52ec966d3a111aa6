import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { migrationChecksum, readMigrationFiles } from '../../../server/db/migration-files';
import { migratePglite } from '../../../server/db/migrations';
import { openPglite, templateMigrationsMatch, writePgliteTemplate } from '../../../server/db/pglite';

describe("the build's PGlite template", () => {
  let work: string;
  let templateDir: string;
  let lines: string[];
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'mifeng-template-'));
    templateDir = join(work, 'template');
    await writePgliteTemplate((pglite) => migratePglite(pglite), templateDir);
    lines = (await readMigrationFiles()).map(({ name, sql }) => `${migrationChecksum(sql)} ${name}`);
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('records every migration it holds, with the checksum Prisma records', async () => {
    assert.ok(lines.length > 0);
    assert.equal(await readFile(join(templateDir, 'migrations'), 'utf8'), `${lines.join('\n')}\n`);
  });

  it('gives a first start a database that is already migrated', async () => {
    const opened = await openPglite(join(work, 'data', 'pglite'), { templateDir });
    try {
      assert.equal(opened.origin, 'template');
      assert.deepEqual(await migratePglite(opened.pglite), { applied: [], edited: [] });
      const { rows } = await opened.pglite.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
      assert.deepEqual(rows, [{ n: 0 }]);
    } finally {
      await opened.close();
    }
  });

  it('is used only when its migrations are the first of the repository, unchanged', async () => {
    const recorded = (list: string[]) => list.map((line) => `${line}\n`).join('');
    assert.equal(await templateMigrationsMatch(recorded(lines)), true);
    assert.equal(
      await templateMigrationsMatch(recorded(lines.slice(0, 1))),
      true,
      'older template: rest applied',
    );
    assert.equal(await templateMigrationsMatch(''), true, 'template without migrations');
    const edited = lines.map((line, i) => (i === 0 ? `${'0'.repeat(64)}${line.slice(64)}` : line));
    assert.equal(await templateMigrationsMatch(recorded(edited)), false, 'a migration edited since');
    assert.equal(
      await templateMigrationsMatch(recorded([...lines, `${'1'.repeat(64)} 29991231000000_removed`])),
      false,
      'a migration removed since',
    );
    assert.equal(await templateMigrationsMatch(recorded(lines.slice(1))), false, 'first migration missing');
  });
});
