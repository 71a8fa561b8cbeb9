import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PodInstanceEvent } from '../../machines/pod-instance.types';
import type { StorageNode, PortworxClient } from '../../src/portworx';
import type { SchedulerEvent } from '../../src/mesos';
import type { NatsConnection } from '@nats-io/nats-core';
import { SchedulerConnection } from '../../src/controller/ports/scheduler-calls';
import type { PodEntry } from '../../src/controller/pod-registry';
import { ClusterState } from '../../src/controller/cluster-view';
import { StorageWatch, type StorageWatchDeps } from '../../src/controller/storage-watch';
import { routeSchedulerEvent, type RouterDeps } from '../../src/controller/mesos-router';
import { killLeftover, StrayKiller } from '../../src/controller/stray-killer';
import { TaskTracker } from '../../src/controller/task-tracker';
import { confirmHostDown, fence, killTask, type PodEffectDeps } from '../../src/controller/pod-effects';
import { FenceNotConfirmedError } from '../../src/controller/errors';
import { agentIdOf, clusterOf, FakeMesos, FakePortworx, hosts, inspected, metrics, nodeIdOf, silentLogger } from './fixtures';

/*
 * The runtime rows (S1…S16) of docs/failure-classification.md: how wire signals become pod
 * events, and what the failure effects do. One test per row.
 */

const doc = readFileSync(new URL('../../docs/failure-classification.md', import.meta.url), 'utf8');

function node(host: string, status: string | undefined, id = nodeIdOf(host)): StorageNode {
  return { id, hostname: host, scheduler_node_name: host, ...(status ? { status } : {}) } as StorageNode;
}

/** A pod with a task on `host`, recording the events the runtime sends it. */
interface FakePodEntry {
  name: string;
  task: { taskId: string; agentId: string; hostname: string; offerId: string } | null;
  sent: PodInstanceEvent[];
}

function podOnHost(host: string, index = 0): FakePodEntry {
  return { name: `node-${index}`, task: { taskId: `demo__node-${index}__1`, agentId: agentIdOf(host), hostname: host, offerId: 'o' }, sent: [] };
}

/** The narrow deps StorageWatch and the Mesos router take, over fake pods and a fake master. */
function fakeRuntime(opts: { cluster: ClusterState; pods: FakePodEntry[]; nodes?: StorageNode[]; mesos?: FakeMesos; now?: () => number }) {
  const observed: { hostname: string; online: boolean }[][] = [];
  const tasks = new TaskTracker();
  const logger = silentLogger();
  const registry = {
    all: () => opts.pods as unknown as PodEntry[],
    context: (e: PodEntry) => ({ task: (e as unknown as FakePodEntry).task }),
    send: (e: PodEntry, ev: PodInstanceEvent) => void (e as unknown as FakePodEntry).sent.push(ev),
    byTask: (taskId: string) => opts.pods.find((p) => p.task?.taskId === taskId) as unknown as PodEntry | undefined,
    flush: async () => undefined,
  };
  const scheduler = new SchedulerConnection(logger);
  if (opts.mesos) {
    scheduler.connect(opts.mesos.asClient());
    scheduler.markSubscribed();
  }
  const strays = new StrayKiller({
    kill: (taskId, agentId) => scheduler.kill(taskId, agentId),
    reachable: (agentId) => opts.cluster.reachable(agentId),
    minIntervalMs: 30_000,
    ...(opts.now ? { now: opts.now } : {}),
  });
  const supervisor = { send: () => undefined, stateName: () => 'active(plans=complete)', is: () => false };
  const rt: RouterDeps = {
    service: 'demo',
    scheduler,
    supervisor,
    cluster: opts.cluster,
    pods: registry,
    tasks,
    strays,
    offers: { handle: () => undefined },
    frameworkRemoved: () => undefined,
    metrics: metrics(),
    logger,
  };
  const watch: StorageWatchDeps = {
    service: 'demo',
    nc: {} as NatsConnection,
    px: { enumerateNodes: async () => opts.nodes ?? [] } as unknown as PortworxClient,
    operator: { getAgents: async () => ({ agents: [], recovered_agents: [] }) },
    cluster: opts.cluster,
    governor: { observeStorage: (n: { hostname: string; online: boolean }[]) => void observed.push(n) },
    pods: registry,
    supervisor,
    logger,
    intervalMs: 60_000,
  };
  return { rt, watch, observed, tasks, strays };
}

async function refreshWith(nodes: StorageNode[], opts: { unreachable?: boolean } = {}) {
  const cluster = clusterOf(hosts(3), { storage: false });
  if (opts.unreachable) cluster.markUnreachable(agentIdOf('h1'), true);
  const pod = podOnHost('h1');
  const { watch, observed } = fakeRuntime({ cluster, pods: [pod], nodes });
  await new StorageWatch(watch).refresh();
  return { pod, cluster, observed };
}

const update = (taskId: string, state: string, agent = 'h1'): SchedulerEvent =>
  ({ type: 'UPDATE', update: { status: { task_id: { value: taskId }, agent_id: { value: agentIdOf(agent) }, state, source: 'SOURCE_MASTER' } } }) as unknown as SchedulerEvent;

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

function effectDeps(opts: { cluster: ClusterState; px?: FakePortworx; mesos?: FakeMesos; answers?: boolean; last?: Record<string, string>; waited?: string[] }): PodEffectDeps {
  const mesos = opts.mesos?.asClient();
  return {
    spec: () => { throw new Error('not used'); },
    px: (opts.px ?? new FakePortworx()).asClient(),
    mesos: () => mesos,
    cluster: opts.cluster,
    planningView: () => opts.cluster.view(new Map()),
    logger: silentLogger(),
    metrics: metrics(),
    isTaskTerminal: () => false,
    lastTaskState: (t) => opts.last?.[t],
    agentAnswers: async () => opts.answers ?? false,
    waitTaskEnded: async (taskId) => void opts.waited?.push(taskId),
  };
}

/** A FakePortworx whose forced detach clears the attachment, unless told to leave it. */
class DetachingPortworx extends FakePortworx {
  detaches: { id: string; force?: boolean }[] = [];
  sticky = false;
  attach(name: string, nodeId: string): void {
    const v = this.volumes.get(name)!;
    v.volume.attached_on = nodeId;
  }
  override asClient(): PortworxClient {
    const base = super.asClient() as unknown as Record<string, unknown>;
    return {
      ...base,
      detach: async (id: string, o: { force?: boolean }) => {
        this.detaches.push({ id, ...(o.force !== undefined ? { force: o.force } : {}) });
        if (this.sticky) return;
        const v = [...this.volumes.values()].find((x) => x.volume.id === id);
        if (v) delete v.volume.attached_on;
      },
    } as unknown as PortworxClient;
  }
}

describe('failure classification (docs/failure-classification.md), runtime rows', () => {
  it('S1 Portworx node OFFLINE → HOST_DOWN to the pods there, even when Mesos already marked the agent unreachable', async () => {
    const { pod, observed } = await refreshWith([node('h0', 'STATUS_OK'), node('h1', 'STATUS_OFFLINE')], { unreachable: true });
    expect(pod.sent).toEqual([{ type: 'HOST_DOWN', hostname: 'h1', source: 'portworx', reason: 'Portworx reports node h1 OFFLINE' }]);
    expect(observed.at(-1)).toEqual([{ hostname: 'h0', online: true }, { hostname: 'h1', online: false }]);
  });

  it('S2 Portworx node STORAGE_DOWN → HOST_UP: no eviction, and no placement there', async () => {
    const { pod, cluster } = await refreshWith([node('h1', 'STATUS_STORAGE_DOWN')]);
    expect(pod.sent).toEqual([{ type: 'HOST_UP', hostname: 'h1', source: 'portworx' }]);
    expect(cluster.view(new Map()).storage.h1).toBe('down');
  });

  it('S3 Portworx node MAINTENANCE → HOST_UP: no eviction, and no placement there', async () => {
    const { pod, cluster } = await refreshWith([node('h1', 'STATUS_MAINTENANCE')]);
    expect(pod.sent).toEqual([{ type: 'HOST_UP', hostname: 'h1', source: 'portworx' }]);
    expect(cluster.view(new Map()).storage.h1).toBe('down');
  });

  it('S4 Portworx node NONE (or no status at all) → online like OK', async () => {
    for (const status of ['STATUS_NONE', undefined]) {
      const { pod, cluster } = await refreshWith([node('h1', status)]);
      expect(pod.sent).toEqual([{ type: 'HOST_UP', hostname: 'h1', source: 'portworx' }]);
      expect(cluster.storageLiveness('h1')).toBe('online');
      expect(cluster.view(new Map()).storage.h1).toBe('up');
    }
  });

  it('S5 a stale OFFLINE duplicate next to an online entry → online, in either order; both ids map to the host', async () => {
    for (const order of [0, 1]) {
      const entries = [node('h1', 'STATUS_OFFLINE', 'stale-id'), node('h1', 'STATUS_OK')];
      const { pod, cluster } = await refreshWith(order === 0 ? entries : entries.reverse());
      expect(pod.sent).toEqual([{ type: 'HOST_UP', hostname: 'h1', source: 'portworx' }]);
      expect(cluster.nodeIdOfHost('h1')).toBe(nodeIdOf('h1'));
      expect(cluster.hostOfNode('stale-id')).toBe('h1');
    }
  });

  it('S6 Mesos FAILURE with agent_id only → agent unreachable, HOST_DOWN (mesos) to the pods on it', () => {
    const cluster = clusterOf(hosts(3));
    const on1 = podOnHost('h1', 1);
    const on2 = podOnHost('h2', 2);
    const { rt } = fakeRuntime({ cluster, pods: [on1, on2] });
    routeSchedulerEvent(rt, { type: 'FAILURE', failure: { agent_id: { value: agentIdOf('h1') } } } as SchedulerEvent);
    expect(cluster.reachable(agentIdOf('h1'))).toBe(false);
    expect(on1.sent).toEqual([{ type: 'HOST_DOWN', hostname: 'h1', source: 'mesos', reason: `Mesos lost agent ${agentIdOf('h1')} (FAILURE)` }]);
    expect(on2.sent).toEqual([]);
    // An executor's failure says nothing about the host.
    routeSchedulerEvent(rt, { type: 'FAILURE', failure: { agent_id: { value: agentIdOf('h2') }, executor_id: { value: 'e' }, status: 1 } } as SchedulerEvent);
    expect(on2.sent).toEqual([]);
  });

  it('S7 TASK_GONE → the agent stays in placement; TASK_GONE_BY_OPERATOR takes it out', async () => {
    const cluster = clusterOf(hosts(3));
    const { rt } = fakeRuntime({ cluster, pods: [podOnHost('h1', 1)], mesos: new FakeMesos() });
    routeSchedulerEvent(rt, update('demo__node-1__1', 'TASK_GONE'));
    await settle();
    expect(cluster.view(new Map()).agents.map((a) => a.hostname)).toContain('h1');
    routeSchedulerEvent(rt, update('demo__node-1__1', 'TASK_GONE_BY_OPERATOR'));
    await settle();
    expect(cluster.view(new Map()).agents.map((a) => a.hostname)).not.toContain('h1');
  });

  it('S8 a stray answered with UNREACHABLE again and again is KILLed once per reachability change (no kill storm)', async () => {
    const cluster = clusterOf(hosts(3));
    const mesos = new FakeMesos();
    let now = 0;
    const { rt, strays } = fakeRuntime({ cluster, pods: [], mesos, now: () => now });
    // The chaos run: 3,378 KILLs in 9 s. Here: 1,000 UNREACHABLE answers within 9 s.
    for (let i = 0; i < 1_000; i++) {
      now = i * 9;
      routeSchedulerEvent(rt, update('demo__node-4__1', 'TASK_UNREACHABLE'));
      await settle();
    }
    expect(mesos.of('KILL')).toHaveLength(1);
    // The agent is back: the stray is killed at once.
    routeSchedulerEvent(rt, update('demo__node-4__1', 'TASK_RUNNING'));
    await settle();
    expect(mesos.of('KILL')).toHaveLength(2);
    // Still no answer after a kill timeout: one more KILL, rate-limited.
    now += 30_000;
    routeSchedulerEvent(rt, update('demo__node-4__1', 'TASK_RUNNING'));
    routeSchedulerEvent(rt, update('demo__node-4__1', 'TASK_RUNNING'));
    await settle();
    expect(mesos.of('KILL')).toHaveLength(3);
    routeSchedulerEvent(rt, update('demo__node-4__1', 'TASK_KILLED'));
    await settle();
    expect(strays.tracked).toBe(0);
  });

  it('S9 confirmHostDown: the agent answers GET_HEALTH → not down, whatever else says', async () => {
    const cluster = clusterOf([{ host: 'h1', rack: 'r0', storage: 'down' }]);
    cluster.markUnreachable(agentIdOf('h1'), true);
    const out = await confirmHostDown(effectDeps({ cluster, answers: true }), { taskId: 't', agentId: agentIdOf('h1'), hostname: 'h1', suspicion: { mesos: 'x', portworx: 'y' } });
    expect(out).toEqual({ down: false, reason: 'the agent on h1 answers' });
  });

  it('S10 confirmHostDown: agent silent, Portworx node OFFLINE → down', async () => {
    const cluster = clusterOf([{ host: 'h1', rack: 'r0', storage: 'down' }]);
    const out = await confirmHostDown(effectDeps({ cluster }), { taskId: 't', agentId: agentIdOf('h1'), hostname: 'h1', suspicion: { mesos: null, portworx: 'y' } });
    expect(out).toEqual({ down: true, reason: 'the agent on h1 does not answer and Portworx reports its node OFFLINE' });
  });

  it('S11 confirmHostDown: agent silent, Mesos reports the agent unreachable → down', async () => {
    const cluster = clusterOf(hosts(2));
    cluster.markUnreachable(agentIdOf('h1'), true);
    const out = await confirmHostDown(effectDeps({ cluster }), { taskId: 't', agentId: agentIdOf('h1'), hostname: 'h1', suspicion: { mesos: 'x', portworx: null } });
    expect(out).toMatchObject({ down: true, reason: expect.stringContaining('Mesos reports the agent unreachable') });
    const viaTask = await confirmHostDown(effectDeps({ cluster: clusterOf(hosts(2)), last: { t: 'TASK_UNREACHABLE' } }), { taskId: 't', agentId: agentIdOf('h1'), hostname: 'h1', suspicion: { mesos: 'x', portworx: null } });
    expect(viaTask.down).toBe(true);
  });

  it('S12 confirmHostDown: agent silent, node online, agent reachable in Mesos → not down', async () => {
    const out = await confirmHostDown(effectDeps({ cluster: clusterOf(hosts(2)) }), { taskId: 't', agentId: agentIdOf('h1'), hostname: 'h1', suspicion: { mesos: null, portworx: 'y' } });
    expect(out).toEqual({ down: false, reason: 'the agent on h1 does not answer, but neither Mesos nor Portworx reports the host down' });
  });

  it('S13 fence on a down host: best-effort KILL without waiting, force-detach, confirmed by a re-inspect', async () => {
    const cluster = clusterOf([{ host: 'h1', rack: 'r0', storage: 'down' }, { host: 'h2', rack: 'r1' }]);
    cluster.markUnreachable(agentIdOf('h1'), true);
    const px = new DetachingPortworx();
    px.add(inspected('demo-node-1-data', 'v1', ['h1', 'h2']));
    px.attach('demo-node-1-data', nodeIdOf('h1'));
    const mesos = new FakeMesos();
    const waited: string[] = [];
    await fence(effectDeps({ cluster, px, mesos, waited }), { service: 'demo', pod: 'node-1', taskId: 't1', agentId: agentIdOf('h1'), hostname: 'h1', volumeIds: ['v1'] });
    expect(mesos.of('KILL')).toHaveLength(1);
    expect(waited).toEqual([]);
    expect(px.detaches).toEqual([{ id: 'v1', force: true }]);
    expect(px.volumes.get('demo-node-1-data')!.volume.attached_on).toBeUndefined();
  });

  it('S14 fence: the attachment still there after the forced detach → retryable FENCE_NOT_CONFIRMED', async () => {
    const cluster = clusterOf([{ host: 'h1', rack: 'r0', storage: 'down' }]);
    const px = new DetachingPortworx();
    px.sticky = true;
    px.add(inspected('demo-node-1-data', 'v1', ['h1']));
    px.attach('demo-node-1-data', nodeIdOf('h1'));
    const err = await fence(effectDeps({ cluster, px }), { service: 'demo', pod: 'node-1', taskId: null, agentId: null, hostname: 'h1', volumeIds: ['v1'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FenceNotConfirmedError);
    expect(err).toMatchObject({ code: 'FENCE_NOT_CONFIRMED', retryable: true });
  });

  it('S15 fence on a host that is up: KILL and wait for the task to end, then force-detach', async () => {
    const cluster = clusterOf(hosts(2));
    const px = new DetachingPortworx();
    px.add(inspected('demo-node-1-data', 'v1', ['h1']));
    px.attach('demo-node-1-data', nodeIdOf('h1'));
    const mesos = new FakeMesos();
    const waited: string[] = [];
    await fence(effectDeps({ cluster, px, mesos, waited }), { service: 'demo', pod: 'node-1', taskId: 't1', agentId: agentIdOf('h1'), hostname: 'h1', volumeIds: ['v1'] });
    expect(mesos.of('KILL')).toHaveLength(1);
    expect(waited).toEqual(['t1']);
    expect(px.detaches).toEqual([{ id: 'v1', force: true }]);
  });

  it('S16 killTask while stopping: UNKNOWN / LOST, or a host down in Mesos and Portworx, ends the kill', async () => {
    const mesos = new FakeMesos();
    for (const last of ['TASK_UNKNOWN', 'TASK_LOST']) {
      const out = await killTask(effectDeps({ cluster: clusterOf(hosts(2)), mesos, last: { t1: last } }), { taskId: 't1', agentId: agentIdOf('h1'), stopping: true });
      expect(out).toEqual({ terminal: true });
    }
    expect(mesos.calls).toEqual([]);
    const down = clusterOf([{ host: 'h1', rack: 'r0', storage: 'down' }]);
    down.markUnreachable(agentIdOf('h1'), true);
    expect(await killTask(effectDeps({ cluster: down, mesos }), { taskId: 't1', agentId: agentIdOf('h1'), stopping: true })).toEqual({ terminal: true });
    // Not stopping (a restart in place): the KILL goes out and Mesos' answer decides.
    expect(await killTask(effectDeps({ cluster: clusterOf(hosts(2)), mesos, last: { t1: 'TASK_UNKNOWN' } }), { taskId: 't1', agentId: agentIdOf('h1') })).toEqual({ terminal: false });
  });

  it('S17 a pod\'s previous task last reported alive (back during the fence) is KILLed on the pod\'s next state change, once', async () => {
    const cluster = clusterOf(hosts(2));
    const mesos = new FakeMesos();
    const strays = new StrayKiller({ kill: (t, a) => mesos.asClient().kill(t, a), reachable: (a) => cluster.reachable(a), minIntervalMs: 30_000 });
    const last: Record<string, string> = { old: 'TASK_RUNNING', done: 'TASK_KILLED', lost: 'TASK_LOST' };
    const pod = (lastTask: string | null) => ({ task: { taskId: 'new' }, lastTask: lastTask === null ? null : { taskId: lastTask, agentId: agentIdOf('h1') } });
    expect(await killLeftover(strays, (t) => last[t], pod('old'))).toBe(true);
    expect(await killLeftover(strays, (t) => last[t], pod('old'))).toBe(false);
    for (const quiet of ['done', 'lost', 'never-seen', null]) expect(await killLeftover(strays, (t) => last[t], pod(quiet))).toBe(false);
    expect(mesos.of('KILL')).toEqual([{ type: 'KILL', taskId: 'old', agentId: agentIdOf('h1') }]);
  });

  it('documents exactly the runtime rows tested here', () => {
    const rows = doc.split('\n').map((l) => l.split('|')[1]?.trim() ?? '').filter((c) => /^S\d+$/.test(c));
    expect(rows).toEqual(Array.from({ length: 17 }, (_, i) => `S${i + 1}`));
  });
});
