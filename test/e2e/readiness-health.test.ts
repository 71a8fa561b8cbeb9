import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POD_TAGS } from '../../machines/pod-instance.logic';
import type { Sandbox } from '../../src/sandbox/sandbox';
import { simControl } from '../../src/sim/mesos';
import { eventually, frameworkYaml, podTags, startSandbox, waitForPodTag } from './helpers';

/**
 * The shipped Cassandra spec (serial deploy, a readiness check: `nodetool status` shows the node
 * UN) against the simulators: a node's readiness gates the next node; an unhealthy node is
 * killed by its executor and relaunched in place, on its volume.
 */
describe('a serial Cassandra deploy waits for each node to be ready; an unhealthy node is relaunched in place', () => {
  let sb: Sandbox;
  let name: string;
  const rt = () => sb.scheduler.runtime;
  const taskOf = (pod: string) => sb.mesos.tasks().find((t) => t.name === pod && t.taskId.startsWith(`${name}__`) && t.state === 'TASK_RUNNING');
  const anyTaskOf = (pod: string) => sb.mesos.tasks().find((t) => t.name === pod && t.taskId.startsWith(`${name}__`));
  const control = (taskId: string, action: string) => simControl(sb.mesos.url, `sim/v1/tasks/${encodeURIComponent(taskId)}/${action}`);

  beforeAll(async () => {
    const spec = frameworkYaml('cassandra');
    name = spec.name;
    ({ sandbox: sb } = await startSandbox(spec.yaml, { record: false }));
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it("does not launch node-1 while node-0's readiness check fails; proceeds once it passes", async () => {
    // The readiness check first runs 15 s (1.5 s at speed 10) after TASK_RUNNING: fail it before.
    const first = await eventually('node-0 has a task', () => anyTaskOf('node-0'), 30_000);
    await control(first.taskId, 'unready');
    await eventually('node-0 runs', () => taskOf('node-0'), 30_000);
    // The first check status can arrive before the pod has taken in TASK_RUNNING: wait for both.
    await eventually(
      'node-0 runs and reported its failed readiness check',
      () => rt().registry.get('node-0')?.actor.getSnapshot().context.checkPassed === false && podTags(rt(), 'node-0').includes(POD_TAGS.running),
      30_000,
    );
    expect(podTags(rt(), 'node-0')).not.toContain(POD_TAGS.ready);
    // Three check intervals (10 s each): the deploy plan stays on node-0's step, node-1 has no task.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(anyTaskOf('node-1')).toBeUndefined();
    expect(rt().registry.get('node-0')?.state).toBe('running.unready');

    await control(first.taskId, 'ready');
    await waitForPodTag(rt(), 'node-0', POD_TAGS.ready, 30_000);
    await eventually('node-1 has a task', () => anyTaskOf('node-1'), 30_000);
    await sb.scheduler.waitDeployed(60_000);
    for (const pod of ['node-0', 'node-1', 'node-2']) expect(podTags(rt(), pod)).toContain(POD_TAGS.ready);
  });

  it('kills a node whose health check fails 3 times (TASK_KILLED healthy=false) and relaunches it on the same host and volume', async () => {
    const before = taskOf('node-2')!;
    // Past the grace period only once the health check passed once (health_checker.cpp).
    await eventually('node-2 passed its first health check', () => sb.mesos.tasks().find((t) => t.taskId === before.taskId)?.checks?.healthy === true, 30_000);
    await control(before.taskId, 'unhealthy');
    const after = await eventually(
      'node-2 runs a new task',
      () => {
        const t = taskOf('node-2');
        return t && t.taskId !== before.taskId ? t : undefined;
      },
      60_000,
    );
    expect(after.hostname).toBe(before.hostname);
    expect(after.volumes.map((v) => v.name)).toEqual(before.volumes.map((v) => v.name));
    const failure = rt().registry.get('node-2')?.actor.getSnapshot().context.lastTask;
    expect(failure?.taskId).toBe(before.taskId);
    await waitForPodTag(rt(), 'node-2', POD_TAGS.ready, 30_000);
  });
});
