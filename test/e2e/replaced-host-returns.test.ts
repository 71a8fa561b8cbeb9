import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import type { SimTaskSummary } from '../../src/sim/mesos';
import { expectConformantRecordings } from '../conformance/recordings';
import { eventually, frameworkYaml, podTags, startSandbox, waitForPodTag } from './helpers';
import { MESOS_UNREACHABLE_MS, probationMs, sleep, SPEED } from './helpers-faults';
import { eventuallyPod, liveTasks, podTasks, SafetyWatch } from './helpers-recovery';
import { POD_TAGS } from '../../machines/pod-instance.logic';

/**
 * Chaos defect "zone-only host excluded" (test/chaos/repro/zone-only-host-excluded.json). Five
 * agents in three racks: zone-3 has a single host. The shipped Cassandra spec spreads its three
 * nodes with `@zone:GROUP_BY`, so one node can only ever run on that host. A partition longer
 * than the probation replaces that pod: fenced, and its old host excluded. Before the fix the
 * exclusion outlived the heal and the pod waited in `volume-provisioned` for good; now a host that
 * is back (offering again, Portworx node online) is a legitimate target again.
 */
describe('a pod replaced off the only host of its zone runs there again once the host heals', () => {
  let sb: Sandbox;
  let record: string;
  let name: string;
  let victim: SimTaskSummary;
  let pod: string;
  let back: SimTaskSummary;
  let violations: string[];
  let excludedWhileDown: string[];

  beforeAll(async () => {
    const spec = frameworkYaml('cassandra');
    name = spec.name;
    const started = await startSandbox(spec.yaml, { agents: 5, racks: 3, speed: SPEED });
    sb = started.sandbox;
    record = started.record!;
    await sb.scheduler.waitDeployed(60_000);
    const rt = sb.scheduler.runtime;
    const onLonelyHost = rt.registry.all().find((e) => rt.registry.context(e).task?.hostname === 'agent-3');
    if (!onLonelyHost) throw new Error(`no pod on agent-3: ${rt.registry.all().map((e) => `${e.name}@${rt.registry.context(e).task?.hostname}`).join(', ')}`);
    pod = onLonelyHost.name;
    victim = podTasks(sb, name, pod).find((t) => t.state === 'TASK_RUNNING')!;

    // The old task keeps running behind the partition: only the volume's attachments are watched.
    const watch = new SafetyWatch(sb, name, pod, `${name}-${pod}-data`, { liveTasks: false });
    sb.mesos.partitionAgent('agent-3');
    // Past the probation: the pod is fenced, and waits for a host with agent-3 excluded.
    await eventuallyPod(sb, pod, `${pod} fenced and waiting for an offer`, () => {
      const e = rt.registry.get(pod)!;
      return e.actor.getSnapshot().hasTag(POD_TAGS.awaitingOffer) && rt.registry.context(e).excludeHosts.includes('agent-3');
    }, MESOS_UNREACHABLE_MS);
    excludedWhileDown = [...rt.registry.context(rt.registry.get(pod)!).excludeHosts];
    // No other host of zone-3: it stays unplaced while agent-3 is away.
    await sleep(probationMs(sb));
    expect(podTags(rt, pod)).toContain(POD_TAGS.awaitingOffer);

    sb.mesos.healAgent('agent-3');
    back = await eventuallyPod(
      sb,
      pod,
      `${pod} running again on agent-3 after the heal`,
      () => podTasks(sb, name, pod).find((t) => t.taskId !== victim.taskId && t.state === 'TASK_RUNNING' && t.hostname === 'agent-3'),
      // Heal, Portworx back online, a new offer round, a launch: a few simulated seconds.
      Math.max(10_000, probationMs(sb) * 5),
    );
    await waitForPodTag(rt, pod, POD_TAGS.ready, 10_000);
    violations = watch.stop();
  }, 120_000);

  afterAll(async () => {
    await sb?.stop();
  });

  it('kept the fenced host out while it was away', () => {
    expect(excludedWhileDown).toEqual(['agent-3']);
  });

  it('runs a new task on agent-3 once it is back', () => {
    expect(back.hostname).toBe('agent-3');
    expect(back.taskId).not.toBe(victim.taskId);
  });

  it('never has two live tasks of the pod, nor the volume attached twice', async () => {
    expect(violations).toEqual([]);
    // The old task came back with the heal: it is killed as a stray.
    await eventually('only one live task of the pod', () => liveTasks(podTasks(sb, name, pod), sb).length === 1, 10_000);
    expect(liveTasks(podTasks(sb, name, pod), sb).map((t) => t.taskId)).toEqual([back.taskId]);
  });

  it('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});
