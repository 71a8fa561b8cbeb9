import { afterEach, describe, expect, it } from 'vitest';
import { MesosSchedulerClient, type SchedulerClientEvent } from '../../src/mesos/scheduler-client';
import { MesosSimulator } from '../../src/sim/mesos';
import { MesosChaosProxy } from '../../src/sim/chaos/mesos-proxy';

const until = async (what: string, cond: () => boolean, ms = 8000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** The proxy between the real scheduler client and the Mesos simulator. */
describe('the chaos proxy in front of the Mesos simulator', () => {
  let sim: MesosSimulator | undefined;
  let proxy: MesosChaosProxy | undefined;
  let client: MesosSchedulerClient | undefined;
  afterEach(async () => {
    await client?.stop();
    await proxy?.stop();
    await sim?.stop();
  });

  it('carries a subscription whose events the client parses, and the client subscribes again after every kind of cut', async () => {
    sim = await MesosSimulator.start({ agents: 2, speed: 20 });
    proxy = await MesosChaosProxy.start({ target: sim.url, seed: 3, rates: { duplicateUpdate: 0.5, delayUpdate: 0.5, maxDelayMs: 30 } });
    client = new MesosSchedulerClient({ master: proxy.url, framework: { name: 'chaos-proxy-test', roles: ['*'] }, backoff: { initialMs: 10, maxMs: 50 } });
    const events: SchedulerClientEvent[] = [];
    client.onEvent((e) => events.push(e));
    client.start();
    const subscribed = () => events.filter((e) => e.type === 'SUBSCRIBED').length;
    await until('SUBSCRIBED', () => subscribed() === 1);
    await until('OFFERS through the proxy', () => events.some((e) => e.type === 'OFFERS'));
    for (const [i, mode] of (['reset', 'end', 'truncate'] as const).entries()) {
      await until('an open stream', () => proxy!.openStreams === 1);
      expect(proxy.cutStreams(mode)).toBe(1);
      await until(`re-subscription after a ${mode}`, () => subscribed() === i + 2);
    }
    expect(events.filter((e) => e.type === 'DISCONNECTED').length).toBe(3);
    // The same framework every time: the client kept its id across the cuts.
    expect(new Set(events.filter((e) => e.type === 'SUBSCRIBED').map((e) => (e as { subscribed: { framework_id: { value: string } } }).subscribed.framework_id.value)).size).toBe(1);
  });

  it('loses the reply of a REVIVE the master did receive', async () => {
    sim = await MesosSimulator.start({ agents: 1, speed: 20 });
    proxy = await MesosChaosProxy.start({ target: sim.url, seed: 3 });
    client = new MesosSchedulerClient({ master: proxy.url, framework: { name: 'chaos-proxy-test', roles: ['*'] }, backoff: { initialMs: 10, maxMs: 50 } });
    const events: SchedulerClientEvent[] = [];
    client.onEvent((e) => events.push(e));
    client.start();
    await until('SUBSCRIBED', () => events.some((e) => e.type === 'SUBSCRIBED'));
    await client.suppress();
    await until('suppressed', () => sim!.frameworks()[0]!.suppressed);
    proxy.loseNext(1, { callType: 'REVIVE' });
    await expect(client.revive()).rejects.toThrow();
    await until('revived by the call whose reply was lost', () => !sim!.frameworks()[0]!.suppressed);
    expect(proxy.counts()['lost-reply']).toBe(1);
  });
});
