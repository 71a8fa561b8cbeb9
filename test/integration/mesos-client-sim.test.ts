import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { launchGroupOperation, MesosOperatorClient, MesosSchedulerClient, type Offer, type TaskStatus } from '../../src/mesos';
import { PortworxClient } from '../../src/portworx';
import { Recorder } from '../../src/record/recorder';
import { PortworxVolumeIsolator } from '../../src/sim/isolator/portworx-isolator';
import { MesosSimulator } from '../../src/sim/mesos';
import { PortworxSimulator } from '../../src/sim/portworx';
import { stringifyJson } from '../../src/util/lossless-json';
import { checkMixedRecordingFile, expectConformantRecordings } from '../conformance/recordings';
import { freePort } from '../helpers/nats-server';
import { mesosLines, recordedCalls, SchedulerEventLog, TempDirs } from './helpers/mesos-event-log';
import { startSimMesosCli } from './helpers/mesos-sim-cli';

/*
 * The Mesos client against the Mesos master simulator, end to end over HTTP. The client and the
 * simulator record into separate dirs (each side of the wire once), and both recordings must pass
 * the strict proto check at the end.
 */

/** 20× faster than real time: heartbeats 0.75 s, offer rounds 50 ms, status retries from 0.5 s. */
const SPEED = 20;
const ROLE = 'pxfw';

const cleanups: (() => Promise<void> | void)[] = [];
const dirs = new TempDirs();
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
  dirs.cleanup();
});

function startClient(url: string, recordDir: string): { client: MesosSchedulerClient; log: SchedulerEventLog } {
  const client = new MesosSchedulerClient({
    master: url,
    framework: { name: 'pxfw-integration', roles: [ROLE], principal: 'pxfw', failoverTimeoutSeconds: 3600 },
    backoff: { initialMs: 20, maxMs: 100 },
    recorder: Recorder.toDir(recordDir),
  });
  const log = new SchedulerEventLog(client, { autoAck: true });
  cleanups.push(async () => {
    log.close();
    await client.stop();
  });
  client.start();
  return { client, log };
}

/** A one-task group under the DEFAULT executor, mounting pxd volume `volume` at `data`. */
function launchOne(offer: Offer, frameworkId: string, taskId: string, volume: string) {
  return launchGroupOperation({
    offer,
    frameworkId,
    role: ROLE,
    executorId: `exec-${taskId}`,
    tasks: [
      {
        taskId,
        name: taskId,
        cpus: 0.5,
        mem: 256,
        command: 'sleep 3600',
        volumes: [{ containerPath: 'data', name: volume, driverOptions: { size: '1', repl: '2' } }],
      },
    ],
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every recorded JSON text of one kind, as a sorted multiset (for comparing two recordings). */
function recordedTexts(dir: string, api: string, kind: string): string[] {
  return mesosLines(dir)
    .filter((l) => l.api === api && l.dir === kind)
    .map((l) => stringifyJson(l.body))
    .sort();
}

function isSubMultiset(small: string[], big: string[]): boolean {
  const counts = new Map<string, number>();
  for (const s of big) counts.set(s, (counts.get(s) ?? 0) + 1);
  return small.every((s) => {
    const n = counts.get(s) ?? 0;
    counts.set(s, n - 1);
    return n > 0;
  });
}

describe('Mesos client against the Mesos simulator', () => {
  it('launches a task group with a pxd volume, rides out a master failover and an agent partition, and records conformant traffic on both sides', async () => {
    const clientDir = dirs.make('client');
    const simDir = dirs.make('sim');
    const sim = await MesosSimulator.start({ agents: 2, racks: 2, speed: SPEED, recorder: Recorder.toDir(simDir) });
    cleanups.push(() => sim.stop());
    const { client, log } = startClient(sim.url, clientDir);

    // Subscribe, take an offer, launch a task group mounting a Portworx volume.
    const subscribed = await log.waitFor((e) => e.type === 'SUBSCRIBED');
    const frameworkId = client.frameworkId!;
    expect(subscribed.type === 'SUBSCRIBED' && subscribed.subscribed.framework_id.value).toBe(frameworkId);
    const offer = await log.takeOffer();
    const agentId = offer.agent_id.value;
    await client.accept([offer.id.value], [launchOne(offer, frameworkId, 'db-0', 'pv-db-0')], { refuse_seconds: 1 });

    const running = await log.waitForUpdate('db-0', 'TASK_RUNNING');
    expect(running.uuid).toEqual(expect.any(String));
    expect(running.agent_id?.value).toBe(agentId);
    expect(sim.volumeMounts()).toMatchObject([
      { driver: 'pxd', name: 'pv-db-0', options: { size: '1', repl: '2' }, containerPath: 'data', taskId: 'db-0', agentId, active: true },
    ]);

    // The acknowledgement reaches the agent: nothing is pending and RUNNING is not re-sent.
    await expect.poll(() => sim.tasks().find((t) => t.taskId === 'db-0')?.pendingUpdates).toBe(0);
    const acks = recordedCalls(clientDir, 'ACKNOWLEDGE');
    expect(acks.map((a) => (a.acknowledge as { uuid: string }).uuid)).toContain(running.uuid);
    await sleep(1200); // more than two status-retry intervals of the simulated agent
    expect(log.updates('db-0').filter((u) => u.state === 'TASK_RUNNING')).toHaveLength(1);

    await failoverAndReconcile(sim, client, log, clientDir, { frameworkId, agentId, masterId: masterIdOf(subscribed) });
    await partitionAndHeal(sim, client, log, { agentId });

    // Kill: the terminal update is acknowledged, the master forgets the task, the mount ends.
    const killMark = log.mark();
    await client.kill('db-0', agentId);
    const killed = await log.waitForUpdate('db-0', 'TASK_KILLED', { from: killMark });
    expect(killed.uuid).toEqual(expect.any(String));
    await expect.poll(() => sim.tasks().map((t) => t.taskId)).toEqual([]);
    expect(sim.volumeMounts()[0]?.active).toBe(false);

    await suppressAndRevive(client, log);

    await client.teardown();
    expect(sim.frameworks()).toEqual([]);
    expect(log.callErrors).toEqual([]);

    // Both sides saw the same calls; the client received nothing the simulator did not send.
    expect(recordedTexts(clientDir, 'scheduler', 'call')).toEqual(recordedTexts(simDir, 'scheduler', 'call'));
    expect(isSubMultiset(recordedTexts(clientDir, 'scheduler', 'event'), recordedTexts(simDir, 'scheduler', 'event'))).toBe(true);
    expect(expectConformantRecordings(clientDir, { require: ['mesos'] }).mesosLines).toBeGreaterThan(30);
    expect(expectConformantRecordings(simDir, { require: ['mesos'] }).mesosLines).toBeGreaterThan(30);
  });

  it('lives through a host crash, its reboot and an agent restart that loses its executor, with conformant traffic on both sides', async () => {
    const clientDir = dirs.make('client');
    const simDir = dirs.make('sim');
    // Unreachable 1 s × 4 pings after a crash, agents back 1 s after a restart (÷ 20: 200 ms, 50 ms).
    const sim = await MesosSimulator.start({
      agents: 2,
      racks: 2,
      speed: SPEED,
      agentPingTimeoutSeconds: 1,
      maxAgentPingTimeouts: 4,
      agentRestartSeconds: 1,
      recorder: Recorder.toDir(simDir),
    });
    cleanups.push(() => sim.stop());
    const { client, log } = startClient(sim.url, clientDir);
    await log.waitFor((e) => e.type === 'SUBSCRIBED');
    const frameworkId = client.frameworkId!;
    const a = await log.takeOffer((o) => o.hostname === 'agent-1');
    await client.accept([a.id.value], [launchOne(a, frameworkId, 'db-0', 'pv-db-0')], { refuse_seconds: 0 });
    const b = await log.takeOffer((o) => o.hostname === 'agent-2');
    await client.accept([b.id.value], [launchOne(b, frameworkId, 'db-1', 'pv-db-1')], { refuse_seconds: 0 });
    await log.waitForUpdate('db-0', 'TASK_RUNNING');
    await log.waitForUpdate('db-1', 'TASK_RUNNING');
    await expect.poll(() => sim.tasks().every((t) => t.pendingUpdates === 0)).toBe(true);

    // Host crash: a KILL goes nowhere; after the ping timeouts, TASK_UNREACHABLE and a FAILURE.
    const crash = log.mark();
    sim.crashAgent('agent-1');
    await client.kill('db-0', a.agent_id.value);
    const unreachable = await log.waitForUpdate('db-0', 'TASK_UNREACHABLE', { from: crash });
    expect(unreachable).toMatchObject({ reason: 'REASON_AGENT_REMOVED', message: 'health check timed out' });
    expect(log.updates('db-0', crash).map((u) => u.state)).toEqual(['TASK_UNREACHABLE']);
    await log.waitFor((e) => e.type === 'FAILURE', { from: crash });
    // Killing it again only earns another TASK_UNREACHABLE (the master does not hold the task).
    const again = log.mark();
    await client.kill('db-0', a.agent_id.value);
    expect(await log.waitForUpdate('db-0', 'TASK_UNREACHABLE', { from: again })).toMatchObject({ reason: 'REASON_RECONCILIATION' });

    // The host reboots: a new agent at agent-1; the unreachable task stays unreachable.
    sim.healAgent('agent-1');
    await expect.poll(() => sim.agents().filter((x) => x.hostname === 'agent-1' && x.state === 'registered').length).toBe(1);
    const fresh = sim.agents().find((x) => x.hostname === 'agent-1' && x.state === 'registered')!;
    expect(fresh.id).not.toBe(a.agent_id.value);

    // Agent restart whose executor does not re-register: TASK_GONE from the agent, acknowledged.
    const restart = log.mark();
    sim.restartAgent('agent-2', { loseExecutors: true });
    const gone = await log.waitForUpdate('db-1', 'TASK_GONE', { from: restart });
    expect(gone).toMatchObject({ source: 'SOURCE_AGENT', reason: 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT' });
    await expect.poll(() => recordedCalls(clientDir, 'ACKNOWLEDGE').some((c) => (c.acknowledge as { uuid: string }).uuid === gone.uuid)).toBe(true);

    // A reboot of a live host: the relaunched task comes back TASK_LOST, as Mesos sends it.
    const c = await log.takeOffer((o) => o.hostname === 'agent-2');
    await client.accept([c.id.value], [launchOne(c, frameworkId, 'db-1b', 'pv-db-1')], { refuse_seconds: 0 });
    await log.waitForUpdate('db-1b', 'TASK_RUNNING');
    const reboot = log.mark();
    sim.restartAgent('agent-2', { newId: true });
    expect(await log.waitForUpdate('db-1b', 'TASK_LOST', { from: reboot })).toMatchObject({ reason: 'REASON_AGENT_REMOVED', source: 'SOURCE_MASTER' });

    await client.teardown();
    expect(log.callErrors).toEqual([]);
    expect(expectConformantRecordings(clientDir, { require: ['mesos'] }).mesosLines).toBeGreaterThan(20);
    expect(expectConformantRecordings(simDir, { require: ['mesos'] }).mesosLines).toBeGreaterThan(20);
  });

  it('plays the docker/volume isolator through Portworx: attach on launch, refuse a second writer, detach on kill', async () => {
    const clientDir = dirs.make('client');
    const mesosDir = dirs.make('mesos-sim');
    const pxDir = dirs.make('px-sim');
    // The isolator needs the Portworx URL before the Portworx simulator (which mirrors the
    // Mesos agents) can start, so its port is chosen up front.
    const pxUrl = `http://127.0.0.1:${await freePort()}`;
    const isolator = new PortworxVolumeIsolator(new PortworxClient({ url: pxUrl, recorder: Recorder.toDir(mesosDir) }));
    const mesos = await MesosSimulator.start({ agents: 2, racks: 2, speed: SPEED, isolator, recorder: Recorder.toDir(mesosDir) });
    cleanups.push(() => mesos.stop());
    const px = await PortworxSimulator.start({
      port: Number(new URL(pxUrl).port),
      mesosUrl: mesos.url,
      recorder: Recorder.toDir(pxDir),
      mesosReconnectMs: 100,
    });
    cleanups.push(() => px.stop());
    expect(px.nodes().map((n) => n.hostname).sort()).toEqual(mesos.agents().map((a) => a.hostname).sort());

    const portworx = new PortworxClient({ url: pxUrl, recorder: Recorder.toDir(clientDir) });
    const volumeId = await portworx.createVolume({ name: 'pv-cassandra-0', spec: { size: 1024 ** 3, ha_level: 2 } });
    const attachedOn = () => px.volumes().find((v) => v.id === volumeId)?.attachedOn;

    const { client, log } = startClient(mesos.url, clientDir);
    await log.waitFor((e) => e.type === 'SUBSCRIBED');
    const frameworkId = client.frameworkId!;

    // First writer: the volume is attached (and mounted) on its agent's Portworx node.
    const first = await log.takeOffer();
    await client.accept([first.id.value], [launchOne(first, frameworkId, 'cassandra-0', 'pv-cassandra-0')]);
    await log.waitForUpdate('cassandra-0', 'TASK_RUNNING');
    expect(attachedOn()).toEqual([first.hostname]);
    // The operator API shows the task running on that agent with its volume in the container.
    const operator = new MesosOperatorClient({ master: mesos.url, recorder: Recorder.toDir(clientDir) });
    const { tasks } = await operator.getTasks();
    expect(tasks.find((t) => t.task_id.value === 'cassandra-0')).toMatchObject({
      state: 'TASK_RUNNING',
      agent_id: first.agent_id,
      container: { volumes: [{ source: { type: 'DOCKER_VOLUME', docker_volume: { driver: 'pxd', name: 'pv-cassandra-0' } } }] },
    });

    // Second writer on another agent: Portworx refuses the attach, the launch fails as in Mesos.
    const second = await log.takeOffer((o) => o.hostname !== first.hostname);
    await client.accept([second.id.value], [launchOne(second, frameworkId, 'cassandra-1', 'pv-cassandra-0')]);
    const failed = await log.waitForUpdate('cassandra-1', 'TASK_FAILED');
    expect(failed).toMatchObject({ reason: 'REASON_CONTAINER_LAUNCH_FAILED', source: 'SOURCE_EXECUTOR' });
    expect(failed.message).toContain('pv-cassandra-0');
    expect(log.updates('cassandra-1').map((u) => u.state)).not.toContain('TASK_RUNNING');
    expect(attachedOn()).toEqual([first.hostname]);

    // Killing the first writer releases the volume: unmounted and detached.
    await client.kill('cassandra-0', first.agent_id.value);
    await log.waitForUpdate('cassandra-0', 'TASK_KILLED');
    await expect.poll(attachedOn).toEqual([]);

    // Now the other agent may take it over.
    const third = await log.takeOffer((o) => o.hostname === second.hostname);
    await client.accept([third.id.value], [launchOne(third, frameworkId, 'cassandra-1b', 'pv-cassandra-0')]);
    await log.waitForUpdate('cassandra-1b', 'TASK_RUNNING');
    expect(attachedOn()).toEqual([second.hostname]);

    await client.teardown();
    await expect.poll(attachedOn).toEqual([]);
    expect(log.callErrors).toEqual([]);
    expectConformantRecordings(clientDir, { require: ['mesos', 'portworx'] });
    expectConformantRecordings(mesosDir, { require: ['mesos', 'portworx'] });
    expectConformantRecordings(pxDir, { require: ['portworx'] });
  });
});

describe('pxfw sim mesos --portworx URL', () => {
  it('runs the agents\' docker/volume isolator against that Portworx and records both protocols in --record FILE', async () => {
    const clientDir = dirs.make('client');
    const pxDir = dirs.make('px-sim');
    const recordFile = join(dirs.make('cli'), 'sim-mesos.jsonl');
    // `--hosts` form: the simulator names its agents agent-1, agent-2, …
    const px = await PortworxSimulator.start({ hosts: 'agent-1', recorder: Recorder.toDir(pxDir) });
    cleanups.push(() => px.stop());
    const portworx = new PortworxClient({ url: px.url, recorder: Recorder.toDir(clientDir) });
    const volumeId = await portworx.createVolume({ name: 'pv-web-0', spec: { size: 1024 ** 3, ha_level: 1 } });
    const attachedOn = () => px.volumes().find((v) => v.id === volumeId)?.attachedOn;

    const cli = await startSimMesosCli(['--agents', '1', '--racks', '1', '--speed', String(SPEED), '--portworx', px.url, '--record', recordFile]);
    cleanups.push(async () => {
      await cli.stop();
    });
    const { client, log } = startClient(cli.url, clientDir);
    await log.waitFor((e) => e.type === 'SUBSCRIBED');
    const offer = await log.takeOffer();
    await client.accept([offer.id.value], [launchOne(offer, client.frameworkId!, 'web-0', 'pv-web-0')]);
    await log.waitForUpdate('web-0', 'TASK_RUNNING');
    expect(attachedOn()).toEqual(['agent-1']);

    await client.kill('web-0', offer.agent_id.value);
    await log.waitForUpdate('web-0', 'TASK_KILLED');
    await expect.poll(attachedOn).toEqual([]);
    await client.teardown();
    expect(await cli.stop()).toBe(0);

    const mixed = checkMixedRecordingFile(recordFile);
    expect(mixed.violations).toEqual([]);
    expect(mixed.mesosLines).toBeGreaterThan(0);
    expect(mixed.portworxLines).toBeGreaterThanOrEqual(4); // find, attach, mount, unmount, detach
    expectConformantRecordings(clientDir, { require: ['mesos', 'portworx'] });
    expectConformantRecordings(pxDir, { require: ['portworx'] });
  });
});

function masterIdOf(e: Awaited<ReturnType<SchedulerEventLog['waitFor']>>): string | undefined {
  return e.type === 'SUBSCRIBED' ? e.subscribed.master_info?.id : undefined;
}

/** Master failover: re-subscribe with the same framework id, then explicit and implicit reconciliation. */
async function failoverAndReconcile(
  sim: MesosSimulator,
  client: MesosSchedulerClient,
  log: SchedulerEventLog,
  clientDir: string,
  ctx: { frameworkId: string; agentId: string; masterId: string | undefined },
): Promise<void> {
  const mark = log.mark();
  // The agent would re-register at some moment in the next hour: the test lets it in by hand.
  sim.failover({ reregisterWindowSeconds: 3600 });
  await log.waitFor((e) => e.type === 'DISCONNECTED', { from: mark });
  const again = await log.waitFor((e) => e.type === 'SUBSCRIBED', { from: mark });
  expect(client.frameworkId).toBe(ctx.frameworkId);
  expect(masterIdOf(again)).not.toBe(ctx.masterId);
  const resubscribe = recordedCalls(clientDir, 'SUBSCRIBE').at(-1) as {
    framework_id?: { value: string };
    subscribe: { framework_info: { id?: { value: string }; failover_timeout?: number } };
  };
  expect(resubscribe.framework_id?.value).toBe(ctx.frameworkId);
  expect(resubscribe.subscribe.framework_info.id?.value).toBe(ctx.frameworkId);
  expect(resubscribe.subscribe.framework_info.failover_timeout).toBe(3600);

  const acksBefore = recordedCalls(clientDir, 'ACKNOWLEDGE').length;
  // Until the agent re-registers the new master knows nothing of its tasks, and says nothing.
  const early = log.mark();
  await client.reconcile([{ taskId: 'db-0', agentId: ctx.agentId }]);
  await sleep(150);
  expect(log.count('UPDATE', early)).toBe(0);
  expect(sim.agents().find((a) => a.id === ctx.agentId)?.state).toBe('recovering');
  sim.healAgent(ctx.agentId);
  const explicit = log.mark();
  await client.reconcile([{ taskId: 'db-0', agentId: ctx.agentId }]);
  const reconciled = await log.waitForUpdate('db-0', 'TASK_RUNNING', { from: explicit, reason: 'REASON_RECONCILIATION' });
  expectMasterGenerated(reconciled);

  const implicit = log.mark();
  await client.reconcile([]);
  const implicitStatus = await log.waitForUpdate('db-0', 'TASK_RUNNING', { from: implicit, reason: 'REASON_RECONCILIATION' });
  expectMasterGenerated(implicitStatus);
  expect(recordedCalls(clientDir, 'RECONCILE').map((c) => c.reconcile)).toEqual([
    { tasks: [{ task_id: { value: 'db-0' }, agent_id: { value: ctx.agentId } }] },
    { tasks: [{ task_id: { value: 'db-0' }, agent_id: { value: ctx.agentId } }] },
    {},
  ]);
  await sleep(100);
  // Master-generated updates carry no uuid and must not be acknowledged.
  expect(recordedCalls(clientDir, 'ACKNOWLEDGE')).toHaveLength(acksBefore);
}

/** Partition: TASK_UNREACHABLE plus a FAILURE for the agent; heal: the true state comes back. */
async function partitionAndHeal(
  sim: MesosSimulator,
  client: MesosSchedulerClient,
  log: SchedulerEventLog,
  ctx: { agentId: string },
): Promise<void> {
  const mark = log.mark();
  sim.partitionAgent(ctx.agentId);
  const unreachable = await log.waitForUpdate('db-0', 'TASK_UNREACHABLE', { from: mark });
  expectMasterGenerated(unreachable);
  expect(unreachable.reason).toBe('REASON_AGENT_REMOVED');
  // int64 nanoseconds since the epoch exceed 2^53: they must arrive exact, as a bigint.
  const nanos = unreachable.unreachable_time?.nanoseconds;
  expect(typeof nanos).toBe('bigint');
  expect(nanos as bigint).toBeGreaterThan(BigInt(Number.MAX_SAFE_INTEGER));
  const failure = await log.waitFor((e) => e.type === 'FAILURE', { from: mark });
  expect(failure).toEqual({ type: 'FAILURE', failure: { agent_id: { value: ctx.agentId } } });

  const during = log.mark();
  await client.reconcile([{ taskId: 'db-0', agentId: ctx.agentId }]);
  const stillUnreachable = await log.waitForUpdate('db-0', 'TASK_UNREACHABLE', { from: during, reason: 'REASON_RECONCILIATION' });
  expectMasterGenerated(stillUnreachable);

  const healMark = log.mark();
  sim.healAgent(ctx.agentId);
  const back = await log.waitForUpdate('db-0', 'TASK_RUNNING', { from: healMark, reason: 'REASON_AGENT_REREGISTERED' });
  expectMasterGenerated(back);
  expect(sim.tasks().find((t) => t.taskId === 'db-0')).toMatchObject({ state: 'TASK_RUNNING', masterState: 'TASK_RUNNING' });
}

/** SUPPRESS stops offers; REVIVE brings them back. Declines carry a refuse filter. */
async function suppressAndRevive(client: MesosSchedulerClient, log: SchedulerEventLog): Promise<void> {
  await client.suppress();
  log.declineAll(5);
  await sleep(200); // offers already on their way when SUPPRESS arrived
  const quiet = log.mark();
  await sleep(600); // many allocation rounds and longer than the 5 s (simulated) refusal
  expect(log.count('OFFERS', quiet)).toBe(0);
  const revived = log.mark();
  await client.revive();
  await log.waitFor((e) => e.type === 'OFFERS', { from: revived });
}

function expectMasterGenerated(status: TaskStatus): void {
  expect(status.source).toBe('SOURCE_MASTER');
  expect(status.uuid).toBeUndefined();
}
