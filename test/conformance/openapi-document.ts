import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv, { type AnySchema, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { OpenApiSpecMissingError } from './conformance-errors';
import { childPath, describeValue, isPlainObject } from './jsonl';

/**
 * The OpenStorage SDK REST gateway document (OpenAPI 3.0), turned into strict JSON Schema for
 * ajv: every object closed (`additionalProperties: false` unless it is a map — the SDK schemas
 * list every field, so an unknown one means we invented it), `nullable` honoured, int64/uint64
 * strings checked as decimal strings, enums and formats validated.
 */

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** CI clones the repository into a fresh folder with shared/ beside it, so look there. */
export const SDK_OPENAPI_PATH = resolve(REPO_ROOT, '..', 'shared', 'spec', 'openstorage-sdk.openapi.json');
const DOC_ID = 'openstorage-sdk';
const REF_PREFIX = '#/components/schemas/';

type Json = Record<string, unknown>;

export interface SdkOperation {
  method: string;
  template: string;
  operationId: string;
  /** Query parameter name → its (converted) schema. */
  query: Map<string, Json>;
  /** JSON Schema of the request body, when the operation takes one. */
  requestSchema: Json | undefined;
  requestRequired: boolean;
  /** Status code (or 'default') → JSON Schema of the response body. */
  responses: Map<string, Json>;
  /** gRPC server-streaming: the body is newline-separated `{result}` / `{error}` objects. */
  streaming: boolean;
  /**
   * For a streaming operation whose document defines it: the schema of the `error` member of a
   * stream chunk (grpc-gateway's `runtimeStreamError`). A stream that fails before its first
   * message is answered with that chunk under the error's HTTP status, not with `runtimeError`.
   */
  streamErrorSchema: Json | undefined;
  regex: RegExp;
  literalSegments: number;
}

export interface SdkDocument {
  operations: SdkOperation[];
  /** A compiled validator, made on first use: compiling every operation up front is slow. */
  validator(schema: Json): ValidateFunction;
}

let cached: SdkDocument | undefined;

/** Fail with where the document was looked for, and why there. */
export function assertSpecPresent(path = SDK_OPENAPI_PATH): void {
  if (!existsSync(path)) {
    throw new OpenApiSpecMissingError(
      `OpenStorage SDK OpenAPI document not found at ${path}: the repository expects ` +
        `shared/spec/openstorage-sdk.openapi.json in the folder beside it (as CI lays it out)`,
    );
  }
}

export function loadSdkDocument(): SdkDocument {
  if (cached) return cached;
  assertSpecPresent();
  let doc: Json;
  try {
    doc = JSON.parse(readFileSync(SDK_OPENAPI_PATH, 'utf8')) as Json;
  } catch (err) {
    throw new OpenApiSpecMissingError(`${SDK_OPENAPI_PATH} is not readable JSON`, { cause: err });
  }
  const ajv = createAjv();
  const schemas = ((doc.components as Json | undefined)?.schemas ?? {}) as Record<string, Json>;
  const definitions: Json = {};
  for (const [name, schema] of Object.entries(schemas)) {
    // The title names the SDK message in violations ("unknown field in apiVolumeSpec").
    definitions[name] = { ...convertSchema(schema, name), title: name };
  }
  ajv.addSchema({ $id: DOC_ID, definitions });
  const operations = buildOperations((doc.paths ?? {}) as Record<string, Json>);
  const validators = new Map<string, ValidateFunction>();
  cached = {
    operations,
    validator(schema) {
      const key = JSON.stringify(schema);
      let v = validators.get(key);
      if (!v) {
        v = ajv.compile(schema as AnySchema);
        validators.set(key, v);
      }
      return v;
    },
  };
  return cached;
}

function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
  addFormats(ajv, ['date-time', 'byte', 'int32', 'int64', 'double', 'float']);
  // ajv-formats' int64 applies to numbers only; the SDK sends (u)int64 as strings.
  ajv.addFormat('int64-string', { type: 'string', validate: (s) => decimalInRange(s, -(2n ** 63n), 2n ** 63n - 1n) });
  ajv.addFormat('uint64-string', { type: 'string', validate: (s) => decimalInRange(s, 0n, 2n ** 64n - 1n) });
  return ajv;
}

function decimalInRange(s: string, min: bigint, max: bigint): boolean {
  if (!/^-?\d+$/.test(s)) return false;
  const v = BigInt(s);
  return v >= min && v <= max;
}

export function refTo(name: string): string {
  return `${DOC_ID}#/definitions/${name}`;
}

/** OpenAPI 3.0 schema object → strict JSON Schema (draft-07) that ajv compiles. */
export function convertSchema(schema: Json, name?: string): Json {
  if (typeof schema.$ref === 'string') {
    // In OpenAPI 3.0 a $ref replaces its siblings.
    return { $ref: refTo(schema.$ref.slice(REF_PREFIX.length)) };
  }
  const out: Json = {};
  for (const key of ['type', 'enum', 'required', 'minimum', 'maximum', 'pattern', 'minItems', 'maxItems']) {
    if (schema[key] !== undefined) out[key] = schema[key];
  }
  applyFormat(schema, out);
  if (isPlainObject(schema.items)) out.items = convertSchema(schema.items);
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const list = schema[key];
    if (Array.isArray(list)) out[key] = list.map((s) => convertSchema(s as Json));
  }
  if (isPlainObject(schema.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([k, v]) => [k, convertSchema(v as Json)]),
    );
  }
  if (out.type === 'object' || out.properties) closeObject(schema, out, name);
  if (schema.nullable === true) makeNullable(out);
  return out;
}

function applyFormat(schema: Json, out: Json): void {
  const format = schema.format;
  if (typeof format !== 'string') return;
  if (schema.type === 'string' && format === 'int64') out.format = 'int64-string';
  else if (schema.type === 'string' && format === 'uint64') out.format = 'uint64-string';
  else if (schema.type === 'string' && (format === 'date-time' || format === 'byte')) out.format = format;
  else if ((schema.type === 'integer' || schema.type === 'number') && ['int32', 'int64', 'double', 'float'].includes(format)) {
    out.format = format;
  }
  // Any other format is an annotation we do not enforce (ajv strict mode would reject it).
}

function closeObject(schema: Json, out: Json, name: string | undefined): void {
  const extra = schema.additionalProperties;
  if (isPlainObject(extra)) out.additionalProperties = convertSchema(extra);
  else if (extra === true) out.additionalProperties = true;
  // google.protobuf.Any carries the packed message's own fields beside "@type" in JSON.
  else if (name === 'protobufAny') out.additionalProperties = true;
  else out.additionalProperties = false;
}

function makeNullable(out: Json): void {
  if (typeof out.type === 'string') out.type = [out.type, 'null'];
  if (Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null];
  if (out.$ref) {
    const ref = out.$ref;
    delete out.$ref;
    out.anyOf = [{ $ref: ref }, { type: 'null' }];
  }
}

function buildOperations(paths: Record<string, Json>): SdkOperation[] {
  const ops: SdkOperation[] = [];
  for (const [template, item] of Object.entries(paths)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!isPlainObject(raw) || !['get', 'put', 'post', 'delete', 'patch'].includes(method)) continue;
      ops.push(buildOperation(method.toUpperCase(), template, raw));
    }
  }
  return ops;
}

function buildOperation(method: string, template: string, op: Json): SdkOperation {
  const query = new Map<string, Json>();
  for (const p of (op.parameters ?? []) as Json[]) {
    if (p.in === 'query' && typeof p.name === 'string') query.set(p.name, convertSchema((p.schema ?? {}) as Json));
  }
  const body = op.requestBody as Json | undefined;
  const bodySchema = jsonSchemaOf(body);
  const responses = new Map<string, Json>();
  let streaming = false;
  let streamErrorSchema: Json | undefined;
  for (const [status, resp] of Object.entries((op.responses ?? {}) as Record<string, Json>)) {
    const schema = jsonSchemaOf(resp);
    if (!schema) continue;
    if (status.startsWith('2') && !schema.$ref && isPlainObject(schema.properties) && 'result' in schema.properties) {
      streaming = true;
      const error = schema.properties.error;
      if (isPlainObject(error)) streamErrorSchema = convertSchema(error);
    }
    responses.set(status, convertSchema(schema));
  }
  const segments = template.split('/').filter(Boolean);
  const pattern = segments.map((s) => (/^\{.+\}$/.test(s) ? '([^/]+)' : escapeRegex(s))).join('/');
  return {
    method,
    template,
    operationId: String(op.operationId ?? `${method} ${template}`),
    query,
    requestSchema: bodySchema ? convertSchema(bodySchema) : undefined,
    requestRequired: body?.required === true,
    responses,
    streaming,
    streamErrorSchema,
    regex: new RegExp(`^/${pattern}/?$`),
    literalSegments: segments.filter((s) => !s.startsWith('{')).length,
  };
}

function jsonSchemaOf(holder: Json | undefined): Json | undefined {
  const content = holder?.content as Record<string, Json> | undefined;
  return content?.['application/json']?.schema as Json | undefined;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The operation for a method and concrete path. Like the gateway, the method is matched first;
 * among its routes, literal segments win over `{param}` ones (`/v1/volumes/snapshots` is not a
 * volume id for GET, but it is one for DELETE `/v1/volumes/{volume_id}`).
 */
export function matchOperation(
  doc: SdkDocument,
  method: string,
  pathname: string,
): { op: SdkOperation } | { allowed: string[] } | undefined {
  const candidates = doc.operations
    .filter((o) => o.regex.test(pathname))
    .sort((a, b) => b.literalSegments - a.literalSegments);
  if (candidates.length === 0) return undefined;
  const op = candidates.find((c) => c.method === method.toUpperCase());
  return op ? { op } : { allowed: candidates.map((c) => `${c.method} ${c.template}`) };
}

/** Render ajv errors as `PATH: problem` lines rooted at `root` (e.g. `request`, `response[2]`). */
export function formatAjvErrors(errors: ErrorObject[] | null | undefined, root: string): string[] {
  return (errors ?? []).map((e) => {
    const path = e.instancePath
      .split('/')
      .slice(1)
      .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<string>((acc, seg) => childPath(acc, /^\d+$/.test(seg) ? Number(seg) : seg), root);
    const title = isPlainObject(e.parentSchema) ? e.parentSchema.title : undefined;
    const where = typeof title === 'string' ? title : undefined;
    switch (e.keyword) {
      case 'additionalProperties':
        return `${childPath(path, String(e.params.additionalProperty))}: unknown field${where ? ` in ${where}` : ''}`;
      case 'required':
        return `${childPath(path, String(e.params.missingProperty))}: required field missing`;
      case 'enum':
        return `${path}: ${describeValue(e.data)} is not one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
      case 'format':
        return `${path}: ${FORMAT_HINTS[String(e.params.format)] ?? `must match format ${e.params.format}`}, got ${describeValue(e.data)}`;
      case 'type':
        return `${path}: must be ${e.params.type}, got ${describeValue(e.data)}`;
      default:
        return `${path}: ${e.message ?? e.keyword}`;
    }
  });
}

const FORMAT_HINTS: Record<string, string> = {
  'int64-string': 'must be a decimal string (the SDK sends int64 as a string)',
  'uint64-string': 'must be a non-negative decimal string (the SDK sends uint64 as a string)',
  'date-time': 'must be an RFC 3339 timestamp string',
  byte: 'must be a base64 string (bytes)',
  int32: 'must be an integer in the int32 range',
  int64: 'must be a safe integer',
};

/** Ajv cannot type-check bigint; a lossless parse yields them only for integers past 2^53. */
export function withoutBigints(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(withoutBigints);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutBigints(v)]));
  return value;
}
