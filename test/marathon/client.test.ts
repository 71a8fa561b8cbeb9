import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarathonAuthError, MarathonClient, MarathonRequestError, MarathonUnavailableError, resolveMarathonSettings } from '../../src/marathon';
import { ValidationError } from '../../src/errors';

/** A tiny local stand-in for Marathon: the status to answer per app id, and what it was asked. */
let server: Server;
let url: string;
const seen: { method: string; url: string; authorization?: string }[] = [];
const answers: Record<string, { status: number; body: unknown }> = {
  '/v2/apps/cassandra?force=true': { status: 200, body: { version: '2026-12-07T10:00:00.000Z', deploymentId: 'dep-42' } },
  '/v2/apps/group/hdfs?force=true': { status: 200, body: {} },
  '/v2/apps/gone?force=true': { status: 404, body: { message: "App '/gone' does not exist" } },
  '/v2/apps/locked?force=true': { status: 409, body: { message: 'App is locked by one or more deployments.' } },
  '/v2/apps/secret?force=true': { status: 403, body: { message: 'forbidden' } },
  '/v2/apps/broken?force=true': { status: 503, body: { message: 'no leader' } },
  '/v2/apps/odd?force=true': { status: 400, body: { message: 'bad' } },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    const a = answers[req.url ?? ''] ?? { status: 404, body: {} };
    res.writeHead(a.status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(a.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

describe('MarathonClient.removeApp (DELETE /v2/apps/<id>?force=true)', () => {
  it('removes an app and reports the deployment; nested app ids keep their slashes', async () => {
    const c = new MarathonClient({ url: `${url}/`, auth: { type: 'basic', principal: 'pxfw', secret: 's3cret' } });
    expect(await c.removeApp('/cassandra')).toEqual({ outcome: 'removed', deploymentId: 'dep-42' });
    expect(await c.removeApp('/group/hdfs')).toEqual({ outcome: 'removed', deploymentId: null });
    expect(seen.slice(-2).map((q) => `${q.method} ${q.url}`)).toEqual(['DELETE /v2/apps/cassandra?force=true', 'DELETE /v2/apps/group/hdfs?force=true']);
    // The same credentials as towards Mesos.
    expect(seen.at(-1)?.authorization).toBe(`Basic ${Buffer.from('pxfw:s3cret').toString('base64')}`);
  });

  it('counts an app that is already gone (404) as removed', async () => {
    expect(await new MarathonClient({ url }).removeApp('/gone')).toEqual({ outcome: 'absent' });
  });

  it('classifies failures: 409 and 5xx retryable, 401/403 terminal auth errors, other 4xx terminal', async () => {
    const c = new MarathonClient({ url });
    await expect(c.removeApp('/locked')).rejects.toMatchObject({ code: 'MARATHON_UNAVAILABLE', retryable: true });
    await expect(c.removeApp('/broken')).rejects.toBeInstanceOf(MarathonUnavailableError);
    await expect(c.removeApp('/secret')).rejects.toBeInstanceOf(MarathonAuthError);
    await expect(c.removeApp('/secret')).rejects.toMatchObject({ retryable: false, status: 403 });
    await expect(c.removeApp('/odd')).rejects.toBeInstanceOf(MarathonRequestError);
  });

  it('says Marathon did not answer when nothing listens', async () => {
    const c = new MarathonClient({ url: 'http://127.0.0.1:1', timeoutMs: 2000 });
    await expect(c.removeApp('/cassandra')).rejects.toMatchObject({ code: 'MARATHON_UNAVAILABLE', retryable: true });
  });
});

describe('--marathon URL settings (PXFW_MARATHON_URL, MARATHON_APP_ID, MARATHON_APP_VERSION)', () => {
  it('is off without a URL', () => {
    expect(resolveMarathonSettings(undefined, {})).toBeUndefined();
  });

  it('takes the flag before its environment twin, and the app from the task environment', () => {
    const env = { PXFW_MARATHON_URL: 'http://env:8080', MARATHON_APP_ID: '/cassandra', MARATHON_APP_VERSION: '2026-12-07T09:00:00.000Z' };
    expect(resolveMarathonSettings('https://cluster/marathon', env)).toEqual({ url: 'https://cluster/marathon', appId: '/cassandra', appVersion: '2026-12-07T09:00:00.000Z' });
    expect(resolveMarathonSettings(undefined, env)?.url).toBe('http://env:8080');
    expect(resolveMarathonSettings(undefined, { PXFW_MARATHON_URL: 'http://m:8080' })).toEqual({ url: 'http://m:8080', appId: null, appVersion: null });
  });

  it('names a bad URL or app id', () => {
    expect(() => resolveMarathonSettings('not a url', {})).toThrow(ValidationError);
    expect(() => resolveMarathonSettings('http://m:8080', { MARATHON_APP_ID: '/Bad App' })).toThrow(/MARATHON_APP_ID must be a Marathon app id/);
  });
});
