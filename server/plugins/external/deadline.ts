/**
 * A deadline for every request: one still unanswered after `REQUEST_DEADLINE_MS` gets 503
 * `unavailable` with Retry-After, instead of hanging.
 *
 * A database that refuses connections already fails fast (503 from the error handler). One that
 * stops answering (frozen process, network partition) does not: a query sent on a pooled
 * connection waits for TCP, which can be forever, and the client would only see its socket closed
 * by the 30 s connection timeout. With the deadline the client gets a clean, retryable answer;
 * the stuck handler finishes (or fails) later, unseen. A write that commits after its request was
 * answered 503 is safe to retry: envelope uploads are idempotent by id (409 → confirm, see
 * docs/operations.md). Tested in tests/faults/slow-postgres-outage.test.ts (SIGSTOP).
 */
import fp from 'fastify-plugin';
import { errorBody } from '../../errors';

/** Longer than any healthy request takes; shorter than nginx's and the server's 30 s timeouts. */
export const REQUEST_DEADLINE_MS = 10_000;

export default fp(
  async (fastify) => {
    const timers = new WeakMap<object, NodeJS.Timeout>();
    fastify.addHook('onRequest', async (request, reply) => {
      const timer = setTimeout(() => {
        if (reply.sent || reply.raw.headersSent) return;
        request.log.warn({ deadlineMs: REQUEST_DEADLINE_MS }, 'request passed its deadline; answered 503');
        void reply
          .code(503)
          .header('retry-after', '5')
          .header('connection', 'close')
          .send(errorBody('Unavailable'));
      }, REQUEST_DEADLINE_MS);
      timer.unref();
      timers.set(request, timer);
    });
    fastify.addHook('onResponse', async (request) => {
      clearTimeout(timers.get(request));
    });
    fastify.addHook('onRequestAbort', async (request) => {
      clearTimeout(timers.get(request));
    });
  },
  { name: 'deadline' },
);
