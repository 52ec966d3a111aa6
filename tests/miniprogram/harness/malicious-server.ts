/**
 * A malicious server for page tests: a proxy on loopback in front of the real API that forwards
 * every request and lets a test change what the phone gets back — the way the operator of the
 * server, or anyone who took it over, could. Everything it does not touch is the real thing.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Headers that describe one connection, not the request; fetch refuses some of them. */
const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'keep-alive', 'transfer-encoding']);

/** One request as the proxy saw it (`body`: parsed JSON, or undefined). */
export interface SeenRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

/** An answer the proxy gives instead of (or in place of) the real one. */
export interface Answer {
  status: number;
  body: unknown;
  /** The body's exact text, sent instead of `body` serialised (JSON no serialiser writes). */
  raw?: string;
}

export interface MaliciousServer {
  url: string;
  /** Every request so far, oldest first. */
  seen: SeenRequest[];
  /**
   * Before forwarding: an answer to give without asking the real server, `'drop'` to cut the
   * connection (no network), or undefined to forward.
   */
  intercept: ((request: SeenRequest) => Answer | 'drop' | undefined) | null;
  /** After forwarding: a changed answer, or undefined to pass the real one on. */
  rewrite: ((request: SeenRequest, answer: Answer) => Answer | undefined) | null;
  close(): Promise<void>;
}

function parse(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Starts the proxy in front of `target` (the real API's base URL). */
export async function startMaliciousServer(target: string): Promise<MaliciousServer> {
  const proxy: MaliciousServer = {
    url: '',
    seen: [],
    intercept: null,
    rewrite: null,
    close: async () => {},
  };
  const send = (res: import('node:http').ServerResponse, answer: Answer) => {
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body)));
  };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const request: SeenRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      authorization: req.headers.authorization,
      body: parse(raw.toString('utf8')),
    };
    proxy.seen.push(request);
    const early = proxy.intercept?.(request);
    if (early === 'drop') {
      req.socket.destroy();
      return;
    }
    if (early) {
      send(res, early);
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && !HOP_BY_HOP.has(k)) headers[k] = v;
    const upstream = await fetch(`${target}${request.path}`, {
      method: request.method,
      headers,
      ...(raw.length ? { body: raw } : {}),
    });
    const real: Answer = { status: upstream.status, body: parse(await upstream.text()) };
    send(res, proxy.rewrite?.(request, real) ?? real);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
