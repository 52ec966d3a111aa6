/**
 * A `Transport` over the Fetch API, for Node (the tests, the load workload, the CLI) and browsers.
 * `fetch` is passed in because shared/ compiles without platform typings; only the few members
 * used here are typed.
 */
import { assertUniqueMembers } from '../json';
import { type HttpResponse, retryAfterSeconds, type Transport } from './contract';

/** The part of the Fetch API the transport uses. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<{ status: number; headers?: { get(name: string): string | null }; text(): Promise<string> }>;

export interface FetchTransportOptions {
  fetch: FetchLike;
  /** The bearer token to send, read at every request (none when it answers null/undefined). */
  token?: () => string | null | undefined;
}

/**
 * The JSON of an answer's `text`, undefined when empty, the text itself when it is not JSON (a
 * proxy's error page). Read strictly: an answer naming one member twice is `Malformed`
 * (docs/protocol.md §2), so a server cannot show this reader one value and another reader another.
 */
export function parseJsonBody(text: string): unknown {
  if (!text) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return text;
  }
  assertUniqueMembers(text, value, 'the answer');
  return value;
}

/** Requests to `baseUrl` (scheme, host, port; no trailing slash needed) with JSON bodies. */
export function fetchTransport(baseUrl: string, options: FetchTransportOptions): Transport {
  const base = baseUrl.replace(/\/+$/, '');
  return async (request): Promise<HttpResponse> => {
    const headers: Record<string, string> = {};
    const token = options.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers['content-type'] = 'application/json';
    }
    const res = await options.fetch(`${base}${request.path}`, {
      method: request.method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const retryAfter = retryAfterSeconds(res.headers?.get('retry-after'));
    return {
      status: res.status,
      body: parseJsonBody(await res.text()),
      ...(retryAfter === undefined ? {} : { retryAfter }),
    };
  };
}
