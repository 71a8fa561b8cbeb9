import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { assessHealth, type HealthInputs } from '../../src/http/health';
import { PortworxProbe } from '../../src/http/portworx-probe';
import { HttpPortUnavailableError, SchedulerHttpServer } from '../../src/http/server';

const reachable = { reachable: true, checkedAt: 1_000, latencyMs: 3 };
const base: HealthInputs = {
  framework: 'active(plans=complete)',
  subscribed: true,
  leading: true,
  instance: 'i-1',
  portworx: reachable,
  portworxGraceMs: 30_000,
  now: 1_000,
};

describe('/health: Mesos, Portworx and the lease, each reported, healthy only when pxfw can act', () => {
  it('is healthy when subscribed, leading and Portworx answers; each check says ok', () => {
    const h = assessHealth(base);
    expect(h.healthy).toBe(true);
    expect(h.checks).toMatchObject({ mesos: { ok: true, subscribed: true }, portworx: { ok: true, reachable: true }, lease: { ok: true, leading: true } });
    expect(h.details).toMatchObject({ subscribed: true, leading: true, portworxReachable: true, reasons: [] });
  });

  it('is unhealthy when not subscribed to Mesos, naming it', () => {
    const h = assessHealth({ ...base, subscribed: false, framework: 'subscribing' });
    expect(h.healthy).toBe(false);
    expect(h.checks!.mesos!.ok).toBe(false);
    expect(h.details.reasons).toEqual(['not subscribed to Mesos (framework subscribing)']);
  });

  it('tolerates Portworx unreachable within the grace, then answers unhealthy past it', () => {
    const down = { reachable: false, checkedAt: 20_000, latencyMs: 2000, error: 'connect ECONNREFUSED', unreachableSince: 10_000 };
    const blip = assessHealth({ ...base, portworx: down, now: 20_000 });
    expect(blip.healthy).toBe(true);
    expect(blip.checks!.portworx).toMatchObject({ ok: true, reachable: false, unreachableForMs: 10_000 });
    const out = assessHealth({ ...base, portworx: down, now: 45_000 });
    expect(out.healthy).toBe(false);
    expect(out.checks!.portworx).toMatchObject({ ok: false, reachable: false, error: 'connect ECONNREFUSED' });
    expect(out.details.reasons).toEqual(['Portworx unreachable for 35 s: connect ECONNREFUSED']);
  });

  it('is unhealthy on a standby instance, naming who holds the lease', () => {
    const h = assessHealth({ ...base, leading: false, subscribed: false, framework: 'standby', leaseHolder: 'host-a-123' });
    expect(h.healthy).toBe(false);
    expect(h.checks!.lease).toMatchObject({ ok: false, leading: false, holder: 'host-a-123' });
    expect(h.details.reasons).toContain('not leading: standby, the lease is held by host-a-123');
  });
});

describe('Portworx probe', () => {
  it('caches an answer for a few seconds and shares a probe in flight', async () => {
    let calls = 0;
    let now = 0;
    const probe = new PortworxProbe({ call: async () => void calls++, cacheMs: 3000, now: () => now });
    const [a, b] = await Promise.all([probe.status(), probe.status()]);
    expect(a).toBe(b);
    expect(calls).toBe(1);
    now = 2999;
    await probe.status();
    expect(calls).toBe(1);
    now = 3000;
    await probe.status();
    expect(calls).toBe(2);
  });

  it('counts a slow answer as unreachable after the timeout and remembers since when', async () => {
    let now = 100;
    const probe = new PortworxProbe({ call: () => new Promise(() => undefined), timeoutMs: 50, cacheMs: 0, now: () => now });
    const first = await probe.status();
    expect(first).toMatchObject({ reachable: false, error: 'no answer within 50 ms', unreachableSince: 100 });
    now = 5000;
    expect((await probe.status()).unreachableSince).toBe(100);
  });

  it('forgets the outage once Portworx answers again', async () => {
    let up = false;
    const probe = new PortworxProbe({ call: async () => { if (!up) throw new Error('ECONNREFUSED'); }, cacheMs: 0 });
    expect((await probe.status()).reachable).toBe(false);
    up = true;
    const back = await probe.status();
    expect(back.reachable).toBe(true);
    expect(back.unreachableSince).toBeUndefined();
  });
});

describe('HTTP port binding', () => {
  let blocker: Server | undefined;
  const servers: SchedulerHttpServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
    await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
    blocker = undefined;
  });
  async function takenPort(): Promise<number> {
    blocker = createServer();
    await new Promise<void>((r) => blocker!.listen(0, '0.0.0.0', () => r()));
    return (blocker.address() as { port: number }).port;
  }

  it('a port that is taken is a startup error naming the port and the flag', async () => {
    const port = await takenPort();
    const err = await SchedulerHttpServer.listen(port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpPortUnavailableError);
    expect((err as HttpPortUnavailableError).message).toBe(
      `cannot serve HTTP on port ${port}: it is in use by another process; free it or choose another port with --http PORT (PXFW_HTTP_PORT)`,
    );
    expect((err as HttpPortUnavailableError).retryable).toBe(false);
  });

  it('with fallback (the sandbox default port), a taken port gives a free one and says which it wanted', async () => {
    const port = await takenPort();
    const srv = await SchedulerHttpServer.listen(port, { fallbackToFreePort: true });
    servers.push(srv);
    expect(srv.port).not.toBe(port);
    expect(srv.fellBackFrom).toBe(port);
  });

  it('answers 503 "starting" until the scheduler attaches its sources, then the real health', async () => {
    const srv = await SchedulerHttpServer.listen(0);
    servers.push(srv);
    const before = await fetch(`${srv.url}/health`);
    expect(before.status).toBe(503);
    expect(await before.json()).toEqual({ healthy: false, details: { framework: 'starting' } });
    srv.attach({ health: async () => assessHealth(base), state: () => ({}), subscribe: () => () => undefined, registry: new Registry() });
    const after = await fetch(`${srv.url}/health`);
    expect(after.status).toBe(200);
    expect(((await after.json()) as { checks: { lease: { ok: boolean } } }).checks.lease.ok).toBe(true);
  });
});
