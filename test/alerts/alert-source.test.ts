import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { alertDedupeKey, alertSourceClient, alertSubject, fetchAlerts, resourceToken } from '../../src/alerts';
import { AlertStreamError } from '../../src/alerts/errors';
import { ValidationError } from '../../src/errors';

describe('alert subjects and event identity', () => {
  it('names the subject after the cluster and the lower-case resource type', () => {
    expect(alertSubject('px-1', 'RESOURCE_TYPE_VOLUME')).toBe('portworx.alerts.px-1.volume');
    expect(resourceToken(undefined)).toBe('none');
    expect(() => alertSubject('a.b', 'RESOURCE_TYPE_NODE')).toThrow(ValidationError);
  });

  it('treats a new timestamp or a clear of the same alert as a new event', () => {
    const a = { id: '7', timestamp: '2024-01-01T00:00:00.000Z' };
    expect(alertDedupeKey('c', a)).toBe(alertDedupeKey('c', { ...a }));
    expect(alertDedupeKey('c', a)).not.toBe(alertDedupeKey('c', { ...a, cleared: true }));
    expect(alertDedupeKey('c', a)).not.toBe(alertDedupeKey('c', { ...a, timestamp: '2024-01-01T00:00:01.000Z' }));
  });
});

describe('reading the SDK alerts stream', () => {
  async function serve(status: number, body: string): Promise<{ url: string; close: () => Promise<void> }> {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise((r) => server.close(() => r())),
    };
  }

  it('collects the alerts of every {"result"} message', async () => {
    const s = await serve(200, '{"result":{"alerts":[{"id":"1"}]}}\n{"result":{"alerts":[{"id":"2","cleared":true}]}}\n');
    try {
      expect((await fetchAlerts(alertSourceClient(s.url))).map((a) => a.id)).toEqual(['1', '2']);
    } finally {
      await s.close();
    }
  });

  it('turns an {"error"} chunk into an AlertStreamError that says whether a retry can help', async () => {
    const s = await serve(400, '{"error":{"grpc_code":3,"http_code":400,"message":"Must provide at least one query","http_status":"Bad Request"}}\n');
    try {
      const err = await fetchAlerts(alertSourceClient(s.url)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AlertStreamError);
      expect(err).toMatchObject({ grpcCode: 3, retryable: false, message: expect.stringContaining('Must provide at least one query') });
    } finally {
      await s.close();
    }
  });
});
