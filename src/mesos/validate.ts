import type { z } from 'zod';
import { ValidationError, type PxfwError } from '../errors';

/**
 * Parse `value` with `schema`, or throw an error that names every bad field path
 * (e.g. "framework.roles[0]: expected string"), prefixed by `what` (e.g. "options").
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  makeError?: (message: string, issues: { path: string; message: string }[]) => PxfwError,
  /** Where `value` sits inside the `what` it is part of (e.g. ['offers', 'offers', 17]), for the paths. */
  at: readonly PropertyKey[] = [],
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: formatPath(what, [...at, ...issue.path]),
    message: issue.message,
  }));
  const message = `invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
  throw makeError ? makeError(message, issues) : new ValidationError(message, issues, { cause: result.error });
}

function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  return out;
}
