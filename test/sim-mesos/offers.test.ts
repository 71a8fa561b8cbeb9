import { afterEach, describe, expect, it } from 'vitest';
import type { MesosSimulator } from '../../src/sim/mesos';
import { DCOS_AGENT_PORTS, parsePortRanges } from '../../src/sim/mesos/options';
import { TestScheduler, frameworkInfo, startSim, type Json } from './helpers';

describe('Mesos simulator: offers', () => {
  let sim: MesosSimulator | undefined;
  const open: TestScheduler[] = [];
  const subscribe = async (info = frameworkInfo()): Promise<TestScheduler> => {
    const s = await TestScheduler.subscribe(sim!.url, info);
    open.push(s);
    return s;
  };
  afterEach(async () => {
    for (const s of open.splice(0)) s.close();
    await sim?.stop();
    sim = undefined;
  });

  it('offers each agent once, in one OFFERS event, with hostname, rack attribute, fault domain and resources', async () => {
    sim = await startSim({ agents: 4, racks: 2 });
    const s = await subscribe();
    const offers = await s.offers();
    expect(offers).toHaveLength(4);
    expect(new Set(offers.map((o) => o.agent_id.value)).size).toBe(4);
    const byHost = new Map(offers.map((o) => [o.hostname, o]));
    const a2 = byHost.get('agent-2')!;
    expect(a2.attributes).toEqual([{ name: 'rack', type: 'TEXT', text: { value: 'rack-2' } }]);
    expect(a2.domain).toEqual({ fault_domain: { region: { name: 'region-1' }, zone: { name: 'zone-2' } } });
    expect(byHost.get('agent-3')!.attributes[0].text.value).toBe('rack-1');
    expect(a2.agent_id.value).toMatch(/^[0-9a-f-]{36}-S\d+$/);
    expect(a2.id.value).toMatch(/^[0-9a-f-]{36}-O\d+$/);
    expect(a2.framework_id.value).toBe(s.frameworkId);
    expect(a2.allocation_info).toEqual({ role: 'pxfw' });
    const res = Object.fromEntries(a2.resources.map((r: Json) => [r.name, r]));
    expect(res.cpus).toMatchObject({ type: 'SCALAR', scalar: { value: 8 }, allocation_info: { role: 'pxfw' } });
    expect(res.mem.scalar.value).toBe(32768);
    expect(res.disk.scalar.value).toBe(102400);
    // A DC/OS agent by default (dcos/dcos gen/dcos-config.yaml): every port to 32000 but DC/OS' own.
    expect(res.ports).toMatchObject({ type: 'RANGES', ranges: { range: [...DCOS_AGENT_PORTS] } });
    expect(res.ports.ranges.range.some((r: Json) => r.begin <= 9042 && 9042 <= r.end)).toBe(true);
  });

  it('offers the port ranges it is given: one [begin, end] or a list (pxfw sim mesos --ports)', async () => {
    sim = await startSim({ agents: 1, agentResources: { ports: [31000, 32000] } });
    const s = await subscribe();
    const [offer] = await s.offers();
    const ports = offer!.resources.find((r: Json) => r.name === 'ports');
    expect(ports.ranges.range).toEqual([{ begin: 31000, end: 32000 }]);
    await sim.stop();
    sim = await startSim({ agents: 1, agentResources: { ports: parsePortRanges('9000-9100,7000') } });
    const t = await subscribe();
    const [second] = await t.offers();
    expect(second!.resources.find((r: Json) => r.name === 'ports').ranges.range).toEqual([
      { begin: 7000, end: 7000 },
      { begin: 9000, end: 9100 },
    ]);
  });

  it('parses --ports: dcos, mesos, ranges in the Mesos --resources form; refuses the rest naming the part', () => {
    expect(parsePortRanges('dcos')).toEqual([...DCOS_AGENT_PORTS]);
    expect(parsePortRanges('mesos')).toEqual([{ begin: 31000, end: 32000 }]);
    expect(parsePortRanges('[1025-2180, 2182-32000]')).toEqual([{ begin: 1025, end: 2180 }, { begin: 2182, end: 32000 }]);
    expect(() => parsePortRanges('9000-80')).toThrow(/9000-80 is not a range/);
    expect(() => parsePortRanges('ports')).toThrow(/'ports' is not a port or a range/);
  });

  it('leaves allocation_info out of offers to a framework that is not MULTI_ROLE', async () => {
    sim = await startSim({ agents: 1 });
    const s = await subscribe(frameworkInfo({ roles: undefined, capabilities: [] }));
    const [offer] = await s.offers();
    expect(offer!.allocation_info).toBeUndefined();
    expect(offer!.resources.every((r: Json) => r.allocation_info === undefined)).toBe(true);
  });

  it('does not re-offer declined resources before refuse_seconds, and does after', async () => {
    sim = await startSim({ agents: 2 });
    const s = await subscribe();
    const offers = await s.offers();
    const declined = offers[0]!;
    const kept = offers[1]!;
    // refuse 2 s of simulated time = 100 ms at speed 20.
    const t0 = Date.now();
    expect((await s.call({ type: 'DECLINE', decline: { offer_ids: [declined.id], filters: { refuse_seconds: 2 } } })).status).toBe(202);
    const from = s.events.length;
    const again = await s.offers(3000, from);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95);
    expect(again.map((o) => o.agent_id.value)).toEqual([declined.agent_id.value]);
    // The undeclined offer is still outstanding, so its agent is never offered twice.
    expect(again.some((o) => o.agent_id.value === kept.agent_id.value)).toBe(false);
  });

  it('applies the 5 s default filter when DECLINE has no filters', async () => {
    sim = await startSim({ agents: 1 });
    const s = await subscribe();
    const [offer] = await s.offers();
    await s.call({ type: 'DECLINE', decline: { offer_ids: [offer!.id] } });
    const from = s.events.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(s.events.slice(from).some((e) => e.type === 'OFFERS')).toBe(false);
    await s.offers(2000, from);
  });

  it('sends no offers while suppressed and clears filters on REVIVE', async () => {
    sim = await startSim({ agents: 1 });
    const s = await subscribe();
    const [offer] = await s.offers();
    await s.call({ type: 'SUPPRESS' });
    await s.call({ type: 'DECLINE', decline: { offer_ids: [offer!.id], filters: { refuse_seconds: 3600 } } });
    const from = s.events.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(s.events.slice(from).some((e) => e.type === 'OFFERS')).toBe(false);
    expect((await s.call({ type: 'REVIVE' })).status).toBe(202);
    const again = await s.offers(2000, from);
    expect(again[0]!.agent_id.value).toBe(offer!.agent_id.value);
  });

  it('allocates at once when a framework subscribes and when it revives, not only every allocation interval (Mesos generateOffers)', async () => {
    // An allocation interval of an hour: any offer seen here comes from a run the call asked for.
    sim = await startSim({ agents: 2, allocationIntervalSeconds: 3600 * 20 });
    const s = await subscribe();
    const offers = await s.offers();
    expect(offers).toHaveLength(2);
    await s.call({ type: 'DECLINE', decline: { offer_ids: offers.map((o) => o.id), filters: { refuse_seconds: 3600 } } });
    const from = s.events.length;
    expect((await s.call({ type: 'REVIVE' })).status).toBe(202);
    const again = await s.offers(2000, from);
    expect(again.map((o) => o.agent_id.value).sort()).toEqual(offers.map((o) => o.agent_id.value).sort());
  });

  it('reoffers declined resources only at a periodic run after the filter, never at once', async () => {
    sim = await startSim({ agents: 1, allocationIntervalSeconds: 3600 * 20 });
    const s = await subscribe();
    const [offer] = await s.offers();
    await s.call({ type: 'DECLINE', decline: { offer_ids: [offer!.id], filters: { refuse_seconds: 0 } } });
    const from = s.events.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(s.events.slice(from).some((e) => e.type === 'OFFERS')).toBe(false);
  });

  it('rescinds offers that were not used within the offer timeout', async () => {
    sim = await startSim({ agents: 1, offerTimeoutSeconds: 4 });
    const s = await subscribe();
    const [offer] = await s.offers();
    const rescind = await s.waitFor((e) => e.type === 'RESCIND', 3000);
    expect(rescind.rescind.offer_id).toEqual(offer!.id);
  });

  it('rescinds the outstanding offers of an agent that becomes unreachable', async () => {
    sim = await startSim({ agents: 2 });
    const s = await subscribe();
    const offers = await s.offers();
    const target = offers.find((o) => o.hostname === 'agent-1')!;
    sim.partitionAgent('agent-1');
    const rescind = await s.waitFor((e) => e.type === 'RESCIND');
    expect(rescind.rescind.offer_id).toEqual(target.id);
  });

  it('shares agents between two frameworks without offering the same resources twice', async () => {
    sim = await startSim({ agents: 4 });
    const a = await subscribe();
    const b = await subscribe(frameworkInfo({ name: 'other' }));
    await new Promise((r) => setTimeout(r, 300));
    const agentsOf = (s: TestScheduler): string[] =>
      s.events.filter((e) => e.type === 'OFFERS').flatMap((e) => e.offers.offers.map((o: Json) => o.agent_id.value));
    const all = [...agentsOf(a), ...agentsOf(b)];
    expect(all).toHaveLength(4);
    expect(new Set(all).size).toBe(4);
  });
});
