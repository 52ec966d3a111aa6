/**
 * `GET /s/:id`: the landing page behind a letter's QR URL (`<PUBLIC_URL>/s/<id>`, shared/api/links.ts).
 *
 * Inside WeChat the QR opens the mini program; this page is only for people who scanned it with an
 * ordinary camera, and tells them to open it in WeChat.
 *
 * Deliberately, it does not look the id up: every well-formed id (16 bytes of base64url, the
 * `EnvelopeIdSchema` of the API) gets the same page, whether that letter exists, has expired, was
 * revoked or never existed. Anyone who sees a QR code can open this URL, and "still there" or
 * "revoked" is already something about the letter; the recipients learn the state in the mini
 * program, where they are signed in. Not touching the database also means no timing difference and
 * no database load from scanners. A malformed id gets 404 and a "link not valid" page: that tells
 * something about the string, nothing about any letter.
 *
 * WeChat's "scan a normal link QR code to open the mini program" rule wants a verification file in
 * the folder of the rule's prefix, `<PUBLIC_URL>/s/`: `qrCheck` serves it at `/s/<name>.txt`, a
 * static path the router matches before the id (an id never contains a dot).
 *
 * Register it without a prefix (the path already starts with `/s/`).
 */
import type { FastifyInstance } from 'fastify';
import { EnvelopeIdSchema } from '../../../shared/api/common';
import { LETTER_LINK_PATH } from '../../../shared/api/links';
import { invalidLinkPage, landingPage, PAGE_HEADERS } from './page';

// The pages never change, so they are rendered once.
const LANDING_HTML = landingPage();
const INVALID_HTML = invalidLinkPage();

export interface LandingOptions {
  /** WECHAT_QR_CHECK_FILE and WECHAT_QR_CHECK_CONTENT, when the operator set them. */
  qrCheck?: { file: string; content: string };
}

export default async function landingRoutes(
  fastify: FastifyInstance,
  opts: LandingOptions = {},
): Promise<void> {
  const { qrCheck } = opts;
  if (qrCheck) {
    fastify.get(LETTER_LINK_PATH.replace(':id', qrCheck.file), async (_request, reply) =>
      reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(qrCheck.content),
    );
  }
  // No params schema: the app's validator answers JSON errors, and a person holding a phone should get
  // the HTML page whatever they scanned.
  fastify.get<{ Params: { id: string } }>(LETTER_LINK_PATH, async (request, reply) => {
    const valid = EnvelopeIdSchema.safeParse(request.params.id).success;
    return reply
      .code(valid ? 200 : 404)
      .headers(PAGE_HEADERS)
      .send(valid ? LANDING_HTML : INVALID_HTML);
  });
  // A mangled scan can add path segments (`/s/abc/def`); it still deserves the page, not a JSON 404.
  fastify.get(LETTER_LINK_PATH.replace(':id', '*'), async (_request, reply) =>
    reply.code(404).headers(PAGE_HEADERS).send(INVALID_HTML),
  );
}
