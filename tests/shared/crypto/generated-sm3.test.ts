// shared/crypto/_sm3-compress.ts is written by scripts/generate-sm3.mjs (npm run generate:sm3); an edit to either alone would
// leave the other describing code that does not run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

describe('shared/crypto/_sm3-compress.ts', () => {
  it('is what scripts/generate-sm3.mjs generates', () => {
    const root = new URL('../../..', import.meta.url).pathname;
    const run = spawnSync(process.execPath, ['scripts/generate-sm3.mjs', '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
  });
});
