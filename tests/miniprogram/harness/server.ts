/**
 * The real Mifeng server for page tests: buildApp on PGlite in memory, listening on loopback, with
 * the dev login on and, optionally, the fake WeChat server behind the WeChat login.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../server/app';
import { loadConfig } from '../../../server/config';
import { connectDatabase, IN_MEMORY, migrateDatabase } from '../../../server/db';
import { type FakeWeChat, startFakeWeChat } from '../../server/fake-wechat';

export interface TestServer {
  /** Base URL of the API, e.g. http://127.0.0.1:41234. */
  url: string;
  /** The server's PUBLIC_URL (what QR codes carry). */
  publicUrl: string;
  wechat: FakeWeChat;
  app: FastifyInstance;
  close(): Promise<void>;
}

export const TEST_PUBLIC_URL = 'https://mifeng.example';

export async function startServer(): Promise<TestServer> {
  const wechat = await startFakeWeChat();
  const config = loadConfig({
    NODE_ENV: 'test',
    PUBLIC_URL: TEST_PUBLIC_URL,
    DATA_DIR: '/nonexistent-mifeng-page-tests',
    JWT_SECRET: 'page-tests-jwt-secret-0123456789abcdef',
    PHONE_PEPPER: 'page-tests-phone-pepper-0123456789abcdef',
    DEV_LOGIN: 'on',
    WECHAT_APPID: wechat.appId,
    WECHAT_SECRET: wechat.secret,
    WECHAT_API_BASE: wechat.url,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '100000',
    LOOKUP_RATE_LIMIT_PER_MINUTE: '100000',
  });
  const database = await connectDatabase({ dataDir: IN_MEMORY });
  await migrateDatabase({ database });
  const app = await buildApp(config, { database }, { logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    publicUrl: TEST_PUBLIC_URL,
    wechat,
    app,
    async close() {
      await app.close();
      await database.close();
      await wechat.close();
    },
  };
}
