import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { MesosAgentCommandRunner, SnapshotCommandFailedError } from '../../src/controller/task-commands';
import { ValidationError } from '../../src/errors';
import {
  createAuthProvider,
  decodeWaitStatus,
  MesosAgentAuthError,
  MesosAgentClient,
  MesosAgentConnectionError,
  MesosAgentHttpError,
  MesosAgentTimeoutError,
  MesosProtocolError,
} from '../../src/mesos';
import { freePort } from '../helpers/nats-server';
import { checkAgentCall, checkAgentResponse } from './agent-proto';

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
  body: any;
}

/** A stand-in agent answering each call with `reply(call)`, keeping what it was sent. */
async function fakeAgent(reply: (call: any, n: number) => { status: number; body?: unknown } | 'hang'): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(text) as unknown;
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      const r = reply(body, seen.length);
      if (r === 'hang') return;
      const payload = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      res.writeHead(r.status, { 'Content-Type': typeof r.body === 'object' ? 'application/json' : 'text/plain' });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const parent = { value: 'task-container', parent: { value: 'executor-container' } };
const target = { taskId: 'db-0', agentId: 'S0', hostname: 'agent-1', containerId: parent };

describe('decodeWaitStatus', () => {
  it('reads the exit code of a normal exit from bits 8-15 of the wait status', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), (code) => {
        expect(decodeWaitStatus(code << 8)).toEqual({ exitCode: code });
      }),
    );
  });

  it('reads the signal of a death by signal from the low 7 bits (with or without a core dump bit)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 126 }), fc.boolean(), (signal, core) => {
        expect(decodeWaitStatus(signal | (core ? 0x80 : 0))).toEqual({ signal });
      }),
    );
  });
});

describe('MesosAgentClient', () => {
  it('refuses a URL that is not http(s), naming the option', () => {
    expect(() => new MesosAgentClient({ url: 'agent-1:5051' })).toThrow(ValidationError);
    expect(() => new MesosAgentClient({ url: 'ftp://agent-1:5051' })).toThrow(/agent client options\.url/);
  });

  it('refuses a nested container id without a parent before sending anything', async () => {
    const agent = await fakeAgent(() => ({ status: 200 }));
    const client = new MesosAgentClient({ url: agent.url });
    await expect(client.waitNestedContainer({ value: 'c1' })).rejects.toThrow(/container_id\.parent/);
    await expect(client.launchNestedContainer('has space', parent, 'true')).rejects.toThrow(/container_id\.value/);
    await expect(client.launchNestedContainer('c1', parent, '')).rejects.toThrow(/command\.value/);
    expect(agent.seen).toHaveLength(0);
  });

  it('posts JSON agent Calls to <url>/api/v1 that conform to the Mesos 1.4 agent.proto, with the auth header', async () => {
    const agent = await fakeAgent((call) =>
      call.type === 'WAIT_NESTED_CONTAINER' ? { status: 200, body: { type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { exit_status: 256 } } } : { status: 200 },
    );
    const auth = createAuthProvider({ type: 'basic', principal: 'pxfw', secret: 's3cret' });
    const client = new MesosAgentClient({ url: `${agent.url}/prefix/`, auth });
    const id = await client.launchNestedContainer('c1', parent, { value: 'nodetool flush', user: 'cassandra' });
    expect(id).toEqual({ value: 'c1', parent });
    await expect(client.waitNestedContainer(id)).resolves.toEqual({ exitStatus: 256 });
    await client.killNestedContainer(id, 15);
    expect(agent.seen.map((s) => s.url)).toEqual(['/prefix/api/v1', '/prefix/api/v1', '/prefix/api/v1']);
    expect(agent.seen[0]!.headers).toMatchObject({
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: `Basic ${Buffer.from('pxfw:s3cret').toString('base64')}`,
    });
    expect(agent.seen[0]!.body).toEqual({
      type: 'LAUNCH_NESTED_CONTAINER',
      launch_nested_container: { container_id: { value: 'c1', parent }, command: { value: 'nodetool flush', user: 'cassandra', shell: true } },
    });
    expect(agent.seen[2]!.body).toEqual({ type: 'KILL_NESTED_CONTAINER', kill_nested_container: { container_id: id, signal: 15 } });
    for (const s of agent.seen) expect(checkAgentCall(s.body)).toEqual([]);
    expect(checkAgentResponse({ type: 'WAIT_NESTED_CONTAINER', wait_nested_container: { exit_status: 256 } })).toEqual([]);
  });

  it('maps failures to typed errors: auth, server trouble, a non-Response body, a timeout, no agent at all', async () => {
    const agent = await fakeAgent((call, n) => {
      if (n === 1) return { status: 403, body: 'Forbidden' };
      if (n === 2) return { status: 503, body: 'Agent has not finished recovery' };
      if (n === 3) return { status: 200, body: { type: 'GET_HEALTH', get_health: { healthy: true } } };
      return 'hang';
    });
    const client = new MesosAgentClient({ url: agent.url, timeoutMs: 200 });
    const id = { value: 'c1', parent };
    await expect(client.launchNestedContainer('c1', parent, 'true')).rejects.toBeInstanceOf(MesosAgentAuthError);
    const unavailable = await client.killNestedContainer(id).catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(MesosAgentHttpError);
    expect(unavailable).toMatchObject({ status: 503, retryable: true });
    await expect(client.waitNestedContainer(id)).rejects.toBeInstanceOf(MesosProtocolError);
    const timedOut = await client.waitNestedContainer(id, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(MesosAgentTimeoutError);
    expect(timedOut).toMatchObject({ retryable: true, callType: 'WAIT_NESTED_CONTAINER', timeoutMs: 100 });

    const nobody = new MesosAgentClient({ url: `http://127.0.0.1:${await freePort()}` });
    const refused = await nobody.getHealth().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(MesosAgentConnectionError);
    expect((refused as Error).message).toMatch(/^cannot reach Mesos agent http:\/\/127\.0\.0\.1:\d+\/api\/v1: /);
  });

  it('logs in again once when the agent answers 401 and the credentials can be refreshed', async () => {
    const agent = await fakeAgent((_call, n) => (n === 1 ? { status: 401, body: 'Unauthorized' } : { status: 200, body: { type: 'GET_HEALTH', get_health: { healthy: true } } }));
    let tokens = 0;
    let invalidated = 0;
    const auth = { refreshable: true, header: async () => `token=t${++tokens}`, invalidate: () => void invalidated++ };
    await expect(new MesosAgentClient({ url: agent.url, auth }).getHealth()).resolves.toBe(true);
    expect(invalidated).toBe(1);
    expect(agent.seen.map((s) => s.headers.authorization)).toEqual(['token=t1', 'token=t2']);
  });
});

describe('MesosAgentCommandRunner', () => {
  it('validates its input and names the offending field', async () => {
    const runner = new MesosAgentCommandRunner({ agentUrl: () => 'http://127.0.0.1:1' });
    const empty = await runner.run(target, '  ', 1000).catch((e: unknown) => e);
    expect(empty).toBeInstanceOf(ValidationError);
    expect((empty as Error).message).toContain('task command.command');
    await expect(runner.run(target, 'true', 0)).rejects.toThrow(/task command\.timeoutMs/);
    await expect(runner.run({ ...target, containerId: { value: '' } }, 'true', 1000)).rejects.toThrow(/task command\.target\.containerId\.value/);
  });

  it('calls the agent at http://<hostname>:5051 by default', async () => {
    const runner = new MesosAgentCommandRunner();
    // No Mesos agent runs on this machine: the connection error names the default URL it tried.
    const err = await runner.run({ ...target, hostname: '127.0.0.1' }, 'true', 1000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MesosAgentConnectionError);
    expect((err as Error).message).toContain('cannot reach Mesos agent http://127.0.0.1:5051/api/v1');
  });

  it('reports a container that ended without an exit status as a failure with no exit code', async () => {
    const agent = await fakeAgent((call) =>
      call.type === 'WAIT_NESTED_CONTAINER' ? { status: 200, body: { type: 'WAIT_NESTED_CONTAINER', wait_nested_container: {} } } : { status: 200 },
    );
    const err = await new MesosAgentCommandRunner({ agentUrl: () => agent.url }).run(target, 'nodetool flush', 1000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SnapshotCommandFailedError);
    expect(err).toMatchObject({ exitCode: null, taskId: 'db-0' });
    expect((err as Error).message).toBe("command 'nodetool flush' in task db-0 ended without an exit status (its container was destroyed)");
  });
});
