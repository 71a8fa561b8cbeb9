import Ajv04 from 'ajv-draft-04';
import type { AnySchemaObject, ErrorObject } from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import type { PackageIssue } from './errors';

/** A JSON object (the shape of install options and of config.json). */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A draft-04 validator, the dialect of universe's config.json and of the published universe and
 * Marathon schemas. Not strict: those schemas carry keywords ajv's strict mode rejects (e.g.
 * `items` beside `type: object`).
 */
export function createDraft04Ajv(): Ajv04 {
  const ajv = new Ajv04({ allErrors: true, strict: false, validateFormats: true });
  addFormats(ajv);
  return ajv;
}

/**
 * The defaults a config.json schema declares, as an options object: a property's `default`, or
 * for an object property without one, the defaults of its own properties (what Cosmos does before
 * it merges the user's `--options`).
 */
export function defaultsFromSchema(schema: unknown): JsonObject {
  const out: JsonObject = {};
  if (!isJsonObject(schema) || !isJsonObject(schema.properties)) return out;
  for (const [key, prop] of Object.entries(schema.properties)) {
    if (!isJsonObject(prop)) continue;
    if ('default' in prop) {
      out[key] = structuredClone(prop.default);
    } else if (isJsonObject(prop.properties)) {
      const nested = defaultsFromSchema(prop);
      if (Object.keys(nested).length > 0) out[key] = nested;
    }
  }
  return out;
}

/** Deep merge of JSON objects: objects merge key by key, anything else from `over` replaces. */
export function deepMerge(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isJsonObject(current) && isJsonObject(value) ? deepMerge(current, value) : structuredClone(value);
  }
  return out;
}

/** ajv errors as `{path, message}` with dotted paths a person can find in their options file. */
export function ajvIssues(errors: readonly ErrorObject[] | null | undefined): PackageIssue[] {
  return (errors ?? []).map((e) => {
    const segments = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (e.keyword === 'additionalProperties') segments.push(String(e.params.additionalProperty));
    if (e.keyword === 'required') segments.push(String(e.params.missingProperty));
    const path = segments.map((s) => (/^\d+$/.test(s) ? `[${s}]` : s)).join('.').replace(/\.\[/g, '[');
    return { path, message: describeAjvError(e) };
  });
}

function describeAjvError(e: ErrorObject): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return 'unknown option (check its spelling and nesting)';
    case 'required':
      return 'required option is missing';
    case 'enum':
      return `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return e.message ?? e.keyword;
  }
}

export type { AnySchemaObject };
