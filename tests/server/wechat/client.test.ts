import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { createWeChatClient, WeChatApiError, type WeChatClientOptions } from '../../../server/wechat';
import { type ErrorCode, MifengError } from '../../../shared/errors';
import { type FakeWeChat, type FakeWeChatOptions, startFakeWeChat } from '../fake-wechat';

const fakes: FakeWeChat[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

/** A fake WeChat and a client pointed at it; both share `clock` unless told otherwise. */
async function setup(
  overrides: { fake?: FakeWeChatOptions; client?: Partial<WeChatClientOptions> } = {},
): Promise<{ fake: FakeWeChat; client: ReturnType<typeof createWeChatClient> }> {
  const fake = await startFakeWeChat(overrides.fake);
  fakes.push(fake);
  const client = createWeChatClient({
    baseUrl: fake.url,
    appId: fake.appId,
    secret: fake.secret,
    timeoutMs: 2_000,
    ...overrides.client,
  });
  return { fake, client };
}

/** Asserts a coded rejection and that its message leaks none of `secrets`. */
async function rejectsWith(
  promise: Promise<unknown>,
  code: ErrorCode,
  status: number,
  secrets: string[] = [],
): Promise<WeChatApiError> {
  let caught: unknown;
  await assert.rejects(promise, (err) => {
    caught = err;
    return true;
  });
  assert.ok(caught instanceof WeChatApiError, `expected a WeChatApiError, got ${String(caught)}`);
  assert.ok(caught instanceof MifengError);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.status, status);
  for (const secret of secrets)
    assert.ok(!caught.message.includes(secret), 'the error message leaks a secret');
  assert.equal(caught.cause, undefined);
  return caught;
}

describe('code2Session()', () => {
  it('exchanges a login code for the openid and keeps the session_key to itself', async () => {
    const { fake, client } = await setup();
    fake.addLoginCode('login-1', 'openid-alice');
    const session = await client.code2Session('login-1');
    assert.deepEqual(session, { openid: 'openid-alice' });
    assert.equal(fake.calls.jscode2session, 1);
  });

  it('passes the unionid through when WeChat sends one', async () => {
    const { fake, client } = await setup();
    fake.addLoginCode('login-2', 'openid-bob', { unionid: 'union-bob' });
    assert.deepEqual(await client.code2Session('login-2'), { openid: 'openid-bob', unionid: 'union-bob' });
  });

  it('maps an unknown code and a second use of a code to wechat_invalid_code (400)', async () => {
    const { fake, client } = await setup();
    await rejectsWith(client.code2Session('never-issued'), 'wechat_invalid_code', 400, ['never-issued']);
    fake.addLoginCode('once', 'openid-carol');
    await client.code2Session('once');
    const err = await rejectsWith(client.code2Session('once'), 'wechat_invalid_code', 400, ['once-']);
    assert.equal(err.errcode, 40029);
    assert.equal(err.api, 'jscode2session');
  });

  it('maps 40163 (code used) to wechat_invalid_code', async () => {
    const { fake, client } = await setup();
    fake.failNext('jscode2session', 40163);
    await rejectsWith(client.code2Session('c'), 'wechat_invalid_code', 400);
  });

  it('maps 45011 to wechat_rate_limited (429) and -1 to wechat_busy (503)', async () => {
    const { fake, client } = await setup();
    fake.failNext('jscode2session', 45011);
    fake.failNext('jscode2session', -1);
    await rejectsWith(client.code2Session('c'), 'wechat_rate_limited', 429);
    await rejectsWith(client.code2Session('c'), 'wechat_busy', 503);
  });

  it('maps any other errcode to wechat_error (502), e.g. a wrong secret', async () => {
    const { client } = await setup({ client: { secret: 'not-the-secret-xyz' } });
    const err = await rejectsWith(client.code2Session('c'), 'wechat_error', 502, ['not-the-secret-xyz']);
    assert.equal(err.errcode, 40125);
  });

  it('answers wechat_unavailable (503) when WeChat does not answer in time', async () => {
    const { fake, client } = await setup({ client: { timeoutMs: 150 } });
    fake.failNext('jscode2session', 'hang');
    const started = Date.now();
    await rejectsWith(client.code2Session('c'), 'wechat_unavailable', 503, [fake.secret]);
    assert.ok(Date.now() - started < 1_500, 'the timeout was not applied');
  });

  it('answers wechat_unavailable when nothing listens at the base URL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = createWeChatClient({
      baseUrl: `http://127.0.0.1:${port}`,
      appId: 'wx',
      secret: 'top-secret',
    });
    await rejectsWith(client.code2Session('c'), 'wechat_unavailable', 503, ['top-secret']);
  });

  it('answers wechat_unavailable on HTTP 5xx and wechat_error on a body that is not JSON', async () => {
    const { fake, client } = await setup();
    fake.failNext('jscode2session', 'http_500');
    fake.failNext('jscode2session', 'not_json');
    await rejectsWith(client.code2Session('c'), 'wechat_unavailable', 503);
    await rejectsWith(client.code2Session('c'), 'wechat_error', 502);
  });

  it('rejects invalid inputs without calling WeChat', async () => {
    const { fake, client } = await setup();
    await rejectsWith(client.code2Session(''), 'wechat_invalid_code', 400);
    await rejectsWith(client.code2Session('x'.repeat(257)), 'wechat_invalid_code', 400);
    await rejectsWith(client.code2Session(42 as unknown as string), 'wechat_invalid_code', 400);
    assert.equal(fake.calls.jscode2session, 0);
  });
});

describe('getPhoneNumber()', () => {
  it('exchanges a phone code for the number', async () => {
    const { fake, client } = await setup();
    fake.addPhoneCode('phone-1', '13800138000');
    assert.deepEqual(await client.getPhoneNumber('phone-1'), {
      phoneNumber: '13800138000',
      purePhoneNumber: '13800138000',
      countryCode: '86',
    });
  });

  it('returns countryCode as a string even when WeChat sends a number', async () => {
    const { fake, client } = await setup();
    fake.addPhoneCode('phone-us', {
      phoneNumber: '+1 2025550123',
      purePhoneNumber: '2025550123',
      countryCode: 1,
    });
    assert.deepEqual(await client.getPhoneNumber('phone-us'), {
      phoneNumber: '+1 2025550123',
      purePhoneNumber: '2025550123',
      countryCode: '1',
    });
  });

  it('fetches the access token once for many lookups', async () => {
    const { fake, client } = await setup();
    for (let i = 0; i < 5; i++) {
      fake.addPhoneCode(`p${i}`, `1380013800${i}`);
      assert.equal((await client.getPhoneNumber(`p${i}`)).purePhoneNumber, `1380013800${i}`);
    }
    assert.equal(fake.calls.stable_token, 1);
    assert.equal(fake.calls.getuserphonenumber, 5);
  });

  it('shares one token request among concurrent callers', async () => {
    const { fake, client } = await setup();
    const codes = Array.from({ length: 10 }, (_, i) => `c${i}`);
    for (const code of codes) fake.addPhoneCode(code, '13900139000');
    const phones = await Promise.all(codes.map((code) => client.getPhoneNumber(code)));
    assert.equal(phones.length, 10);
    assert.equal(fake.calls.stable_token, 1);
  });

  it('refreshes the token shortly before it expires', async () => {
    let clock = Date.parse('2026-11-24T00:00:00.000Z');
    const now = () => clock;
    const { fake, client } = await setup({ fake: { now }, client: { now } });
    fake.addPhoneCode('a', '13800000001');
    fake.addPhoneCode('b', '13800000002');
    fake.addPhoneCode('c', '13800000003');
    await client.getPhoneNumber('a');
    clock += 6_000 * 1000; // 20 minutes left: cached
    await client.getPhoneNumber('b');
    assert.equal(fake.calls.stable_token, 1);
    clock += 1_000 * 1000; // 3 minutes left: inside the refresh margin, so asked again before use
    await client.getPhoneNumber('c');
    assert.equal(fake.calls.stable_token, 2);
    // No 40001/42001 round trip was needed.
    assert.equal(fake.calls.getuserphonenumber, 3);
  });

  it('on 40001 after another party forced a refresh, takes the new token in normal mode and retries once', async () => {
    const { fake, client } = await setup();
    fake.addPhoneCode('a', '13800000001');
    fake.addPhoneCode('b', '13800000002');
    await client.getPhoneNumber('a');
    fake.rotateToken();
    assert.equal((await client.getPhoneNumber('b')).purePhoneNumber, '13800000002');
    assert.deepEqual(fake.tokenRequests, [{ forceRefresh: false }, { forceRefresh: false }]);
    assert.equal(fake.calls.getuserphonenumber, 3);
  });

  it('on 40001 for a token WeChat still hands out, forces a refresh and retries once', async () => {
    const { fake, client } = await setup();
    fake.addPhoneCode('a', '13800000001');
    fake.failNext('getuserphonenumber', 40001);
    assert.equal((await client.getPhoneNumber('a')).purePhoneNumber, '13800000001');
    assert.deepEqual(fake.tokenRequests, [
      { forceRefresh: false },
      { forceRefresh: false },
      { forceRefresh: true },
    ]);
    assert.equal(fake.calls.getuserphonenumber, 2);
  });

  it('on 42001 (token expired on WeChat’s clock before ours) refreshes and retries once', async () => {
    let fakeClock = Date.parse('2026-11-24T00:00:00.000Z');
    const { fake, client } = await setup({ fake: { now: () => fakeClock } });
    fake.addPhoneCode('a', '13800000001');
    fake.addPhoneCode('b', '13800000002');
    await client.getPhoneNumber('a');
    fakeClock += 7_300 * 1000;
    assert.equal((await client.getPhoneNumber('b')).purePhoneNumber, '13800000002');
    assert.equal(fake.calls.stable_token, 2);
    assert.equal(fake.calls.getuserphonenumber, 3);
  });

  it('does not loop on repeated 40001: one refresh, one retry, then wechat_error', async () => {
    const { fake, client } = await setup();
    fake.addPhoneCode('a', '13800000001');
    for (let i = 0; i < 5; i++) fake.failNext('getuserphonenumber', 40001);
    const err = await rejectsWith(client.getPhoneNumber('a'), 'wechat_error', 502, ['13800000001']);
    assert.equal(err.errcode, 40001);
    assert.ok(!err.message.includes(fake.currentToken!), 'the error message leaks the access token');
    assert.equal(fake.calls.getuserphonenumber, 2);
    assert.equal(fake.calls.stable_token, 3);
  });

  it('maps a used or unknown phone code to wechat_invalid_code, 45011 to 429 and -1 to 503', async () => {
    const { fake, client } = await setup();
    fake.addPhoneCode('once', '13800000001');
    await client.getPhoneNumber('once');
    await rejectsWith(client.getPhoneNumber('once'), 'wechat_invalid_code', 400);
    fake.failNext('getuserphonenumber', 45011);
    await rejectsWith(client.getPhoneNumber('x'), 'wechat_rate_limited', 429);
    fake.failNext('getuserphonenumber', -1);
    await rejectsWith(client.getPhoneNumber('x'), 'wechat_busy', 503);
    fake.failNext('getuserphonenumber', 40013);
    await rejectsWith(client.getPhoneNumber('x'), 'wechat_error', 502);
  });

  it('fails every waiter of a failed token request, and tries afresh on the next call', async () => {
    const { fake, client } = await setup();
    fake.failNext('stable_token', -1);
    for (const code of ['a', 'b', 'c']) fake.addPhoneCode(code, '13800000001');
    const results = await Promise.allSettled(['a', 'b', 'c'].map((code) => client.getPhoneNumber(code)));
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.equal((r.reason as MifengError).code, 'wechat_busy');
    }
    assert.equal(fake.calls.stable_token, 1);
    assert.equal(fake.calls.getuserphonenumber, 0);
    assert.equal((await client.getPhoneNumber('a')).purePhoneNumber, '13800000001');
    assert.equal(fake.calls.stable_token, 2);
  });

  it('answers wechat_error when the token request is refused (wrong secret), leaking no secret', async () => {
    const { client } = await setup({ client: { secret: 'wrong-secret-123' } });
    const err = await rejectsWith(client.getPhoneNumber('a'), 'wechat_error', 502, ['wrong-secret-123']);
    assert.equal(err.api, 'stable_token');
    assert.equal(err.errcode, 40125);
  });

  it('answers wechat_unavailable when the token or the phone request times out', async () => {
    const { fake, client } = await setup({ client: { timeoutMs: 150 } });
    fake.addPhoneCode('a', '13800000001');
    fake.failNext('stable_token', 'hang');
    await rejectsWith(client.getPhoneNumber('a'), 'wechat_unavailable', 503);
    fake.failNext('getuserphonenumber', 'hang');
    await rejectsWith(client.getPhoneNumber('a'), 'wechat_unavailable', 503, ['13800000001']);
    assert.equal((await client.getPhoneNumber('a')).purePhoneNumber, '13800000001');
  });

  it('answers wechat_error when phone_info is missing', async () => {
    const { fake, client } = await setup();
    fake.failNext('getuserphonenumber', { body: { errcode: 0, errmsg: 'ok' } });
    fake.failNext('getuserphonenumber', {
      body: { errcode: 0, errmsg: 'ok', phone_info: { phoneNumber: 1 } },
    });
    await rejectsWith(client.getPhoneNumber('a'), 'wechat_error', 502);
    await rejectsWith(client.getPhoneNumber('a'), 'wechat_error', 502);
  });

  it('rejects invalid inputs without calling WeChat', async () => {
    const { fake, client } = await setup();
    await rejectsWith(client.getPhoneNumber(''), 'wechat_invalid_code', 400);
    await rejectsWith(client.getPhoneNumber(undefined as unknown as string), 'wechat_invalid_code', 400);
    assert.equal(fake.calls.stable_token + fake.calls.getuserphonenumber, 0);
  });
});

describe('sendSubscribeMessage()', () => {
  const message = (touser: string, templateId: string) => ({
    touser,
    templateId,
    page: 'pages/open/open?id=AAAAAAAAAAAAAAAAAAAAAA',
    data: { thing1: 'Alice', time2: '2026年12月2日 14:05' },
    miniprogramState: 'formal' as const,
    lang: 'zh_CN' as const,
  });

  it('sends {touser, template_id, page, data: {k: {value}}, miniprogram_state, lang} and spends one grant', async () => {
    const { fake, client } = await setup();
    fake.addTemplate('tmpl-0001');
    fake.subscribe('o-alice', 'tmpl-0001', 2);
    await client.sendSubscribeMessage(message('o-alice', 'tmpl-0001'));
    assert.deepEqual(fake.messages[0], {
      touser: 'o-alice',
      template_id: 'tmpl-0001',
      data: { thing1: { value: 'Alice' }, time2: { value: '2026年12月2日 14:05' } },
      page: 'pages/open/open?id=AAAAAAAAAAAAAAAAAAAAAA',
      miniprogram_state: 'formal',
      lang: 'zh_CN',
    });
    assert.equal(fake.grantsLeft('o-alice', 'tmpl-0001'), 1);
  });

  it('maps 43101 (refused or no grant left) to wechat_not_subscribed, keeping the errcode', async () => {
    const { fake, client } = await setup();
    fake.addTemplate('tmpl-0001');
    fake.subscribe('o-bob', 'tmpl-0001', 0);
    const err = await rejectsWith(
      client.sendSubscribeMessage(message('o-bob', 'tmpl-0001')),
      'wechat_not_subscribed',
      409,
      ['o-bob'],
    );
    assert.equal(err.errcode, 43101);
    assert.equal(err.api, 'send');
  });

  it('maps 40037 (template), 40003 (openid) and 47003 (data) to wechat_error with the errcode', async () => {
    const { fake, client } = await setup();
    fake.addTemplate('tmpl-0001');
    fake.subscribe('o-carol', 'tmpl-0001', 5);
    const unknownTemplate = await rejectsWith(
      client.sendSubscribeMessage(message('o-carol', 'tmpl-gone')),
      'wechat_error',
      502,
    );
    assert.equal(unknownTemplate.errcode, 40037);
    const stranger = await rejectsWith(
      client.sendSubscribeMessage(message('o-nobody', 'tmpl-0001')),
      'wechat_error',
      502,
    );
    assert.equal(stranger.errcode, 40003);
    const long = {
      ...message('o-carol', 'tmpl-0001'),
      data: { thing1: '一二三四五六七八九十一二三四五六七八九十一' },
    };
    const tooLong = await rejectsWith(client.sendSubscribeMessage(long), 'wechat_error', 502);
    assert.equal(tooLong.errcode, 47003);
    assert.equal(fake.grantsLeft('o-carol', 'tmpl-0001'), 5, 'nothing spent on a refused message');
  });

  it('refreshes a rejected access token once and sends', async () => {
    const { fake, client } = await setup();
    fake.addTemplate('tmpl-0001');
    fake.subscribe('o-dan', 'tmpl-0001');
    await client.sendSubscribeMessage(message('o-dan', 'tmpl-0001'));
    fake.subscribe('o-dan', 'tmpl-0001');
    fake.rotateToken();
    await client.sendSubscribeMessage(message('o-dan', 'tmpl-0001'));
    assert.equal(fake.calls.subscribe_send, 3);
    assert.equal(fake.messages.length, 2);
  });
});
