/**
 * A route's method, URL and schemas, taken from its shared/api contract, so no route restates
 * them. Spread into `fastify.route()` and add the handler:
 *
 *   fastify.route({ ...contractRoute(meContract.get, { tags: ['me'] }), handler })
 *
 * The type provider then types `request.params`, `request.query`, `request.body` and the reply from
 * the contract's schemas, exactly as if they were written inline.
 */
import type { Contract } from '../../shared/api/contract';

/** OpenAPI details that are the server's business: tags, description, security. */
export interface RouteDocs {
  tags?: string[];
  description?: string;
  security?: Record<string, string[]>[];
}

type Present<C, K extends keyof Contract> = C extends { readonly [P in K]: infer S }
  ? { [P in K]: S }
  : unknown;

type SchemaOf<C extends Contract> = Present<C, 'params'> &
  Present<C, 'querystring'> &
  Present<C, 'body'> & { response: C['responses'] } & RouteDocs;

export function contractRoute<C extends Contract>(
  contract: C,
  docs: RouteDocs = {},
): { method: C['method']; url: C['path']; schema: SchemaOf<C> } {
  const schema: Record<string, unknown> = { ...docs, response: contract.responses };
  if (contract.params) schema.params = contract.params;
  if (contract.querystring) schema.querystring = contract.querystring;
  if (contract.body) schema.body = contract.body;
  return { method: contract.method, url: contract.path, schema: schema as SchemaOf<C> };
}
