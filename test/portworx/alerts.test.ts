import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors';
import {
  ALL_ALERTS,
  PortworxClient,
  PortworxInvalidArgumentError,
  PortworxTimeoutError,
  PortworxUnauthenticatedError,
  PortworxUnavailableError,
  type Alert,
} from '../../src/portworx';
import { Recorder } from '../../src/record/recorder';
import { FakeSdk, grpcError, sleep } from './fake-sdk';

const ROUTE = 'POST /v1/alerts/filters';

const alert = (id: string, message: string): Record<string, unknown> => ({
  id,
  severity: 'SEVERITY_TYPE_ALARM',
  alert_type: '21',
  resource: 'RESOURCE_TYPE_NODE',
  resource_id: 'node-1',
  message,
  timestamp: '2024-05-01T10:00:00Z',
  ttl: '86400',
  unique_tag: `node-1-${id}`,
});

/** Write `text` in pieces cut at `cuts` byte offsets, pausing so each piece is its own chunk. */
async function writeInPieces(res: ServerResponse, text: string, cuts: number[]): Promise<void> {
  const bytes = Buffer.from(text, 'utf8');
  let prev = 0;
  for (const cut of [...cuts, bytes.length]) {
    res.write(bytes.subarray(prev, cut));
    prev = cut;
    await sleep(5);
  }
}

async function collect(it: AsyncIterable<Alert>): Promise<Alert[]> {
  const out: Alert[] = [];
  for await (const a of it) out.push(a);
  return out;
}

describe('PortworxClient alert stream', () => {
  let sdk: FakeSdk;
  let dir: string;
  let client: PortworxClient;

  beforeEach(async () => {
    sdk = await FakeSdk.start();
    dir = mkdtempSync(join(tmpdir(), 'pxfw-px-alerts-'));
    client = new PortworxClient({
      url: sdk.url,
      recorder: Recorder.toDir(dir),
      timeoutMs: 2_000,
      retryBackoff: { baseMs: 1, maxMs: 2 },
    });
  });
  afterEach(async () => {
    await sdk.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const recorded = () =>
    readFileSync(join(dir, 'portworx.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('yields every alert of every result line when chunks split lines and UTF-8 characters', async () => {
    const body =
      JSON.stringify({ result: { alerts: [alert('1', 'disk ✗ failing'), alert('2', 'pool degraded')] } }) +
      '\n' +
      JSON.stringify({ result: { alerts: [alert('3', 'nœud hors ligne')] } }) +
      '\n' +
      JSON.stringify({ result: {} });
    const firstCross = Buffer.from(body).indexOf(Buffer.from('✗')) + 1; // inside the 3-byte character
    sdk.on(ROUTE, async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      await writeInPieces(res, body, [1, 7, firstCross, firstCross + 1, 300, 301, 450]);
      res.end();
    });
    const alerts = await collect(client.streamAlerts());
    expect(alerts.map((a) => a.id)).toEqual(['1', '2', '3']);
    expect(alerts[0]!.message).toBe('disk ✗ failing');
    expect(alerts[2]!.message).toBe('nœud hors ligne');
    expect(alerts[0]!.ttl).toBe('86400');
    expect(sdk.seen[0]!.body).toEqual({ queries: ALL_ALERTS });
    expect(ALL_ALERTS).toHaveLength(5);
  });

  it('ends with the typed error of an {"error"} line after yielding what came before', async () => {
    const lines = [
      JSON.stringify({ result: { alerts: [alert('1', 'first')] } }),
      JSON.stringify({ error: { grpc_code: 14, http_code: 503, message: 'alerts store unavailable', http_status: 'Service Unavailable' } }),
    ].join('\n');
    sdk.on(ROUTE, async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      await writeInPieces(res, lines + '\n', [3, 60, 61]);
      res.end();
    });
    const got: Alert[] = [];
    const err = await (async () => {
      for await (const a of client.streamAlerts()) got.push(a);
    })().catch((x: unknown) => x);
    expect(got.map((a) => a.id)).toEqual(['1']);
    expect(err).toBeInstanceOf(PortworxUnavailableError);
    expect((err as Error).message).toContain('alerts store unavailable');
    const rec = recorded();
    expect(rec).toHaveLength(1);
    expect(rec[0]).toMatchObject({ method: 'POST', path: '/v1/alerts/filters', status: 200 });
    expect(rec[0]!.response).toHaveLength(2);
  });

  it('maps an HTTP error before the stream starts to its typed error', async () => {
    const e = grpcError(16, 'token expired');
    sdk.reply(ROUTE, e.status, e.body);
    await expect(collect(client.streamAlerts())).rejects.toBeInstanceOf(PortworxUnauthenticatedError);
    expect(recorded()[0]).toMatchObject({ status: 401, response: { code: 16, message: 'token expired' } });
  });

  it('reads a stream that fails before its first message (HTTP status plus one {"error"} line, as grpc-gateway sends it)', async () => {
    const line = { error: { grpc_code: 3, http_code: 400, message: 'Must provide at least one query', http_status: 'Bad Request' } };
    sdk.on(ROUTE, (_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify(line) + '\n');
    });
    const err = await collect(client.streamAlerts()).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(PortworxInvalidArgumentError);
    expect(err).toMatchObject({ grpcCode: 3, httpStatus: 400, retryable: false });
    expect((err as Error).message).toContain('Must provide at least one query');
  });

  it('stops quietly when the caller aborts and records what was streamed so far', async () => {
    sdk.on(ROUTE, async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(JSON.stringify({ result: { alerts: [alert('1', 'a')] } }) + '\n');
      await sleep(1_500);
      if (!res.destroyed) res.end();
    });
    const ac = new AbortController();
    const got: Alert[] = [];
    for await (const a of client.streamAlerts({ signal: ac.signal })) {
      got.push(a);
      ac.abort();
    }
    expect(got.map((a) => a.id)).toEqual(['1']);
    const rec = recorded();
    expect(rec).toHaveLength(1);
    expect(rec[0]!.response).toEqual([{ result: { alerts: [alert('1', 'a')] } }]);
  });

  it('collects alerts with enumerateAlerts and retries the whole stream on a retryable error', async () => {
    let n = 0;
    sdk.on(ROUTE, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (n++ === 0) res.end(JSON.stringify({ error: { grpc_code: 14, message: 'busy' } }) + '\n');
      else res.end(JSON.stringify({ result: { alerts: [alert('1', 'a'), alert('2', 'b')] } }) + '\n');
    });
    const filters = [{ resource_id_query: { resource_type: 'RESOURCE_TYPE_VOLUME' as const, alert_type: 3, resource_id: 'v1' } }];
    const alerts = await client.enumerateAlerts(filters);
    expect(alerts.map((a) => a.id)).toEqual(['1', '2']);
    expect(n).toBe(2);
    expect(sdk.seen[0]!.body).toEqual({
      queries: [{ resource_id_query: { resource_type: 'RESOURCE_TYPE_VOLUME', alert_type: '3', resource_id: 'v1' } }],
    });
  });

  it('times out a stream that goes silent and reports PortworxTimeoutError', async () => {
    sdk.on(ROUTE, async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(JSON.stringify({ result: { alerts: [alert('1', 'a')] } }) + '\n');
      await sleep(1_500);
      if (!res.destroyed) res.end();
    });
    const quick = new PortworxClient({ url: sdk.url, timeoutMs: 200 });
    const got: Alert[] = [];
    const started = Date.now();
    const err = await (async () => {
      for await (const a of quick.streamAlerts()) got.push(a);
    })().catch((x: unknown) => x);
    expect(got.map((a) => a.id)).toEqual(['1']);
    expect(err).toBeInstanceOf(PortworxTimeoutError);
    expect(Date.now() - started).toBeLessThan(1_200);
  });

  it('rejects a query that names more than one query kind', async () => {
    const bad = [{ resource_type_query: { resource_type: 'RESOURCE_TYPE_NODE' as const }, alert_type_query: { resource_type: 'RESOURCE_TYPE_NODE' as const, alert_type: 1 } }];
    await expect(collect(client.streamAlerts({ filters: bad }))).rejects.toBeInstanceOf(ValidationError);
    expect(sdk.seen).toHaveLength(0);
  });
});
