/**
 * `fastify.audit(request, event, fields)`: security events as structured log lines, on a pino child
 * logger whose every line carries `"audit": true` (filter with `jq 'select(.audit)'` or route them to
 * their own sink). Written at `info` whatever LOG_LEVEL says, so they are kept when the request
 * log is quieted.
 *
 * What a line holds: the event, the user id when signed in, the client address, the request id and
 * the event's own ids (key id, envelope id, quota or limit name). Never a token, phone number,
 * name, pepper or envelope: callers pass ids only, and the app's redaction still applies.
 */
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

export type AuditEvent =
  | 'login'
  | 'phone_set'
  | 'key_set'
  | 'logout'
  | 'contacts_set'
  | 'envelope_revoked'
  | 'envelope_removed'
  | 'account_deleted'
  | 'pending_delivered'
  | 'pending_cancelled'
  | 'quota_exceeded'
  | 'rate_limited';

export type AuditFields = Record<string, string | number | boolean>;

declare module 'fastify' {
  interface FastifyInstance {
    audit(request: FastifyRequest, event: AuditEvent, fields?: AuditFields): void;
  }
}

export default fp(
  async (fastify) => {
    const log = fastify.log.child({ audit: true }, { level: 'info' });
    fastify.decorate('audit', (request: FastifyRequest, event: AuditEvent, fields: AuditFields = {}) => {
      log.info(
        {
          event,
          ...(request.userId ? { user: request.userId } : {}),
          ip: request.ip,
          reqId: request.id,
          ...fields,
        },
        event,
      );
    });
  },
  { name: 'audit' },
);
