/** Internal: runs a zod schema and turns its failure into `MifengError('Malformed')`. */
import type * as z from 'zod/mini';
import { MifengError } from '../errors';

/** The first issue as `path: message`, short enough for an error detail. */
function describeIssue(error: z.core.$ZodError, label: string): string {
  const issue = error.issues[0];
  if (!issue) return label;
  const path = issue.path.length ? `${label}.${issue.path.map(String).join('.')}` : label;
  const more = error.issues.length > 1 ? ` (+${error.issues.length - 1} more)` : '';
  return `${path}: ${issue.message}${more}`;
}

/** `schema.parse(value)`, throwing `Malformed` with the first issue's path on failure. */
export function parseWith<T extends z.ZodMiniType>(schema: T, value: unknown, label: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new MifengError('Malformed', describeIssue(result.error, label));
  return result.data;
}
