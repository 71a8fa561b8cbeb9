import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJson } from '../../util/lossless-json';
import { fastStringify } from './fast-json';

/** Largest request body accepted (a LAUNCH_GROUP of many tasks stays far below it). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export class BodyTooLargeError extends Error {}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A plain-text error answer, the way libprocess answers BadRequest and friends. */
export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = fastStringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'Content-Length': 0 });
  res.end();
}

/**
 * The request's Content-Type exactly as sent; undefined when absent. The master compares it with
 * `application/json` as a whole string (src/master/http.cpp, `Master::Http::api` and
 * `scheduler`): a parameter such as `; charset=utf-8`, or other letter case, is a 415.
 */
export function contentType(req: IncomingMessage): string | undefined {
  return req.headers['content-type'];
}

/**
 * A JSON body as stout's protobuf parser reads it (3rdparty/stout/include/stout/protobuf.hpp,
 * `Parser::operator()(const JSON::Null&)`): `null` is an unset field, at any depth, and a `null`
 * element of a repeated field adds nothing.
 */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null).map(withoutNulls);
  if (value === null || typeof value !== 'object' || typeof value === 'bigint') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = withoutNulls(v);
  return out;
}

/** Does the Accept header admit JSON (absent, *\/*, application/*, application/json)? */
export function acceptsJson(req: IncomingMessage): boolean {
  const accept = req.headers.accept;
  if (accept === undefined || accept.trim() === '') return true;
  return accept
    .split(',')
    .map((p) => p.split(';')[0]!.trim().toLowerCase())
    .some((t) => t === '*/*' || t === 'application/*' || t === 'application/json');
}

export const NOT_ACCEPTABLE = "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'";
export const UNSUPPORTED_MEDIA = "Expecting 'Content-Type' of application/json or application/x-protobuf";

/**
 * Reads a v1 API call's body as the master and the agent do: a Content-Type that is present and
 * exactly application/json (else 400 / 415; `protobufNote` is appended to the 415 answer to a
 * protobuf body), and a body that parses as JSON (else 400). Answers the request itself when
 * it refuses it, and then returns undefined.
 */
export async function readJsonCall(req: IncomingMessage, res: ServerResponse, protobufNote?: string): Promise<{ raw: unknown } | undefined> {
  const ct = contentType(req);
  if (ct === undefined) return void sendText(res, 400, "Expecting 'Content-Type' to be present");
  if (protobufNote !== undefined && ct === 'application/x-protobuf') return void sendText(res, 415, `${UNSUPPORTED_MEDIA} ${protobufNote}`);
  if (ct !== 'application/json') return void sendText(res, 415, UNSUPPORTED_MEDIA);
  try {
    return { raw: parseJson(await readBody(req)) };
  } catch (err) {
    return void sendText(res, 400, `Failed to parse body into JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}
