/**
 * The one HTTP client of the tests, the workload and the benchmarks: JSON over `fetch`, a bearer
 * token, and an answer that keeps the status, headers, raw text and parsed body side by side, so a
 * caller can assert on any of them (a non-JSON body is kept as text rather than thrown away).
 */

import { parseJsonBody } from '../shared/api';

export interface HttpOptions {
  /** Sent as `authorization: Bearer <token>`. */
  token?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is instead of `body` (malformed-input tests). */
  raw?: string;
  headers?: Record<string, string>;
  /** Aborts the request after this long (default: no limit). */
  timeoutMs?: number;
}

export interface HttpReply<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the raw text when not JSON; undefined for an empty body. */
  body: T;
  text: string;
}

/** `method base+path`; network failures reject (the caller decides whether they count as an answer). */
export async function httpRequest<T = unknown>(
  base: string,
  method: string,
  path: string,
  options: HttpOptions = {},
): Promise<HttpReply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body = options.raw;
  if (body === undefined && options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
    ...(options.timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(options.timeoutMs) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: parseJsonBody(text) as T, text };
}
