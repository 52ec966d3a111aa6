/**
 * The real Mifeng server for page tests: the server suite's helper (tests/server/helper.ts:
 * testConfig + startServer, real HTTP on loopback) over PGlite in memory, with the dev login on and
 * the fake WeChat server behind the WeChat login.
 */
import type { FastifyInstance } from 'fastify';
import { connectDatabase, IN_MEMORY, migrateDatabase } from '../../../server/db';
import { appendLogLeaf } from '../../../server/plugins/app/transparency-log';
import type { KeyInclusion } from '../../../shared/api';
import { base64urlEncode } from '../../../shared/encoding';
import { keyId } from '../../../shared/protocol';
import { type FakeWeChat, startFakeWeChat } from '../../server/fake-wechat';
import {
  type TestServer as ApiTestServer,
  startServer as startApiServer,
  testConfig,
} from '../../server/helper';
import { TEST_LOG_SIGNING_KEY } from './log-key';

export interface TestServer {
  /** Base URL of the API, e.g. http://127.0.0.1:41234. */
  url: string;
  /** The server's PUBLIC_URL (what QR codes carry). */
  publicUrl: string;
  wechat: FakeWeChat;
  app: FastifyInstance;
  /** The same server as the server suite's helpers take it (registerUser, callApi, …). */
  api: ApiTestServer;
  close(): Promise<void>;
}

const TEST_PUBLIC_URL = 'https://mifeng.example';

/** Starts it; `overrides` are environment variables on top of the page tests' defaults. */
export async function startServer(overrides: Record<string, string> = {}): Promise<TestServer> {
  const wechat = await startFakeWeChat();
  const config = testConfig({
    PUBLIC_URL: TEST_PUBLIC_URL,
    WECHAT_APPID: wechat.appId,
    WECHAT_SECRET: wechat.secret,
    WECHAT_API_BASE: wechat.url,
    // Several people register and look each other up within a second here.
    RATE_LIMIT_PER_MINUTE: '100000',
    LOOKUP_RATE_LIMIT_PER_MINUTE: '100000',
    LOG_SIGNING_KEY: TEST_LOG_SIGNING_KEY,
    ...overrides,
  });
  const database = await connectDatabase({ dataDir: IN_MEMORY });
  await migrateDatabase({ database });
  const server = await startApiServer({ database, config });
  return {
    url: server.url,
    publicUrl: TEST_PUBLIC_URL,
    wechat,
    app: server.app,
    api: server,
    async close() {
      await server.close();
      await database.close();
      await wechat.close();
    },
  };
}

/**
 * What a dishonest operator does to make a key of its own pass the phones' log checks: appends a
 * `reset` leaf naming `publicKey` as `user`'s key to the real log (in public, where the user's own
 * phone can see it), and answers the inclusion proof a lookup or letter would then carry.
 */
export async function publishKeyInName(
  server: TestServer,
  user: string,
  publicKey: Uint8Array,
): Promise<KeyInclusion> {
  await server.app.prisma.$transaction((tx) =>
    appendLogLeaf(tx, {
      userId: user,
      publicKey: base64urlEncode(publicKey),
      keyId: keyId(publicKey),
      kind: 'reset',
      time: new Date().toISOString(),
    }),
  );
  const inclusion = await server.app.transparencyLog.keyInclusion(keyId(publicKey));
  if (!inclusion) throw new Error('the published key is not in the log');
  return inclusion;
}
