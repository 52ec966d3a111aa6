/**
 * The built server's code cache file (server/code-cache.ts): what was written for a bundle reads
 * back for exactly that bundle; another bundle's cache, a damaged or truncated file and a missing
 * one are refused, so V8 (which checks only the source's length, and no checksum) never sees them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readCodeCache, writeCodeCache } from '../../server/code-cache';

describe('code cache file', () => {
  let dir: string;
  let cachePath: string;
  const bundle = Buffer.from('"use strict";console.log("bundle")\n');
  const data = randomBytes(4096);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mifeng-code-cache-'));
    cachePath = join(dir, 'server.cjs.cache');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reads back the data written for the same bundle', async () => {
    writeCodeCache(cachePath, bundle, data);
    assert.deepEqual(readCodeCache(cachePath, bundle), { data });
  });

  it('refuses the cache of another bundle, even one of the same length', () => {
    writeCodeCache(cachePath, bundle, data);
    const other = Buffer.from(bundle.toString().replace('bundle', 'BUNDLE'));
    assert.equal(other.length, bundle.length);
    assert.deepEqual(readCodeCache(cachePath, other), { state: 'invalid' });
  });

  it('refuses a file with any byte changed', async () => {
    writeCodeCache(cachePath, bundle, data);
    const written = await readFile(cachePath);
    for (const at of [0, 8, 40, 72, written.length - 1]) {
      const damaged = Buffer.from(written);
      damaged[at]! ^= 0x01;
      await writeFile(cachePath, damaged);
      assert.deepEqual(readCodeCache(cachePath, bundle), { state: 'invalid' }, `byte ${at}`);
    }
  });

  it('refuses a truncated or empty file', async () => {
    writeCodeCache(cachePath, bundle, data);
    const written = await readFile(cachePath);
    for (const length of [0, 8, 72, written.length - 1]) {
      await writeFile(cachePath, written.subarray(0, length));
      assert.deepEqual(readCodeCache(cachePath, bundle), { state: 'invalid' }, `${length} bytes`);
    }
  });

  it('reports a missing file as missing', async () => {
    await rm(cachePath, { force: true });
    assert.deepEqual(readCodeCache(cachePath, bundle), { state: 'missing' });
  });
});
