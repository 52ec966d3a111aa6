/**
 * What a route contract is, and the client that calls one.
 *
 * A contract names a route's method, path (`:name` segments for path parameters), the schemas of
 * its path parameters, query and body, and one response schema per status, like ts-rest's
 * contracts. The server registers its routes from the contracts (server/routes/contract-route.ts);
 * every client goes through `call()`, which takes everything from the contract and only needs a
 * transport: `wx.request` in the mini program, `fetch` in the tests, the load workload and the CLI.
 *
 * Platform-free: no `fetch`, no `wx`, no DOM types here (see fetch-transport.ts for the injection).
 */
import type * as z from 'zod/mini';
import { type ErrorCode, isErrorCode, isMifengError } from '../errors';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** A route: method, path, request schemas and one response schema per status. */
export interface Contract {
  readonly method: HttpMethod;
  /** The URL path, `:name` for each path parameter (`/api/v1/envelopes/:id`). */
  readonly path: string;
  readonly params?: z.ZodMiniType;
  readonly querystring?: z.ZodMiniType;
  readonly body?: z.ZodMiniType;
  readonly responses: { readonly [status: number]: z.ZodMiniType };
}

type Field<C, K extends string, As extends string> = C extends { readonly [P in K]: infer S }
  ? S extends z.ZodMiniType
    ? { [P in As]: z.input<S> }
    : unknown
  : unknown;

/** What a call of `C` takes: `params`, `query` and `body`, each present when the contract has it. */
export type CallInput<C extends Contract> = Field<C, 'params', 'params'> &
  Field<C, 'querystring', 'query'> &
  Field<C, 'body', 'body'>;

/** The success statuses of a contract (the API answers exactly one per route). */
type SuccessStatus<C extends Contract> = Extract<keyof C['responses'], 200 | 201 | 204>;

/** What a call of `C` resolves to: its success response, parsed. */
export type CallOutput<C extends Contract> = z.output<C['responses'][SuccessStatus<C>]>;

/** A request as a transport sends it: the path has its parameters and query filled in. */
export interface HttpRequest {
  method: HttpMethod;
  path: string;
  /** The JSON body (absent for GET). */
  body?: unknown;
}

/** An answer: the status and the JSON body (undefined when empty, the text when not JSON). */
export interface HttpResponse {
  status: number;
  body: unknown;
  /** The Retry-After header in seconds, when the answer had one (503, 429). */
  retryAfter?: number;
}

/** The seconds of a Retry-After header, for transports (delta-seconds form; an HTTP date is not used by our server). */
export function retryAfterSeconds(header: string | null | undefined): number | undefined {
  if (!header || !/^\d{1,6}$/.test(header.trim())) return undefined;
  return Number(header.trim());
}

/** Sends a request and answers the response; rejects only when no answer came. */
export type Transport = (request: HttpRequest) => Promise<HttpResponse>;

/** `code` values the client itself produces, next to the server's registry codes. */
export const CLIENT_CODES = {
  /** No answer: offline, DNS, TLS, timeout. */
  NETWORK: 'network',
  /** An answer that does not match the API contract. */
  BAD_RESPONSE: 'bad_response',
} as const;
export type ClientCode = (typeof CLIENT_CODES)[keyof typeof CLIENT_CODES];

/** A failed call: the server's registry code and message, or a client code. */
export class ApiError extends Error {
  readonly code: ErrorCode | ClientCode;
  /** HTTP status, or 0 when no answer came. */
  readonly status: number;
  /** Seconds the server asked to wait before trying again (its Retry-After), if it said. */
  readonly retryAfter: number | undefined;
  constructor(code: ErrorCode | ClientCode, status: number, message: string, retryAfter?: number) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/** True when `err` is an ApiError, optionally with the given HTTP status. */
export function isApiError(err: unknown, status?: number): err is ApiError {
  return err instanceof ApiError && (status === undefined || err.status === status);
}

/** `path` with each `:name` replaced by the URL-encoded parameter. */
export function fillPath(path: string, params: Record<string, unknown> = {}): string {
  return path.replace(/:([A-Za-z_]\w*)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === null) throw new TypeError(`missing path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
}

/** `?a=1&b=2` of the defined members of `query`, or '' when there are none. */
export function queryString(query: Record<string, unknown> = {}): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function successStatus(contract: Contract): number {
  const status = Object.keys(contract.responses)
    .map(Number)
    .find((s) => s >= 200 && s < 300);
  if (status === undefined) throw new TypeError(`${contract.method} ${contract.path}: no success response`);
  return status;
}

/** The request `call` sends for `contract` and `input`. */
export function requestFor<C extends Contract>(contract: C, input: CallInput<C>): HttpRequest {
  const { params, query, body } = input as {
    params?: Record<string, unknown>;
    query?: Record<string, unknown>;
    body?: unknown;
  };
  const request: HttpRequest = {
    method: contract.method,
    path: `${fillPath(contract.path, params)}${queryString(query)}`,
  };
  if (contract.body) request.body = body;
  return request;
}

function errorFrom(contract: Contract, res: HttpResponse): ApiError {
  const body = res.body as { error?: { code?: unknown; message?: unknown } } | undefined;
  const error = body && typeof body === 'object' ? body.error : undefined;
  if (error && isErrorCode(error.code) && typeof error.message === 'string') {
    return new ApiError(error.code, res.status, error.message, res.retryAfter);
  }
  return new ApiError(
    CLIENT_CODES.BAD_RESPONSE,
    res.status,
    `${contract.method} ${contract.path}: HTTP ${res.status} without an error body`,
    res.retryAfter,
  );
}

/**
 * Calls `contract` over `transport`: fills the path parameters and the query in, sends the body,
 * checks the answer against the schema of its status and returns it parsed. Any other status
 * throws an `ApiError` with the server's error code; an answer the contract does not allow throws
 * one with `bad_response`, an answer that is not strict JSON `Malformed` (shared/json.ts), and no
 * answer one with `network`.
 */
export async function call<C extends Contract>(
  contract: C,
  input: CallInput<C>,
  transport: Transport,
): Promise<CallOutput<C>> {
  let res: HttpResponse;
  try {
    res = await transport(requestFor(contract, input));
  } catch (err) {
    // A MifengError is the transport's verdict on an answer that came (a member named twice).
    if (err instanceof ApiError || isMifengError(err)) throw err;
    throw new ApiError(CLIENT_CODES.NETWORK, 0, err instanceof Error ? err.message : String(err));
  }
  if (res.status !== successStatus(contract)) throw errorFrom(contract, res);
  const schema = contract.responses[res.status]!;
  const parsed = schema.safeParse(res.body);
  if (!parsed.success) {
    throw new ApiError(
      CLIENT_CODES.BAD_RESPONSE,
      res.status,
      `${contract.method} ${contract.path}: answer does not match the contract`,
    );
  }
  return parsed.data as CallOutput<C>;
}
