// The lib the mini program loads, run the way WeChat runs it (tests/support/wechat-vm.mjs):
// in a vm context without Node or browser globals and without code generation, with randomness only
// from a `wx.getRandomValues` double — with V8's JIT, under `node --jitless`, and in JavaScriptCore
// without JIT (`jsc --useJIT=false`), the engine and mode iOS WeChat runs mini programs in.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildLib, CORE_ENTRIES, LIB_CORE_BUDGET } from '../../scripts/build-lib.mjs';
import { jscProbe, requireService } from '../support/services';
import { jscProgram, runLibInWeChatRuntime } from '../support/wechat-vm.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const HARNESS = fileURLToPath(new URL('../support/wechat-vm.mjs', import.meta.url));
const VECTORS = join(root, 'tests', 'vectors', 'protocol-v1.json');
/** JavaScriptCore's shell; Debian ships it in libjavascriptcoregtk-4.0-bin. */
const JSC = 'jsc';
const jscSkip = await requireService('jsc (JavaScriptCore)', jscProbe);
/** Random bytes handed to the jsc scenario's wx.getRandomValues double: a few pool fills. */
const JSC_RANDOM_BYTES = 64 * 1024;

let dir: string;
const libs: Record<string, { outfile: string; bytes: number }> = {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mifeng-lib-'));
  libs.core = await buildLib({ entries: CORE_ENTRIES, outfile: join(dir, 'core.js'), quiet: true });
  libs.lib = await buildLib({ outfile: join(dir, 'mifeng.js'), quiet: true });
});
after(() => rmSync(dir, { recursive: true, force: true }));

type RuntimeResult = Awaited<ReturnType<typeof runLibInWeChatRuntime>>;

/** `codegenBlocked`: false where the engine cannot switch code generation off (jsc). */
function checkResult(result: RuntimeResult, { codegenBlocked = true } = {}) {
  assert.deepEqual(result.presentGlobals, []);
  assert.equal(result.codegenBlocked, codegenBlocked);
  assert.deepEqual(result.errors, {
    sealBeforeFill: 'RandomNotReady',
    keygenBeforeFill: 'RandomNotReady',
    openAsStranger: 'NotARecipient',
    openWithWrongSenderKey: 'BadSignature',
    wrongMasterKey: 'WrongMasterKey',
  });
  assert.deepEqual(result.opened, { content: '第一行\n第二行 🔐', remark: '保险柜' });
  assert.equal(result.vector, 'The safe code is 4711.');
  assert.equal(result.unlockedMatches, true);
  assert.deepEqual(result.codegen, [], 'nothing tried eval or new Function');
}

const timings = (r: RuntimeResult) =>
  `load ${r.loadMs.toFixed(0)} ms, first seal ${r.firstSealMs} ms, first open ${r.firstOpenMs} ms, ` +
  `backup + unlock at 10 000 iterations ${r.backupAndUnlock10kMs} ms`;

describe('the mini program lib in a WeChat-shaped runtime', () => {
  it('keeps the crypto + protocol + schemas core within its size budget', (t) => {
    t.diagnostic(
      `core ${(libs.core!.bytes / 1024).toFixed(1)} KB minified (budget ${LIB_CORE_BUDGET / 1024} KB)`,
    );
    t.diagnostic(`whole lib ${(libs.lib!.bytes / 1024).toFixed(1)} KB minified`);
    assert.ok(libs.core!.bytes <= LIB_CORE_BUDGET);
    assert.doesNotMatch(readFileSync(libs.core!.outfile, 'utf8'), /\beval\s*\(|\bnew\s+Function\b/);
  });

  for (const name of ['core', 'lib']) {
    it(`${name}: loads, refuses to seal before the pool is filled, then seals, opens and unlocks`, async (t) => {
      const result = await runLibInWeChatRuntime(libs[name]!.outfile, readFileSync(VECTORS, 'utf8'));
      checkResult(result);
      t.diagnostic(timings(result));
    });

    it(`${name}: does the same under node --jitless`, (t) => {
      const child = spawnSync(process.execPath, ['--jitless', HARNESS, 'lib', libs[name]!.outfile, VECTORS], {
        encoding: 'utf8',
      });
      assert.equal(child.status, 0, child.stderr);
      const result: RuntimeResult = JSON.parse(child.stdout);
      checkResult(result);
      t.diagnostic(`jitless: ${timings(result)}`);
      console.log(`[wechat-runtime] ${name} jitless: ${timings(result)}`);
    });

    it(`${name}: does the same in JavaScriptCore without JIT (jsc --useJIT=false)`, {
      skip: jscSkip,
    }, (t) => {
      const program = join(dir, `${name}-jsc.js`);
      const code = readFileSync(libs[name]!.outfile, 'utf8');
      writeFileSync(
        program,
        jscProgram(code, readFileSync(VECTORS, 'utf8'), randomBytes(JSC_RANDOM_BYTES).toString('hex')),
      );
      const child = spawnSync(JSC, ['--useJIT=false', program], { encoding: 'utf8' });
      assert.equal(child.status, 0, child.stderr);
      const result = JSON.parse(child.stdout.trim().split('\n').at(-1)!);
      assert.equal(result.failed, undefined);
      checkResult(result, { codegenBlocked: false });
      const text = `${timings(result)}; load + first seal ${(result.loadMs + result.firstSealMs).toFixed(0)} ms`;
      t.diagnostic(`jsc --useJIT=false: ${text}`);
      console.log(`[wechat-runtime] ${name} jsc --useJIT=false: ${text}`);
    });
  }
});
