import { afterEach, describe, expect, it } from 'vitest';
import type { IsolatedTask, MesosSimulator, VolumeIsolator } from '../../src/sim/mesos';
import { TestScheduler, launchGroup, pxdVolume, startSim, taskInfo, type Json } from './helpers';

class RecordingIsolator implements VolumeIsolator {
  readonly calls: string[] = [];
  constructor(private readonly refuse: Set<string> = new Set()) {}
  async prepare(task: IsolatedTask): Promise<void> {
    this.calls.push(`prepare ${task.taskId} ${task.hostname} ${task.volumes.map((v) => `${v.driver}:${v.name}:${v.options.size}`).join(',')}`);
    const refused = task.volumes.find((v) => this.refuse.has(v.name));
    if (refused) throw new Error(`volume ${refused.name} is attached to another node`);
  }
  async release(task: IsolatedTask): Promise<void> {
    this.calls.push(`release ${task.taskId}`);
  }
}

function mesosContainer(volumes: Json[]): Json {
  return { type: 'MESOS', volumes };
}

describe('Mesos simulator: docker/volume isolator hook', () => {
  let sim: MesosSimulator | undefined;
  let s: TestScheduler | undefined;
  afterEach(async () => {
    s?.close();
    await sim?.stop();
  });

  it('prepares pxd volumes before TASK_RUNNING and releases them when the task ends', async () => {
    const iso = new RecordingIsolator();
    sim = await startSim({ agents: 1, isolator: iso });
    s = await TestScheduler.subscribe(sim.url);
    s.autoAck();
    const [offer] = await s.offers();
    const agentId = offer!.agent_id.value;
    const container = mesosContainer([pxdVolume('pv-1', 'data'), { container_path: 'tmp', mode: 'RW', host_path: '/tmp' }]);
    await s.call(launchGroup(offer!, [taskInfo('db-0', agentId, { container })]));
    await s.waitForUpdate('db-0', 'TASK_RUNNING');
    expect(iso.calls).toEqual(['prepare db-0 agent-1 pxd:pv-1:10']);
    expect(sim.volumeMounts()).toEqual([
      {
        driver: 'pxd',
        name: 'pv-1',
        options: { size: '10' },
        containerPath: 'data',
        mode: 'RW',
        taskId: 'db-0',
        frameworkId: s.frameworkId,
        agentId,
        hostname: 'agent-1',
        active: true,
      },
    ]);
    await s.call({ type: 'KILL', kill: { task_id: { value: 'db-0' } } });
    await s.waitForUpdate('db-0', 'TASK_KILLED');
    await expect.poll(() => iso.calls).toEqual(['prepare db-0 agent-1 pxd:pv-1:10', 'release db-0']);
    expect(sim.volumeMounts()[0]!.active).toBe(false);
  });

  it('fails the task with TASK_FAILED / REASON_CONTAINER_LAUNCH_FAILED when prepare throws', async () => {
    sim = await startSim({ agents: 1, isolator: new RecordingIsolator(new Set(['fenced'])) });
    s = await TestScheduler.subscribe(sim.url);
    s.autoAck();
    const [offer] = await s.offers();
    await s.call(launchGroup(offer!, [taskInfo('db-1', offer!.agent_id.value, { container: mesosContainer([pxdVolume('fenced')]) })]));
    const failed = await s.waitForUpdate('db-1', 'TASK_FAILED');
    expect(failed).toMatchObject({
      source: 'SOURCE_EXECUTOR',
      reason: 'REASON_CONTAINER_LAUNCH_FAILED',
      message: 'Failed to launch container: volume fenced is attached to another node',
    });
    expect(failed.uuid).toBeDefined();
    expect(s.updates('db-1').some((u) => u.state === 'TASK_RUNNING')).toBe(false);
  });

  it('records docker volumes of other drivers without calling the isolator', async () => {
    const iso = new RecordingIsolator();
    sim = await startSim({ agents: 1, isolator: iso });
    s = await TestScheduler.subscribe(sim.url);
    s.autoAck();
    const [offer] = await s.offers();
    const other = { container_path: 'x', mode: 'RO', source: { type: 'DOCKER_VOLUME', docker_volume: { driver: 'local', name: 'cache' } } };
    await s.call(launchGroup(offer!, [taskInfo('c', offer!.agent_id.value, { container: mesosContainer([other]) })]));
    await s.waitForUpdate('c', 'TASK_RUNNING');
    expect(iso.calls).toEqual([]);
    expect(sim.volumeMounts()).toMatchObject([{ driver: 'local', name: 'cache', mode: 'RO', active: true }]);
  });

  it('releases the volumes of tasks whose agent was killed', async () => {
    const iso = new RecordingIsolator();
    sim = await startSim({ agents: 1, isolator: iso });
    s = await TestScheduler.subscribe(sim.url);
    s.autoAck();
    const [offer] = await s.offers();
    await s.call(launchGroup(offer!, [taskInfo('db-2', offer!.agent_id.value, { container: mesosContainer([pxdVolume('pv-2')]) })]));
    await s.waitForUpdate('db-2', 'TASK_RUNNING');
    sim.killAgent('agent-1');
    await expect.poll(() => iso.calls.at(-1)).toBe('release db-2');
  });
});
