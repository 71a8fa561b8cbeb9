import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { ReplacementGovernor, type GovernorEvent } from '../../src/controller/replacement-governor';
import { podReplacementPhase } from '../../src/controller/failure-policy';
import { podInput, startPod, toRunning, type PodRig } from '../machines/pod-harness';
import { flush } from '../machines/effect-harness';

/*
 * The pod machine and the replacement governor wired the way runtime.ts wires them: every pod
 * snapshot is reported with podReplacementPhase, and a grant becomes REPLACE_GRANTED.
 */
function cluster(opts: { share: number }) {
  const events: GovernorEvent[] = [];
  const pods = new Map<string, PodRig>();
  const clock = new SimulatedClock();
  const governor = new ReplacementGovernor({
    policy: () => ({ maxConcurrentReplacements: 1, maxUnavailable: 1 }),
    outage: { share: opts.share, minNodes: 2, windowMs: 60_000 },
    grant: (pod) => queueMicrotask(() => pods.get(pod)?.actor.send({ type: 'REPLACE_GRANTED' })),
    emit: (e) => events.push(e),
    now: () => clock.now(),
  });
  const add = async (index: number) => {
    const rig = startPod({ clock, input: podInput({ index, failurePolicy: { permanentFailureTimeoutMs: 120_000, autoReplace: true } }) });
    const name = `node-${index}`;
    pods.set(name, rig);
    rig.actor.subscribe((snap) => governor.track({ name, podType: 'node' }, podReplacementPhase(snap)));
    await toRunning(rig, `t${index}`, `a${index}`, `h${index}`);
    return rig;
  };
  /** Portworx says the host is OFFLINE; the probation ends with the host confirmed down. */
  const hostDies = async (rig: PodRig, index: number) => {
    rig.actor.send({ type: 'HOST_DOWN', hostname: `h${index}`, source: 'portworx', reason: 'OFFLINE' });
  };
  const confirmAll = async (rigs: PodRig[]) => {
    clock.increment(10_000);
    for (const r of rigs) await r.effects.resolve('confirmHostDown', { down: true, reason: 'agent silent, node OFFLINE' });
    await flush();
  };
  const nodes = (offline: number[]) => Array.from({ length: 6 }, (_, i) => ({ hostname: `h${i}`, online: !offline.includes(i) }));
  return { governor, events, add, hostDies, confirmAll, nodes, clock };
}

/** Finish a granted replacement: fence, check, place elsewhere, run. */
async function replace(rig: PodRig, index: number): Promise<void> {
  await rig.effects.resolve('fence');
  await rig.effects.resolve('checkVolumes', { replicaHosts: ['h5'] });
  rig.actor.send({ type: 'PLACE', taskId: `r${index}`, agentId: 'a5', hostname: 'h5', offerId: 'o' });
  rig.actor.send({ type: 'TASK_UPDATE', taskId: `r${index}`, state: 'TASK_RUNNING' });
  await flush();
}

describe('replacement governor wiring (blast radius)', () => {
  it('three hosts confirmed down: one replacement of the type at a time, the others wait in failed.awaiting-slot', async () => {
    const c = cluster({ share: 0.9 });
    const rigs = [await c.add(0), await c.add(1), await c.add(2)];
    for (const [i, r] of rigs.entries()) await c.hostDies(r, i);
    c.governor.observeStorage(c.nodes([0, 1, 2]));
    await c.confirmAll(rigs);
    expect(rigs.map((r) => r.state())).toEqual(['re-attaching.fencing', 'failed.awaiting-slot', 'failed.awaiting-slot']);
    expect(c.governor.status()).toMatchObject({ active: ['node-0'], queued: ['node-1', 'node-2'] });

    await replace(rigs[0]!, 0);
    expect(rigs[0]!.state()).toBe('running.up');
    expect(rigs.map((r) => r.state())).toEqual(['running.up', 're-attaching.fencing', 'failed.awaiting-slot']);
    await replace(rigs[1]!, 1);
    await replace(rigs[2]!, 2);
    expect(rigs.map((r) => r.state())).toEqual(['running.up', 'running.up', 'running.up']);
    expect(c.governor.status()).toMatchObject({ active: [], queued: [] });
  });

  it('a storage outage (half the Portworx nodes offline at once) pauses every automatic replacement, and says so', async () => {
    const c = cluster({ share: 0.33 });
    const rigs = [await c.add(0), await c.add(1), await c.add(2)];
    for (const [i, r] of rigs.entries()) await c.hostDies(r, i);
    c.governor.observeStorage(c.nodes([0, 1, 2]));
    await c.confirmAll(rigs);
    expect(rigs.map((r) => r.state())).toEqual(['failed.awaiting-slot', 'failed.awaiting-slot', 'failed.awaiting-slot']);
    expect(c.events.find((e) => e.kind === 'paused')?.reason).toContain('automatic replacement paused');
    // The operator can still replace by hand.
    rigs[2]!.actor.send({ type: 'REPLACE' });
    expect(rigs[2]!.state()).toBe('re-attaching.fencing');
    // Storage comes back: replacements resume, one at a time; a host that came back heals its pod.
    rigs[1]!.actor.send({ type: 'TASK_UPDATE', taskId: 't1', state: 'TASK_RUNNING' });
    c.governor.observeStorage(c.nodes([0]));
    await flush();
    expect(rigs[1]!.state()).toBe('running.up');
    expect(c.events.some((e) => e.kind === 'resumed')).toBe(true);
  });
});
