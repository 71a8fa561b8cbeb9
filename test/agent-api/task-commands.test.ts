import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MesosAgentCommandRunner,
  SnapshotCommandFailedError,
  SnapshotCommandTimeoutError,
  type TaskTarget,
} from '../../src/controller/task-commands';
import {
  MesosAgentClient,
  MesosAgentConnectionError,
  MesosAgentNotFoundError,
  MesosBadRequestError,
  type TaskStatus,
} from '../../src/mesos';
import { expectConformantRecordings } from '../conformance/recordings';
import { mesosLines } from '../integration/helpers/mesos-event-log';
import { checkAgentCall } from './agent-proto';
import { AgentApiCluster } from './cluster';

type Call = { type: string } & Record<string, any>;

describe('Snapshot commands run inside tasks through the Mesos agent API (simulated cluster)', () => {
  let cluster: AgentApiCluster;
  let running: TaskStatus[];
  let target: TaskTarget;
  let runner: MesosAgentCommandRunner;

  beforeAll(async () => {
    cluster = await AgentApiCluster.start();
    running = await cluster.launchGroup(['db-0', 'db-0-sidecar']);
    target = cluster.target(running[0]!);
    runner = new MesosAgentCommandRunner({ agentUrl: cluster.agentUrl });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const callsFor = (containerValue: string): Call[] =>
    cluster.sim
      .agentCalls()
      .map((c) => c.call as Call)
      .filter((c) => JSON.stringify(c).includes(containerValue));

  const commandRecord = (command: string) => cluster.sim.commands().filter((c) => c.command === command).at(-1);

  it('reports each task-group task in its RUNNING update as a container nested under the executor container', () => {
    const [a, b] = running.map((s) => s.container_status?.container_id);
    expect(a?.parent?.value).toEqual(expect.any(String));
    expect(b?.parent).toEqual(a?.parent);
    expect(a?.value).not.toBe(b?.value);
    expect(a?.parent?.parent).toBeUndefined();
    // Every update the executor sent names the same container, not only RUNNING.
    const fromExecutor = cluster.log.updates('db-0').filter((u) => u.source === 'SOURCE_EXECUTOR');
    expect(fromExecutor.length).toBeGreaterThanOrEqual(2);
    for (const u of fromExecutor) expect(u.container_status?.container_id).toEqual(a);
  });

  it('repeats the task container in the master’s reconciliation answer', async () => {
    const mark = cluster.log.mark();
    await cluster.client.reconcile([{ taskId: 'db-0', agentId: target.agentId }]);
    const status = await cluster.log.waitForUpdate('db-0', 'TASK_RUNNING', { from: mark, reason: 'REASON_RECONCILIATION' });
    expect(status.source).toBe('SOURCE_MASTER');
    expect(status.container_status?.container_id).toEqual(target.containerId);
  });

  it('runs `nodetool flush` in the task: the agent records it under the task container and it exits 0', async () => {
    await expect(runner.run(target, 'nodetool flush', 5000)).resolves.toEqual({ exitCode: 0 });
    const rec = commandRecord('nodetool flush');
    expect(rec).toMatchObject({
      agentId: target.agentId,
      hostname: target.hostname,
      taskId: 'db-0',
      parent: target.containerId,
      state: 'exited',
      exitStatus: 0,
    });
    expect(rec!.containerId.parent).toEqual(target.containerId);
    expect(callsFor(rec!.containerId.value).map((c) => c.type)).toEqual(['LAUNCH_NESTED_CONTAINER', 'WAIT_NESTED_CONTAINER']);
    const launch = callsFor(rec!.containerId.value)[0]!;
    expect(launch.launch_nested_container.command).toEqual({ value: 'nodetool flush', shell: true });
  });

  it('runs a command in the second task of the group under that task’s own container', async () => {
    const sidecar = cluster.target(running[1]!);
    await expect(runner.run(sidecar, 'sync', 5000)).resolves.toEqual({ exitCode: 0 });
    expect(commandRecord('sync')).toMatchObject({ taskId: 'db-0-sidecar', parent: sidecar.containerId, exitStatus: 0 });
  });

  it('throws SnapshotCommandFailedError naming the task, the command and the exit code when the command fails', async () => {
    cluster.sim.setCommandBehaviour('nodetool flush', { exitCode: 2 });
    try {
      const err = await runner.run(target, 'nodetool flush -- ks1', 5000).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SnapshotCommandFailedError);
      expect(err).toMatchObject({ code: 'SNAPSHOT_COMMAND_NONZERO_EXIT', retryable: false, taskId: 'db-0', command: 'nodetool flush -- ks1', exitCode: 2 });
      expect((err as Error).message).toBe("command 'nodetool flush -- ks1' in task db-0 exited with code 2");
      // The agent reports a wait status: exit code 2 is 2 × 256.
      expect(commandRecord('nodetool flush -- ks1')).toMatchObject({ state: 'exited', exitStatus: 512 });
    } finally {
      cluster.sim.setCommandBehaviour('nodetool flush', {});
    }
  });

  it('kills a command that outlives its time limit and throws SnapshotCommandTimeoutError', async () => {
    cluster.sim.setCommandBehaviour('fsfreeze', { hang: true });
    try {
      const started = Date.now();
      const err = await runner.run(target, 'fsfreeze --freeze /data', 300).catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect(err).toBeInstanceOf(SnapshotCommandTimeoutError);
      expect(err).toMatchObject({ code: 'SNAPSHOT_COMMAND_TIMEOUT', retryable: false, taskId: 'db-0', timeoutMs: 300, killError: undefined });
      expect((err as Error).message).toContain("command 'fsfreeze --freeze /data' in task db-0 did not finish within 300 ms");
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(5000);
      const rec = commandRecord('fsfreeze --freeze /data')!;
      expect(rec).toMatchObject({ state: 'killed', exitStatus: 9 });
      const kills = callsFor(rec.containerId.value).filter((c) => c.type === 'KILL_NESTED_CONTAINER');
      expect(kills).toEqual([{ type: 'KILL_NESTED_CONTAINER', kill_nested_container: { container_id: rec.containerId } }]);
    } finally {
      cluster.sim.setCommandBehaviour('fsfreeze', {});
    }
  });

  it('answers LAUNCH_NESTED_CONTAINER under a container that is no running task’s with 400 and the containerizer’s words', async () => {
    const client = new MesosAgentClient({ url: cluster.agentUrl(target) });
    const parent = { value: 'not-a-task-container', parent: target.containerId.parent! };
    const err = await client.launchNestedContainer(randomUUID(), parent, 'true').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MesosBadRequestError);
    expect((err as MesosBadRequestError).body).toBe(`Parent container ${target.containerId.parent!.value}.not-a-task-container does not exist`);
    // The right container, asked of the wrong agent, does not exist there either.
    const other = cluster.sim.agents().find((a) => a.id !== target.agentId)!;
    const elsewhere = new MesosAgentClient({ url: cluster.agentUrl({ agentId: other.id, hostname: other.hostname }) });
    await expect(elsewhere.launchNestedContainer(randomUUID(), target.containerId, 'true')).rejects.toBeInstanceOf(MesosBadRequestError);
    // On the wire: a plain 400 with a text body, as libprocess sends it.
    const res = await fetch(`${cluster.agentUrl(target)}/api/v1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({
        type: 'LAUNCH_NESTED_CONTAINER',
        launch_nested_container: { container_id: { value: randomUUID(), parent: { value: 'nope' } }, command: { shell: true, value: 'true' } },
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('Parent container nope does not exist');
  });

  it('answers 404 to WAIT and KILL of a container the agent does not know, and GET_HEALTH with healthy', async () => {
    const client = new MesosAgentClient({ url: cluster.agentUrl(target) });
    const unknown = { value: randomUUID(), parent: target.containerId };
    await expect(client.waitNestedContainer(unknown)).rejects.toBeInstanceOf(MesosAgentNotFoundError);
    await expect(client.killNestedContainer(unknown)).rejects.toBeInstanceOf(MesosAgentNotFoundError);
    await expect(client.getHealth()).resolves.toBe(true);
  });

  it('takes fault injection over HTTP and lists the recorded commands there', async () => {
    const post = (body: unknown) =>
      fetch(`${cluster.sim.url}/sim/v1/commands/behaviour`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const set = await post({ match: 'repair', exitCode: 3 });
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({ behaviours: [{ match: 'repair', behaviour: { exitCode: 3 } }] });
    await expect(runner.run(target, 'nodetool repair', 5000)).rejects.toMatchObject({ exitCode: 3 });
    expect((await post({ match: 'repair' })).status).toBe(200);
    await expect(runner.run(target, 'nodetool repair', 5000)).resolves.toEqual({ exitCode: 0 });

    const bad = await post({ match: '', exitCode: 300 });
    expect(bad.status).toBe(400);
    const message = ((await bad.json()) as { error: { message: string } }).error.message;
    expect(message).toContain('match:');
    expect(message).toContain('exitCode:');

    const listed = (await (await fetch(`${cluster.sim.url}/sim/v1/commands`)).json()) as { commands: { command: string; taskId: string }[] };
    expect(listed.commands.filter((c) => c.command === 'nodetool repair').map((c) => c.taskId)).toEqual(['db-0', 'db-0']);
  });

  it('ends a running command with SIGKILL when its task is killed, which the runner reports as a failure', async () => {
    const [status] = await cluster.launchGroup(['db-1']);
    const db1 = cluster.target(status!);
    cluster.sim.setCommandBehaviour('compact', { hang: true });
    try {
      const pending = runner.run(db1, 'nodetool compact', 10_000).catch((e: unknown) => e);
      await expect.poll(() => commandRecord('nodetool compact')?.state).toBe('running');
      await cluster.client.kill('db-1', db1.agentId);
      const err = await pending;
      expect(err).toBeInstanceOf(SnapshotCommandFailedError);
      expect(err).toMatchObject({ taskId: 'db-1', signal: 9, exitCode: 137 });
      expect(commandRecord('nodetool compact')).toMatchObject({ state: 'killed', exitStatus: 9 });
      await cluster.log.waitForUpdate('db-1', 'TASK_KILLED');
      // A task that is no longer running cannot host a command.
      await expect(runner.run(db1, 'true', 5000)).rejects.toBeInstanceOf(MesosBadRequestError);
    } finally {
      cluster.sim.setCommandBehaviour('compact', {});
    }
  });

  it('cannot reach a partitioned agent: the runner fails with a retryable connection error', async () => {
    cluster.sim.partitionAgent(target.agentId);
    try {
      const err = await runner.run(target, 'nodetool flush', 5000).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MesosAgentConnectionError);
      expect(err).toMatchObject({ code: 'MESOS_AGENT_CONNECTION', retryable: true });
    } finally {
      cluster.sim.healAgent(target.agentId);
    }
    await expect(runner.run(target, 'nodetool flush', 5000)).resolves.toEqual({ exitCode: 0 });
  });

  it('recorded only scheduler events and operator messages that conform to the Mesos protos', () => {
    const summary = expectConformantRecordings(cluster.recordDir, { require: ['mesos'] });
    expect(summary.mesosLines).toBeGreaterThan(10);
    const withContainer = mesosLines(cluster.recordDir).filter(
      (l) => l.api === 'scheduler' && l.dir === 'event' && (l.body as Call).update?.status?.container_status !== undefined,
    );
    expect(withContainer.length).toBeGreaterThan(0);
  });

  it('sent only agent Calls that conform to mesos.v1.agent.Call', () => {
    const calls = cluster.sim.agentCalls().map((c) => c.call);
    const types = new Set(calls.map((c) => (c as Call).type));
    expect([...types].sort()).toEqual(['GET_HEALTH', 'KILL_NESTED_CONTAINER', 'LAUNCH_NESTED_CONTAINER', 'WAIT_NESTED_CONTAINER']);
    const violations = calls.flatMap((c, i) => checkAgentCall(c).map((v) => `call ${i}: ${v}`));
    expect(violations).toEqual([]);
  });
});
