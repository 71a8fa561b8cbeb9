import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CALL_CONNECTIONS, CallTimeoutError, postCall } from '../../src/mesos/call-transport';
import { MesosConnectionError, MesosHttp, callSurelyRejected } from '../../src/mesos';
import { freePort } from '../helpers/nats-server';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler!);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

describe('the scheduler call transport (undici)', () => {
  it('posts the body and headers as given and returns status, headers and body', async () => {
    let seen: { method?: string; url?: string; headers?: Record<string, unknown>; body?: string } = {};
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen = { method: req.method, url: req.url, headers: req.headers, body };
        res.writeHead(307, { location: '//other:5050/api/v1/scheduler' });
        res.end('moved');
      });
    });
    const answer = await postCall(`${url}/api/v1/scheduler?x=1`, '{"type":"ACKNOWLEDGE"}', { 'mesos-stream-id': 's-1', authorization: 'token=t' }, 5_000);
    expect(seen).toMatchObject({ method: 'POST', url: '/api/v1/scheduler?x=1', body: '{"type":"ACKNOWLEDGE"}' });
    expect(seen.headers).toMatchObject({ 'mesos-stream-id': 's-1', authorization: 'token=t' });
    expect(answer).toMatchObject({ status: 307, body: 'moved' });
    expect(answer.headers.location).toBe('//other:5050/api/v1/scheduler');
  });

  it('gives up after the timeout of the whole exchange with a CallTimeoutError: outcome unknown, not surely rejected', async () => {
    const url = await serve(() => undefined);
    const http = new MesosHttp({ master: url, api: 'scheduler', requestTimeoutMs: 150 });
    const err = await http.call({ type: 'ACKNOWLEDGE' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MesosConnectionError);
    expect((err as Error).cause).toBeInstanceOf(CallTimeoutError);
    expect(callSurelyRejected(err)).toBe(false);
  });

  it('reports a refused connection as a MesosConnectionError that surely did not reach the master', async () => {
    const port = await freePort();
    const http = new MesosHttp({ master: `http://127.0.0.1:${port}`, api: 'scheduler' });
    const err = await http.call({ type: 'DECLINE' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MesosConnectionError);
    expect(callSurelyRejected(err)).toBe(true);
  });

  it('stops a call in flight when the caller aborts', async () => {
    const url = await serve(() => undefined);
    const http = new MesosHttp({ master: url, api: 'scheduler' });
    const abort = new AbortController();
    const pending = http.call({ type: 'ACCEPT' }, { signal: abort.signal }).catch((e: unknown) => e);
    setTimeout(() => abort.abort(), 50);
    expect(await pending).toBeInstanceOf(MesosConnectionError);
  });

  it('sends a call holding an int64 beyond 2^53 as a bare JSON number, and any other call as JSON.stringify writes it', async () => {
    const bodies: string[] = [];
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(202);
        res.end();
      });
    });
    const http = new MesosHttp({ master: url, api: 'scheduler' });
    const plain = { type: 'ACKNOWLEDGE', acknowledge: { agent_id: { value: 'a1' }, task_id: { value: 't1' }, uuid: 'dXVpZA==' }, n: 1.5, skip: undefined };
    await http.call(plain);
    await http.call({ type: 'RECONCILE', reconcile: { tasks: [] }, at: { nanoseconds: 1_700_000_000_123_456_789n } } as { type: string });
    expect(bodies[0]).toBe(JSON.stringify(plain));
    expect(bodies[1]).toBe('{"type":"RECONCILE","reconcile":{"tasks":[]},"at":{"nanoseconds":1700000000123456789}}');
  });

  it('ends a call at its deadline even while it waits for a connection (every one busy)', async () => {
    const url = await serve(() => undefined);
    const order: string[] = [];
    const busy = Array.from({ length: CALL_CONNECTIONS }, () =>
      postCall(`${url}/api/v1/scheduler`, '{}', {}, 3_000).catch(() => order.push('busy call ended')),
    );
    const queued = await postCall(`${url}/api/v1/scheduler`, '{}', {}, 100).catch((e: unknown) => {
      order.push('queued call ended');
      return e;
    });
    expect(queued).toBeInstanceOf(CallTimeoutError);
    await Promise.all(busy);
    expect(order[0]).toBe('queued call ended');
  });
});
