/** Steps several page tests share, done through the pages like a person would. */
import assert from 'node:assert/strict';
import { buildOnce } from './build';
import { type PageHandle, Phone } from './mini-program';
import { startServer, type TestServer } from './server';

/**
 * Registers through the register page (`url`, with any redirect) with the dev login (the phone
 * number is typed); resolves once the page navigated on to `arrivesAt`.
 */
export async function registerThroughPage(
  device: Phone,
  person: { name: string; phone: string; masterKey: string },
  url = '/pages/register/register',
  arrivesAt = '/pages/inbox/inbox',
): Promise<PageHandle> {
  const page = device.open(url);
  await page.waitFor(() => page.data.ready === true, 'the register form');
  await page.tap('.agree-box');
  await page.input('.name-input', person.name);
  await page.input('.phone-input', person.phone);
  await page.input('.key-input', person.masterKey);
  // The estimator is a chunk the page loads itself; the meter rates the key once it is in.
  await page.waitFor(() => page.data.strengthOk === true, `${person.masterKey} to be rated strong enough`);
  await page.input('.key2-input', person.masterKey);
  await page.tap('.ack');
  await page.tap('.submit');
  await page.waitFor(() => device.state.navigations.some((n) => n.url.startsWith(arrivesAt)), 'registration');
  assert.equal(page.data.error, '');
  return page;
}

/**
 * The start of a two-person suite: the built mini program, a fresh API server, and a phone for each
 * of `a` and `b`, registered through the register page.
 */
export async function twoRegisteredPhones(
  a: { name: string; phone: string; masterKey: string },
  b: { name: string; phone: string; masterKey: string },
): Promise<{ server: TestServer; a: Phone; b: Phone }> {
  await buildOnce();
  const server = await startServer();
  const phoneA = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
  const phoneB = new Phone({ apiBaseUrl: server.url, publicUrl: server.publicUrl });
  try {
    await registerThroughPage(phoneA, a);
    await registerThroughPage(phoneB, b);
  } catch (err) {
    // The suite's `after` never sees this server: close it here so the failing file still ends.
    await server.close();
    throw err;
  }
  return { server, a: phoneA, b: phoneB };
}

/** A letter as it is typed into the compose page. */
export interface LetterDraft {
  content: string;
  remark?: string;
  to: { name: string; phone: string }[];
  expiry?: string;
  /** A READ_LIMIT key (compose's read limit chips), e.g. BURN_AFTER_READING. */
  readLimit?: string;
}

/** Opens the compose page and writes `letter` into it, every recipient found; nothing is sealed yet. */
export async function composeThroughPage(device: Phone, letter: LetterDraft): Promise<PageHandle> {
  const compose = device.open('/pages/compose/compose');
  await compose.waitFor(() => compose.data.ready === true, 'the compose form');
  await compose.input('.content-input', letter.content);
  if (letter.remark) await compose.input('.remark-input', letter.remark);
  for (const [i, to] of letter.to.entries()) {
    await compose.input('.add-row .name-input', to.name);
    await compose.input('.add-row .phone-input', to.phone);
    await compose.tap('.add-button');
    await compose.waitFor(
      () => (compose.data.recipients as { status: string }[])[i]?.status === 'found',
      `${to.name} to be found`,
    );
  }
  if (letter.expiry) await compose.tap(`.expiry-${letter.expiry}`);
  if (letter.readLimit) await compose.tap(`.read-limit-${letter.readLimit}`);
  return compose;
}

/** Composes and seals a letter through the compose page; resolves to the share page URL. */
export async function sendThroughPage(device: Phone, letter: LetterDraft): Promise<string> {
  const compose = await composeThroughPage(device, letter);
  const before = device.state.navigations.length;
  await compose.tap('.seal-button');
  await compose.waitFor(
    () => device.state.navigations.slice(before).some((n) => n.type === 'redirectTo'),
    'the share page',
  );
  return device.state.navigations.filter((n) => n.type === 'redirectTo').at(-1)!.url;
}

/** The envelope id in a share page URL. */
export function idOf(shareUrl: string): string {
  return /[?&]id=([A-Za-z0-9_-]{22})/.exec(shareUrl)![1]!;
}
