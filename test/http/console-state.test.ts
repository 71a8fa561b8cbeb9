import { describe, expect, it } from 'vitest';
import { buildConsoleState, type ConsoleExtras } from '../../src/http/console-state';
import { ACTIVE, agent, fakeModel, HEALTHY, plan, pod, UNINSTALLED } from './console-fixtures';

const NOW = Date.parse('2025-01-01T12:00:00Z');
const extras: ConsoleExtras = { health: HEALTHY, events: [], recoveries: [], recovering: [], rates: [], now: NOW };

describe('the console state: what an operator sees, in words', () => {
  it('says "running" for a ready pod and never shows a state path (the old page showed `running.up`)', async () => {
    const s = await buildConsoleState(fakeModel(), extras);
    expect(s.pods.map((p) => [p.name, p.text, p.tone])).toEqual([
      ['node-1', 'running', 'ok'],
      ['node-2', 'running', 'ok'],
      ['node-3', 'running', 'ok'],
    ]);
    expect(JSON.stringify({ ...s, pods: s.pods.map(({ name, text }) => ({ name, text })) })).not.toMatch(/running\.up|active\(/);
    expect(s.framework).toMatchObject({ text: 'active', tone: 'ok', leading: true });
  });

  it('names each pod state by its tags: waiting for an offer, on probation, being replaced, needs the operator', async () => {
    const m = fakeModel({
      podFacts: [
        pod(1, { state: 'volume-provisioned.awaiting-holder', tags: ['awaiting-offer'], agentId: null, hostname: null }),
        pod(2, { state: 'running.suspect.probation', tags: ['probation', 'running', 'task-live'] }),
        pod(3, { state: 're-attaching.fencing', tags: ['re-attaching'] }),
        pod(4, { state: 'failed.blocked', tags: ['blocked'] }),
        pod(5, { state: 'running.unready', tags: ['running', 'task-live'] }),
        pod(6, { state: 'failed.awaiting-slot', tags: ['awaiting-slot'] }),
      ],
    });
    const s = await buildConsoleState(m, extras);
    expect(s.pods.map((p) => p.text)).toEqual([
      'waiting for an offer',
      'on probation',
      'moving to another host',
      'needs the operator',
      'running, not ready yet',
      'waiting for a replacement slot',
    ]);
    expect(s.unplaced.map((p) => p.name)).toEqual(['node-1']);
  });

  it('after an uninstall shows no pods and says "uninstalled", though the stopped pod actors still read running.up', async () => {
    const m = fakeModel({ fw: UNINSTALLED, podFacts: [pod(1, { actorStatus: 'stopped' })] });
    const s = await buildConsoleState(m, extras);
    expect(s.framework.text).toBe('uninstalled');
    expect(s.pods).toEqual([]);
    expect(s.topology.flatMap((r) => r.zones.flatMap((z) => z.racks.flatMap((k) => k.agents.flatMap((a) => a.pods))))).toEqual([]);
  });

  it('lays out regions, zones, racks and agents with each pod on its agent; a host down stands out', async () => {
    const m = fakeModel({ agentFacts: [1, 2, 3, 4, 5, 6].map((n) => agent(n, n === 1 ? { storage: 'offline' } : {})) });
    const s = await buildConsoleState(m, extras);
    expect(s.topology.map((r) => r.name)).toEqual(['region-1']);
    expect(s.topology[0]!.zones.map((z) => z.name)).toEqual(['zone-1', 'zone-2', 'zone-3']);
    const agents = s.topology[0]!.zones.flatMap((z) => z.racks.flatMap((k) => k.agents));
    const one = agents.find((a) => a.hostname === 'agent-1')!;
    expect(one).toMatchObject({ text: 'host down (Portworx offline)', tone: 'bad' });
    expect(one.pods.map((p) => p.name)).toEqual(['node-1']);
    expect(agents.find((a) => a.hostname === 'agent-2')).toMatchObject({ text: 'up', tone: 'ok' });
  });

  it('marks a volume degraded when fewer of its replica holders are healthy than its repl', async () => {
    const m = fakeModel({ agentFacts: [1, 2, 3, 4, 5, 6].map((n) => agent(n, n === 4 ? { unreachable: true } : {})) });
    const s = await buildConsoleState(m, extras);
    const v1 = s.volumes.find((v) => v.pod === 'node-1')!;
    expect(v1).toMatchObject({ degraded: true, tone: 'bad', text: 'degraded: 1 of 2 replicas healthy' });
    expect(v1.holders.map((h) => [h.host, h.text])).toEqual([
      ['agent-1', 'in sync'],
      ['agent-4', 'offline'],
    ]);
    expect(s.volumes.find((v) => v.pod === 'node-2')).toMatchObject({ degraded: false, text: 'healthy' });
  });

  it('shows plans with progress, paused plans and failed steps marked', async () => {
    const m = fakeModel({
      planViews: [plan('deploy', ['COMPLETE', 'STARTING', 'PENDING']), plan('update', ['COMPLETE', 'PENDING'], { paused: true, status: 'IN_PROGRESS' }), plan('restore', ['ERROR'])],
    });
    const s = await buildConsoleState(m, extras);
    expect(s.plans.map((p) => [p.name, p.text, p.done, p.total])).toEqual([
      ['deploy', 'in progress', 1, 3],
      ['update', 'paused', 1, 2],
      ['restore', 'failed', 0, 1],
    ]);
    expect(s.plans[0]!.phases[0]!.steps.map((x) => x.text)).toEqual(['done', 'in progress', 'not started']);
    expect(s.plans[2]!.phases[0]!.steps[0]).toMatchObject({ text: 'failed', tone: 'bad' });
  });

  it('lists snapshots newest first with their age in words', async () => {
    const snap = (name: string, createdAt: string) => ({ id: name, name, createdAt, podType: null, volumes: [] });
    const m = fakeModel({ snapshotViews: [snap('old', '2024-12-30T12:00:00Z'), snap('new', '2025-01-01T11:55:00Z')] });
    const s = await buildConsoleState(m, extras);
    expect(s.snapshots.map((x) => [x.name, x.age])).toEqual([
      ['new', '5 min'],
      ['old', '2 d'],
    ]);
  });

  it('says standby when another instance leads', async () => {
    const s = await buildConsoleState(fakeModel({ fw: { ...ACTIVE, state: 'standby', is: { ...ACTIVE.is, active: false }, leading: false } }), extras);
    expect(s.framework.text).toBe('standby: another instance leads');
  });
});
