import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors';
import {
  MesosAuthError,
  MesosBadRequestError,
  MesosConnectionError,
  MesosFrameworkNotSubscribedError,
  MesosHttpError,
  MesosNotLeaderError,
  MesosNotSubscribedError,
  MesosSchedulerClient,
  MesosUnavailableError,
  callSurelyRejected,
  type SchedulerClientEvent,
} from '../../src/mesos';
import { FakeMaster, accepted, eventStream, reply, until, type EventWriter } from './helpers/fake-master';

/*
 * A 403 "Framework is not subscribed" (apache/mesos src/master/http.cpp) comes after a cut stream
 * or a master failover: the call did not take effect and the framework must subscribe again. It
 * is not an authorization failure; only those stay terminal.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const subscribed = { type: 'SUBSCRIBED', subscribed: { framework_id: { value: 'fw-1' }, heartbeat_interval_seconds: 15 } };

/**
 * A master whose SUBSCRIBE streams open with SUBSCRIBED; the first KILL gets `status`/`body`
 * (the master's view of the subscription is gone while the client's stream still looks open),
 * every later call gets 202.
 */
async function masterRefusingFirstKill(status: number, body: string) {
  const streams: EventWriter[] = [];
  let refused = false;
  const m = await FakeMaster.start((req, res) => {
    if (req.body.type === 'SUBSCRIBE') {
      const w = eventStream(res, `stream-${streams.length + 1}`);
      streams.push(w);
      return w.send(subscribed);
    }
    if (req.body.type === 'KILL' && !refused) {
      refused = true;
      return reply(res, status, body);
    }
    accepted(res);
  });
  cleanups.push(() => m.close());
  const c = new MesosSchedulerClient({
    master: m.url,
    framework: { name: 'cassandra', roles: ['cassandra-role'] },
    backoff: { initialMs: 10, maxMs: 40 },
  });
  const events: SchedulerClientEvent[] = [];
  c.onEvent((e) => events.push(e));
  cleanups.push(() => c.stop());
  c.start();
  await until(() => c.streamId === 'stream-1', 5000, 'first subscription');
  return { m, c, events, streams };
}

describe('a call refused because the framework is not subscribed', () => {
  it.each([
    [403, 'Framework is not subscribed'],
    [403, 'Framework is not connected via HTTP'],
    [400, "The stream ID 'stream-1' included in this request didn't match the stream ID currently associated with framework ID fw-1"],
  ])('HTTP %i "%s" is a retryable MesosFrameworkNotSubscribedError, and the client subscribes again', async (status, body) => {
    const { m, c, events } = await masterRefusingFirstKill(status, body);

    const err = await c.kill('task-1', 'agent-1').catch((e: unknown) => e);

    expect(err).toBeInstanceOf(MesosFrameworkNotSubscribedError);
    expect(err).not.toBeInstanceOf(MesosAuthError);
    expect(err).toMatchObject({ code: 'MESOS_FRAMEWORK_NOT_SUBSCRIBED', retryable: true, status, callType: 'KILL' });
    expect((err as Error).message).toContain(body.slice(0, 20));
    await until(() => c.streamId === 'stream-2', 5000, 're-subscription');
    expect(m.calls('SUBSCRIBE')).toHaveLength(2);
    expect(events.map((e) => e.type)).toEqual(['SUBSCRIBED', 'DISCONNECTED', 'SUBSCRIBED']);
    // The retry, on the new subscription, goes through.
    await c.kill('task-1', 'agent-1');
    expect(m.calls('KILL').at(-1)!.headers['mesos-stream-id']).toBe('stream-2');
  });

  it('keeps a 403 that names an authorization failure terminal, and does not re-subscribe for it', async () => {
    const { m, c } = await masterRefusingFirstKill(403, "Not authorized to kill tasks as principal 'cassandra-principal'");

    const err = await c.kill('task-1', 'agent-1').catch((e: unknown) => e);

    expect(err).toBeInstanceOf(MesosAuthError);
    expect(err).toMatchObject({ code: 'MESOS_AUTH', retryable: false, status: 403 });
    await new Promise((r) => setTimeout(r, 100));
    expect(m.calls('SUBSCRIBE')).toHaveLength(1);
    expect(c.streamId).toBe('stream-1');
  });

  it('keeps a 401 terminal (no credentials to refresh)', async () => {
    const { c } = await masterRefusingFirstKill(401, 'Unauthorized');
    await expect(c.kill('task-1')).rejects.toMatchObject({ name: 'MesosAuthError', retryable: false, status: 401 });
  });

  it('does not drop a newer subscription when a call sent on an older stream comes back refused', async () => {
    const streams: EventWriter[] = [];
    let releaseKill: (() => void) | undefined;
    const m = await FakeMaster.start((req, res) => {
      if (req.body.type === 'SUBSCRIBE') {
        const w = eventStream(res, `stream-${streams.length + 1}`);
        streams.push(w);
        return w.send(subscribed);
      }
      // The KILL's answer is held until the client has subscribed again.
      if (req.body.type === 'KILL') releaseKill = () => reply(res, 403, 'Framework is not subscribed');
      else accepted(res);
    });
    cleanups.push(() => m.close());
    const c = new MesosSchedulerClient({ master: m.url, framework: { name: 'cassandra', roles: ['r'] }, backoff: { initialMs: 10, maxMs: 40 } });
    cleanups.push(() => c.stop());
    c.start();
    await until(() => c.streamId === 'stream-1');
    const kill = c.kill('task-1').catch((e: unknown) => e);
    await until(() => releaseKill !== undefined, 5000, 'KILL reached the master');
    streams[0]!.end();
    await until(() => c.streamId === 'stream-2', 5000, 'second subscription');

    releaseKill!();
    expect(await kill).toBeInstanceOf(MesosFrameworkNotSubscribedError);
    await new Promise((r) => setTimeout(r, 100));
    expect(c.streamId).toBe('stream-2');
    expect(m.calls('SUBSCRIBE')).toHaveLength(2);
  });
});

describe('callSurelyRejected: did a failed call certainly not take effect?', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5050'), { code: 'ECONNREFUSED' });
  const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  const timedOut = Object.assign(new Error("Timeout awaiting 'request' for 30000ms"), { code: 'ETIMEDOUT' });
  it.each([
    ['400 bad call', new MesosBadRequestError('Failed to validate', 'ACCEPT'), true],
    ['401/403 authorization', new MesosAuthError(403, 'Not authorized'), true],
    ['403 not subscribed', new MesosFrameworkNotSubscribedError(403, 'Framework is not subscribed', 'ACCEPT'), true],
    ['no stream yet (never sent)', new MesosNotSubscribedError('ACCEPT'), true],
    ['503 no leader', new MesosUnavailableError('', 'http://m'), true],
    ['redirects never reached a leader', new MesosNotLeaderError('gave up'), true],
    ['other 4xx (415)', new MesosHttpError(415, 'Expecting Content-Type', 'http://m'), true],
    ['invalid input (never sent)', new ValidationError('offerIds: must not be empty'), true],
    ['connection refused (never sent)', new MesosConnectionError('http://m', { cause: refused }), true],
    ['connection reset (answer lost)', new MesosConnectionError('http://m', { cause: reset }), false],
    ['timeout (answer lost)', new MesosConnectionError('http://m', { cause: timedOut }), false],
    ['500 (master failed mid-call)', new MesosHttpError(500, 'Internal Server Error', 'http://m'), false],
    ['anything unclassified', new Error('boom'), false],
  ])('%s -> %s', (_what, err, rejected) => {
    expect(callSurelyRejected(err)).toBe(rejected);
  });
});
