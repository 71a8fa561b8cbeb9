import { existsSync, readFileSync } from 'node:fs';
import type { z } from 'zod';
import { parseJson } from '../../src/util/lossless-json';
import { RecordingUnreadableError } from './conformance-errors';

/** One line of a JSONL recording: its 1-based number and either the value or why it is not JSON. */
export type JsonLine = { lineNo: number; value: unknown } | { lineNo: number; parseError: string };

/**
 * Read a JSONL file with the lossless parser, so int64 values beyond 2^53 arrive as bigint exactly
 * as the checkers must see them. Blank lines (a trailing newline) are skipped.
 */
export function readJsonLines(path: string): JsonLine[] {
  if (!existsSync(path)) throw new RecordingUnreadableError(`recording ${path} does not exist`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RecordingUnreadableError(`recording ${path} cannot be read`, { cause: err });
  }
  const out: JsonLine[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      out.push({ lineNo: i + 1, value: parseJson(raw) });
    } catch (err) {
      out.push({ lineNo: i + 1, parseError: err instanceof Error ? err.message : String(err) });
    }
  });
  return out;
}

/** Append a property name or array index to a JSON path such as `$.tasks[0].task_id`. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return /^[A-Za-z_@][A-Za-z0-9_@.-]*$/.test(key) && !key.includes('.')
    ? `${parent}.${key}`
    : `${parent}[${JSON.stringify(key)}]`;
}

/** A short rendering of an offending value for a violation message. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'bigint') return `${value} (integer)`;
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Violations of a recording line's own shape (zod), with a plain "required field missing" for
 * absent keys — zod's wording for those ("expected nonoptional") helps nobody.
 */
export function lineShapeViolations(schema: z.ZodObject, line: unknown): string[] {
  if (!isPlainObject(line)) return [`$: must be an object (one recorded exchange), got ${describeValue(line)}`];
  const missing = Object.keys(schema.shape).filter((k) => line[k] === undefined);
  const parsed = schema.safeParse(line);
  const issues = parsed.success ? [] : parsed.error.issues;
  return [
    ...missing.map((k) => `$.${k}: required field missing`),
    ...issues
      .filter((i) => !(i.path.length === 1 && missing.includes(String(i.path[0]))))
      .map((i) => `${['$', ...i.path.map(String)].join('.')}: ${i.message}`),
  ];
}
