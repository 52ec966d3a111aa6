/**
 * Sealing a letter without freezing the page. The SM2 wrap to each recipient is a scalar
 * multiplication, so a letter to many people is sealed in the key worker (./worker.ts, with the
 * same fallback to the logic thread); a letter to few is sealed at once on the logic thread, which
 * is faster for it: no worker start-up, and the recipients' keys were prepared there at lookup
 * (services/letters/prepare.ts; the worker has its own heap and starts without them).
 */
import {
  base64urlEncode,
  type EnvelopeJson,
  randomBytes,
  type SealInput,
  sealEnvelope,
  sealRandomLength,
} from '../../lib';
import type { KdfRequest } from '../../workers/kdf/messages';
import { whenRandomReady } from '../random';
import { requestId, run } from './worker';

/**
 * The most recipients (the sender not counted) a letter is sealed to on the logic thread; more go
 * to the key worker. Measured in JavaScriptCore without JIT (iOS WeChat): a seal to 5 recipients
 * whose keys were prepared at lookup ≈ 31 ms, each further prepared recipient ≈ 3–4 ms, each
 * unprepared one ≈ 7–8 ms; so 8 prepared recipients come to ≈ 40 ms and more soon pass the ~50 ms
 * at which the page stutters. In the worker the same seal costs more in all (its bundle loads and
 * its base-point table is built first, ≈ 30–40 ms, and no key there is prepared) but the page
 * keeps answering.
 */
export const LOGIC_THREAD_MAX_RECIPIENTS = 8;

/**
 * Nonce draws sent beyond the expected ones: a draw is rejected about once in 2^32, so running out
 * takes three rejections in one letter; the worker then fails and the logic thread seals instead.
 */
const SURPLUS_NONCES = 2;

/**
 * sealEnvelope(input, {now}) where it does not freeze the page: in the key worker above
 * LOGIC_THREAD_MAX_RECIPIENTS recipients, else here. Rejects with KdfCancelledError when
 * `cancelKdf()` stops the worker (the page was left); nothing is sealed then.
 */
export async function sealLetter(input: SealInput, now: Date): Promise<EnvelopeJson> {
  const here = () => sealEnvelope(input, { now }) as EnvelopeJson;
  if (input.recipients.length <= LOGIC_THREAD_MAX_RECIPIENTS) return here();
  await whenRandomReady();
  // The worker has no wx.getRandomValues: it gets every byte it draws from this thread's pool.
  const random = randomBytes(sealRandomLength(input.recipients.length, SURPLUS_NONCES));
  const { sender } = input;
  const request: KdfRequest = {
    id: requestId(),
    op: 'sealLetter',
    sender: {
      user: sender.user,
      privateKey: base64urlEncode(sender.privateKey),
      publicKey: base64urlEncode(sender.publicKey),
    },
    recipients: input.recipients.map((r) => ({ user: r.user, publicKey: base64urlEncode(r.publicKey) })),
    content: input.content,
    remark: input.remark ?? '',
    expiresAt: input.expiresAt === null ? null : input.expiresAt.toISOString(),
    head: input.head ?? null,
    maxOpens: input.maxOpens ?? null,
    now: now.toISOString(),
    random: base64urlEncode(random),
  };
  random.fill(0);
  // The fallback draws afresh from the pool: bytes sent to a worker are never used again.
  return run(
    request,
    'letterSealed',
    () => {},
    (reply) => reply.envelope,
    here,
  );
}
