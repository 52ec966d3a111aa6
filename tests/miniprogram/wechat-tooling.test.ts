/**
 * The built mini program through WeChat's own offline tooling (miniprogram-ci: the bundled JSON
 * schemas, the wcc/wcsc compilers, the code-quality scan), dev and release builds, plus broken
 * control copies that prove each check can fail. And the build settings' refusals.
 */
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { requireService } from '../support/services';
import { TEST_LOG_KEY, TEST_LOG_SIGNING_KEY } from './harness/log-key';
import { ROOT } from './harness/mini-program';

interface Settings {
  env: 'dev' | 'release';
  apiBaseUrl: string;
  publicUrl: string;
  loginMode: 'wechat' | 'dev';
  appId: string;
  logKey: string;
}
const settingsModule = (await import(pathToFileURL(join(ROOT, 'scripts', 'mp-settings.mjs')).href)) as {
  miniProgramSettings: (env: string, vars: Record<string, string>) => Settings;
  buildEnvFrom: (argv: string[], vars: Record<string, string>) => string;
};
const { buildMiniProgram } = (await import(pathToFileURL(join(ROOT, 'scripts', 'build-mp.mjs')).href)) as {
  buildMiniProgram: (o: { quiet: boolean; outDir: string; settings: Settings }) => Promise<unknown>;
};

const RELEASE_VARS = {
  MIFENG_API_BASE_URL: 'https://api.mifeng.example.cn',
  MIFENG_PUBLIC_URL: 'https://mifeng.example.cn',
  MIFENG_LOGIN_MODE: 'wechat',
  MIFENG_APPID: 'wx0123456789abcdef',
  MIFENG_LOG_KEY: TEST_LOG_KEY,
};

describe('build settings', () => {
  const release = (overrides: Record<string, string>) =>
    settingsModule.miniProgramSettings('release', { ...RELEASE_VARS, ...overrides });

  it("a dev build defaults to the local server, the dev login and the local server's log key", () => {
    assert.deepEqual(settingsModule.miniProgramSettings('dev', { LOG_SIGNING_KEY: TEST_LOG_SIGNING_KEY }), {
      env: 'dev',
      apiBaseUrl: 'http://127.0.0.1:3000',
      publicUrl: 'http://127.0.0.1:3000',
      loginMode: 'dev',
      appId: 'touristappid',
      logKey: TEST_LOG_KEY,
    });
  });

  it("without LOG_SIGNING_KEY a dev build makes the dev server's key file in DATA_DIR, and both then use it", () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mifeng-mp-settings-'));
    try {
      const first = settingsModule.miniProgramSettings('dev', { DATA_DIR: dataDir }).logKey;
      const stored = readFileSync(join(dataDir, 'log-signing-key'), 'utf8').trim();
      const fromFile = settingsModule.miniProgramSettings('dev', { LOG_SIGNING_KEY: stored }).logKey;
      assert.equal(first, fromFile);
      assert.equal(settingsModule.miniProgramSettings('dev', { DATA_DIR: dataDir }).logKey, first);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a release build takes https names and the WeChat login, without trailing slashes', () => {
    const s = release({ MIFENG_PUBLIC_URL: 'https://mifeng.example.cn/' });
    assert.equal(s.publicUrl, 'https://mifeng.example.cn');
    assert.equal(s.loginMode, 'wechat');
  });

  for (const [what, overrides, message] of [
    ['http', { MIFENG_API_BASE_URL: 'http://api.mifeng.example.cn' }, /MIFENG_API_BASE_URL must use https/],
    [
      'an IP address',
      { MIFENG_API_BASE_URL: 'https://203.0.113.7' },
      /MIFENG_API_BASE_URL must name a registered domain/,
    ],
    [
      'an IPv6 address',
      { MIFENG_PUBLIC_URL: 'https://[2001:db8::1]' },
      /MIFENG_PUBLIC_URL must name a registered domain/,
    ],
    [
      'localhost',
      { MIFENG_PUBLIC_URL: 'https://localhost' },
      /MIFENG_PUBLIC_URL must name a registered domain/,
    ],
    ['the dev login', { MIFENG_LOGIN_MODE: 'dev' }, /MIFENG_LOGIN_MODE must be wechat in a release build/],
    ['the tourist app id', { MIFENG_APPID: 'touristappid' }, /MIFENG_APPID must be a mini program app id/],
    ['a missing value', { MIFENG_APPID: '' }, /MIFENG_APPID is required for a release build/],
    ['a missing log key', { MIFENG_LOG_KEY: '' }, /MIFENG_LOG_KEY is required for a release build/],
    [
      'a log key that is not a public key',
      { MIFENG_LOG_KEY: TEST_LOG_SIGNING_KEY },
      /MIFENG_LOG_KEY must be the log's public key/,
    ],
    [
      'a log key off the curve',
      { MIFENG_LOG_KEY: `BA${'A'.repeat(85)}` },
      /MIFENG_LOG_KEY is not a point of the SM2 curve/,
    ],
    [
      'a query string',
      { MIFENG_PUBLIC_URL: 'https://mifeng.example.cn/?x=1' },
      /MIFENG_PUBLIC_URL must be a plain origin/,
    ],
  ] as const) {
    it(`a release build refuses ${what}, naming the variable`, () => {
      assert.throws(() => release(overrides), message);
    });
  }

  it('--env picks the build, and an unknown one is refused', () => {
    assert.equal(settingsModule.buildEnvFrom(['--env', 'release'], {}), 'release');
    assert.equal(settingsModule.buildEnvFrom(['--env=dev'], { MIFENG_ENV: 'release' }), 'dev');
    assert.equal(settingsModule.buildEnvFrom([], { MIFENG_ENV: 'release' }), 'release');
    assert.throws(
      () => settingsModule.buildEnvFrom(['--env', 'prod'], {}),
      /--env must be one of dev, release/,
    );
  });
});

/** WeChat's offline tooling runs inside a network namespace of its own. */
function unshareUnavailable(): string | undefined {
  const probe = spawnSync('unshare', ['-rn', 'true'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    return `unshare -rn failed: ${probe.error?.message ?? probe.stderr.trim()}`;
  return undefined;
}

interface CiResult {
  projectPath: string;
  compiled?: number;
  compileError?: string;
  quality?: { name: string; success: boolean; text: string }[];
  qualityError?: string;
}

/**
 * Runs miniprogram-ci on the given project folders, offline, in one child process. miniprogram-ci
 * gives its own compiler process 20 s to come up and crashes when it does not (`fork process
 * timeout`), which a busy machine can cause: that one failure is tried again, up to three runs.
 */
function wechatCi(projects: string[]): CiResult[] {
  let run: SpawnSyncReturns<string>;
  for (let attempt = 1; ; attempt++) {
    run = spawnSync(
      'unshare',
      ['-rn', process.execPath, join(ROOT, 'tests', 'miniprogram', 'harness', 'wechat-ci.cjs'), ...projects],
      { cwd: ROOT, encoding: 'utf8', timeout: 600_000, maxBuffer: 64 * 1024 * 1024 },
    );
    if (attempt === 3 || !run.stderr.includes('fork process timeout')) break;
  }
  const line = run.stdout.split('\n').find((l) => l.startsWith('WECHAT-CI-RESULT '));
  assert.ok(line, `miniprogram-ci printed no result (status ${run.status}): ${run.stderr.slice(-2000)}`);
  return JSON.parse(line.slice('WECHAT-CI-RESULT '.length)) as CiResult[];
}

const skip = await requireService('a network namespace (unshare -rn)', unshareUnavailable);

describe("WeChat's own tooling on the built mini program", { skip }, () => {
  let work: string;
  const results = new Map<string, CiResult>();

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'mifeng-wechat-ci-'));
    const dev = join(work, 'dev');
    const release = join(work, 'release');
    await buildMiniProgram({
      quiet: true,
      outDir: join(dev, 'miniprogram'),
      settings: settingsModule.miniProgramSettings('dev', { MIFENG_LOG_KEY: TEST_LOG_KEY }),
    });
    // The dev build is opened from the repository root; here its own copy of that project file.
    const project = JSON.parse(readFileSync(join(ROOT, 'project.config.json'), 'utf8'));
    writeFileSync(
      join(dev, 'project.config.json'),
      JSON.stringify({ ...project, miniprogramRoot: 'miniprogram/' }),
    );
    await buildMiniProgram({
      quiet: true,
      outDir: join(release, 'miniprogram'),
      settings: settingsModule.miniProgramSettings('release', RELEASE_VARS),
    });

    // Broken copies of the release build, one fault each.
    const broken = (name: string, file: string, edit: (text: string) => string) => {
      const dir = join(work, name);
      cpSync(release, dir, { recursive: true });
      const path = join(dir, 'miniprogram', file);
      writeFileSync(path, edit(readFileSync(path, 'utf8')));
      return dir;
    };
    const projects = {
      dev,
      release,
      badJson: broken('bad-json', 'app.json', (t) =>
        t.replace('"navigationBarTextStyle": "@navTextStyle"', '"navigationBarTextStyle": 7'),
      ),
      badWxml: broken('bad-wxml', 'pages/me/me.wxml', (t) => `${t}\n<view><text>{{ broken }</view>`),
      badWxss: broken('bad-wxss', 'pages/me/me.wxss', (t) => `${t}\n.unclosed { color: red;`),
    };
    const out = wechatCi(Object.values(projects));
    for (const [name, dir] of Object.entries(projects)) {
      const result = out.find((r) => r.projectPath === dir);
      assert.ok(result, `no result for ${name}`);
      results.set(name, result);
    }
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  it('compiles the dev and the release build without an error', () => {
    for (const name of ['dev', 'release']) {
      const r = results.get(name);
      assert.equal(r?.compileError, undefined, `${name}: ${r?.compileError}`);
      assert.ok((r?.compiled ?? 0) > 30, `${name}: compiled ${r?.compiled} files`);
    }
  });

  it('passes every code-quality check in the release build', () => {
    const quality = results.get('release')?.quality;
    assert.ok(quality && quality.length >= 8, JSON.stringify(results.get('release')));
    assert.deepEqual(
      quality.filter((q) => !q.success).map((q) => q.name),
      [],
    );
  });

  it('flags the dev build, whose JavaScript is not minified (the scan can fail)', () => {
    const failed = results
      .get('dev')
      ?.quality?.filter((q) => !q.success)
      .map((q) => q.name);
    assert.deepEqual(failed, ['JS_COMPRESS_OPEN']);
  });

  it("rejects a control file against WeChat's JSON schema", () => {
    // With a theme, WeChat names both files the value may come from.
    assert.match(
      results.get('badJson')?.compileError ?? '',
      /app\.json( or theme\.json\["light"\])?: window\.navigationBarTextStyle field needs to be string/,
    );
  });

  it('rejects broken WXML (wcc) and broken WXSS (wcsc)', () => {
    assert.match(results.get('badWxml')?.compileError ?? '', /unexpected end|expect|wxml/i);
    assert.match(results.get('badWxss')?.compileError ?? '', /me\.wxss.*Unclosed block/);
  });

  it('compiles the release settings in, and nothing of the dev defaults', () => {
    const config = readFileSync(join(work, 'release', 'miniprogram', 'config.js'), 'utf8');
    assert.match(config, /https:\/\/api\.mifeng\.example\.cn/);
    assert.doesNotMatch(config, /127\.0\.0\.1|MIFENG_BUILD|"dev"/);
    const project = JSON.parse(readFileSync(join(work, 'release', 'project.config.json'), 'utf8'));
    assert.equal(project.appid, RELEASE_VARS.MIFENG_APPID);
    assert.equal(project.miniprogramRoot, 'miniprogram/');
    assert.equal(project.setting.minified, true);
  });
});
