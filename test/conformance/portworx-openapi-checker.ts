import { z } from 'zod';
import { isPlainObject, lineShapeViolations, readJsonLines } from './jsonl';
import {
  groupSnapCreateRequestSchema,
  groupSnapCreateResponseSchema,
  LEGACY_GROUP_SNAPSHOT_METHOD,
  LEGACY_GROUP_SNAPSHOT_PATH,
} from './legacy-snapshot-schemas';
import {
  formatAjvErrors,
  loadSdkDocument,
  matchOperation,
  withoutBigints,
  type SdkDocument,
  type SdkOperation,
} from './openapi-document';

/**
 * Holds recorded Portworx REST exchanges to the OpenStorage SDK OpenAPI document (and the one
 * legacy route pxfw uses). Violations are strings starting with where the problem is:
 * `path`, `query.NAME`, `request.FIELD…`, `response.FIELD…` or `status`.
 */

export interface PortworxExchange {
  method: string;
  path: string;
  status: number;
  request: unknown;
  response: unknown;
}

const exchangeSchema = z.object({
  method: z.string().regex(/^[A-Za-z]+$/, 'must be an HTTP method such as POST'),
  path: z.string().startsWith('/', 'must be an absolute path such as /v1/volumes'),
  // 0: the request was sent but no answer came (timeout, connection refused); the client records it.
  status: z
    .number()
    .int()
    .refine((n) => n === 0 || (n >= 100 && n <= 599), 'must be an HTTP status, or 0 for a request that got no answer'),
  request: z.unknown(),
  response: z.unknown(),
});

/** HTTP statuses the grpc-gateway gives each gRPC code (both v1 and v2 mappings accepted). */
const GRPC_HTTP_STATUS: Record<number, number[]> = {
  1: [408, 499], 2: [500], 3: [400], 4: [504, 408], 5: [404], 6: [409], 7: [403], 8: [429, 403],
  9: [400, 412], 10: [409], 11: [400], 12: [501], 13: [500], 14: [503], 15: [500], 16: [401],
};

/** Check one exchange; `[]` means it conforms. */
export function checkPortworxExchange(exchange: PortworxExchange): string[] {
  const parsed = exchangeSchema.safeParse(exchange);
  if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '$'}: ${i.message}`);
  const ex = parsed.data;
  const url = new URL(ex.path, 'http://portworx.invalid');
  const method = ex.method.toUpperCase();
  const doc = loadSdkDocument();
  if (url.pathname === LEGACY_GROUP_SNAPSHOT_PATH) return checkLegacyGroupSnapshot(doc, method, url, ex);
  const match = matchOperation(doc, method, url.pathname);
  if (!match) return [`path: no OpenStorage SDK route matches ${method} ${url.pathname} (unknown route)`];
  if ('allowed' in match) {
    return [`path: ${method} is not an SDK operation on ${url.pathname} (the document has ${match.allowed.join(', ')})`];
  }
  const op = match.op;
  const sent = [...checkQuery(op, url.searchParams), ...checkRequest(doc, op, ex.request)];
  if (ex.status === 0) return ex.response === null ? sent : [...sent, 'response: a request with no answer (status 0) has no response body'];
  return [...sent, ...checkResponse(doc, op, ex.status, ex.response)];
}

function checkQuery(op: SdkOperation, params: URLSearchParams): string[] {
  const out: string[] = [];
  for (const [name, value] of params) {
    const schema = op.query.get(name);
    if (!schema) {
      const known = [...op.query.keys()];
      out.push(`query.${name}: not a parameter of ${op.operationId} (${known.length ? `known: ${known.join(', ')}` : 'it takes none'})`);
      continue;
    }
    const problem = queryValueProblem(schema, value);
    if (problem) out.push(`query.${name}: ${problem}, got ${JSON.stringify(value)}`);
  }
  return out;
}

function queryValueProblem(schema: Record<string, unknown>, value: string): string | undefined {
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return `must be one of ${schema.enum.join(', ')}`;
  if (schema.type === 'boolean' && value !== 'true' && value !== 'false') return 'must be true or false';
  if (schema.type === 'integer' && !/^-?\d+$/.test(value)) return 'must be an integer';
  if (schema.format === 'int64-string' || schema.format === 'uint64-string') {
    if (!/^-?\d+$/.test(value)) return 'must be a decimal integer';
  }
  return undefined;
}

function checkRequest(doc: SdkDocument, op: SdkOperation, request: unknown): string[] {
  const absent = request === null || request === undefined;
  if (!op.requestSchema) {
    return absent ? [] : [`request: ${op.method} ${op.template} takes no body, but one was sent`];
  }
  if (absent) return op.requestRequired ? [`request: body required by ${op.operationId}`] : [];
  return validate(doc, op.requestSchema, request, 'request');
}

function checkResponse(doc: SdkDocument, op: SdkOperation, status: number, response: unknown): string[] {
  const success = status >= 200 && status < 300;
  const schema = op.responses.get(String(status)) ?? (success ? undefined : op.responses.get('default'));
  if (!schema) {
    const documented = [...op.responses.keys()].join(', ');
    return [`status: ${status} is not documented for ${op.operationId} (documented: ${documented})`];
  }
  if (response === null || response === undefined) return [`response: missing body (status ${status})`];
  if (!success && op.streamErrorSchema && isStreamErrorChunk(response)) {
    return checkStreamErrorChunk(doc, op.streamErrorSchema, status, response);
  }
  if (success && op.streaming && Array.isArray(response)) {
    // A server stream: the recorder keeps its newline-separated objects as an array.
    return response.flatMap((item, i) => validate(doc, schema, item, `response[${i}]`));
  }
  const out = validate(doc, schema, response, 'response');
  if (!success) out.push(...checkErrorStatus(status, response));
  return out;
}

/** The gateway derives the HTTP status from the gRPC code; a mismatch means a made-up error. */
function checkErrorStatus(status: number, response: unknown): string[] {
  if (!isPlainObject(response) || typeof response.code !== 'number') {
    return [`response.code: required field missing (the gRPC code behind status ${status})`];
  }
  return grpcCodeFitsStatus(response.code, status, 'response.code');
}

function grpcCodeFitsStatus(code: number, status: number, field: string): string[] {
  const allowed = GRPC_HTTP_STATUS[code];
  if (!allowed) return [`${field}: ${code} is not a gRPC error code (1-16)`];
  if (!allowed.includes(status)) {
    return [`status: ${status} does not match gRPC code ${code} (the gateway answers ${allowed.join(' or ')})`];
  }
  return [];
}

/**
 * A server stream that fails before its first message: grpc-gateway (v1 runtime
 * ForwardResponseStream → handleForwardResponseStreamError) writes the error's HTTP status and one
 * `{"error": StreamError}` chunk instead of a `runtimeError` body. Recorders keep the chunk as is
 * (client side) or as the one-element array of streamed lines (simulator side); both are accepted.
 * A chunk is told from a `runtimeError` body by its `error` being an object, not a string.
 */
function isStreamErrorChunk(response: unknown): boolean {
  const chunk = Array.isArray(response) ? response[0] : response;
  return isPlainObject(chunk) && isPlainObject(chunk.error);
}

function checkStreamErrorChunk(doc: SdkDocument, errorSchema: object, status: number, response: unknown): string[] {
  const root = Array.isArray(response) ? 'response[0]' : 'response';
  if (Array.isArray(response) && response.length !== 1) {
    return [`response: a stream that failed with status ${status} carries exactly one error chunk, got ${response.length} lines`];
  }
  const chunk = (Array.isArray(response) ? response[0] : response) as Record<string, unknown>;
  const chunkSchema = { type: 'object', properties: { error: errorSchema }, required: ['error'], additionalProperties: false };
  const out = validate(doc, chunkSchema, chunk, root);
  const error = chunk.error as Record<string, unknown>;
  if (typeof error.grpc_code !== 'number') {
    out.push(`${root}.error.grpc_code: required field missing (the gRPC code behind status ${status})`);
  } else {
    out.push(...grpcCodeFitsStatus(error.grpc_code, status, `${root}.error.grpc_code`));
  }
  if (typeof error.http_code === 'number' && error.http_code !== status) {
    out.push(`${root}.error.http_code: ${error.http_code} differs from the response status ${status}`);
  }
  return out;
}

function checkLegacyGroupSnapshot(doc: SdkDocument, method: string, url: URL, ex: PortworxExchange): string[] {
  if (method !== LEGACY_GROUP_SNAPSHOT_METHOD) {
    return [`path: the legacy group-snapshot route takes POST only, got ${method}`];
  }
  const out: string[] = [];
  for (const name of url.searchParams.keys()) out.push(`query.${name}: the legacy group-snapshot route takes no query parameters`);
  if (ex.request === null || ex.request === undefined) out.push('request: body required (GroupSnapCreateRequest)');
  else out.push(...validate(doc, groupSnapCreateRequestSchema, ex.request, 'request'));
  if (ex.status >= 200 && ex.status < 300) {
    if (ex.status !== 200) out.push(`status: the legacy route answers 200 on success, got ${ex.status}`);
    out.push(...validate(doc, groupSnapCreateResponseSchema, ex.response, 'response'));
  } else if (ex.response !== null && ex.response !== undefined && typeof ex.response !== 'string') {
    // Failures come from http.Error (plain text); a JSON body must still be the response message.
    out.push(...validate(doc, groupSnapCreateResponseSchema, ex.response, 'response'));
  }
  return out;
}

function validate(doc: SdkDocument, schema: object, value: unknown, root: string): string[] {
  const v = doc.validator(schema as Record<string, unknown>);
  return v(withoutBigints(value)) ? [] : formatAjvErrors(v.errors, root);
}

// ---- recordings -------------------------------------------------------------------------------

const portworxLineSchema = z.strictObject({
  ts: z.iso.datetime({ offset: true }),
  method: z.string(),
  path: z.string(),
  status: z.number().int(),
  request: z.unknown(),
  response: z.unknown(),
});

/** Check one parsed line of DIR/portworx.jsonl: its own shape and the exchange. */
export function checkPortworxRecord(line: unknown): string[] {
  // request/response are null when there is no body; only an absent key breaks the line.
  const shape = lineShapeViolations(portworxLineSchema, line);
  if (shape.length > 0) {
    return shape.map((v) => (/^\$\.(request|response): required field missing$/.test(v) ? `${v} (null when there is no body)` : v));
  }
  const { ts: _ts, ...exchange } = portworxLineSchema.parse(line);
  const where = `${exchange.method.toUpperCase()} ${exchange.path}`;
  return checkPortworxExchange(exchange).map((v) => `${where}: ${v}`);
}

/** Check a whole portworx.jsonl; each violation starts with `FILE:LINE:`. */
export function checkPortworxRecordingFile(path: string): { lines: number; violations: string[] } {
  const lines = readJsonLines(path);
  const violations: string[] = [];
  for (const line of lines) {
    if ('parseError' in line) {
      violations.push(`${path}:${line.lineNo}: not JSON (${line.parseError})`);
      continue;
    }
    for (const v of checkPortworxRecord(line.value)) violations.push(`${path}:${line.lineNo}: ${v}`);
  }
  return { lines: lines.length, violations };
}
