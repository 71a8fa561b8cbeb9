import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MesosSchedulerClient, SchedulerEvent } from '../../src/mesos';
import { MesosFrameworkNotSubscribedError } from '../../src/mesos/errors';
import type { PodInstanceContext } from '../../machines/pod-instance.types';
import type { PodEntry } from '../../src/controller/pod-registry';
import { routeSchedulerEvent, type RouterDeps } from '../../src/controller/mesos-router';
import { SchedulerConnection } from '../../src/controller/ports/scheduler-calls';
import { StrayKiller } from '../../src/controller/stray-killer';
import { TaskTracker } from '../../src/controller/task-tracker';
import { agentIdOf, clusterOf, hosts, metrics, silentLogger } from './fixtures';

/*
 * The stray killer across a master failover (chaos repro returning-tasks-not-killed-after-failover):
 * only a KILL the master took counts as sent; a refused one is retried with backoff and at once
 * after the next SUBSCRIBED; a stray Mesos reports alive after a (re)subscription is killed again.
 */

/** A master that takes KILLs, or refuses them with 403 "Framework is not subscribed" while `refusing`. */
class FailingOverMaster {
  refusing = false;
  /** Every KILL the client tried, taken or not. */
  readonly tried: string[] = [];
  /** The KILLs the master took. */
  readonly taken: string[] = [];

  client(): MesosSchedulerClient {
    return {
      frameworkId: 'fw-test',
      kill: async (taskId: string) => {
        this.tried.push(taskId);
        if (this.refusing) throw new MesosFrameworkNotSubscribedError(403, 'Framework is not subscribed', 'KILL');
        this.taken.push(taskId);
      },
      acknowledge: async () => undefined,
    } as unknown as MesosSchedulerClient;
  }
}

/** A pod whose current task is `task` and whose previous task is `lastTask`. */
interface FakePod {
  name: string;
  task: { taskId: string; agentId: string } | null;
  lastTask: { taskId: string; agentId: string } | null;
}

/**
 * The router's deps, with the real scheduler connection (so the "did the call go through"
 * answer is the real one).
 */
function fakeRuntime(master: FailingOverMaster, pods: FakePod[] = []) {
  const cluster = clusterOf(hosts(3));
  const logger = silentLogger();
  const scheduler = new SchedulerConnection(logger);
  scheduler.connect(master.client());
  scheduler.markSubscribed();
  const strays = new StrayKiller({
    kill: (taskId, agentId) => scheduler.kill(taskId, agentId),
    reachable: (agentId) => cluster.reachable(agentId),
    minIntervalMs: 30_000,
  });
  const rt: RouterDeps = {
    service: 'demo',
    scheduler,
    supervisor: { send: () => undefined, stateName: () => 'active(plans=complete)' },
    cluster,
    pods: {
      all: () => pods as unknown as PodEntry[],
      context: (e: PodEntry) => e as unknown as Pick<PodInstanceContext, 'task'>,
      byTask: (taskId: string) => pods.find((p) => p.task?.taskId === taskId || p.lastTask?.taskId === taskId) as unknown as PodEntry | undefined,
      send: () => undefined,
      flush: async () => undefined,
    },
    tasks: new TaskTracker(),
    strays,
    offers: { handle: () => undefined },
    frameworkRemoved: () => undefined,
    metrics: metrics(),
    logger,
  };
  return { rt, strays, scheduler };
}

const update = (taskId: string, state: string, host = 'h1'): SchedulerEvent =>
  ({ type: 'UPDATE', update: { status: { task_id: { value: taskId }, agent_id: { value: agentIdOf(host) }, state, source: 'SOURCE_MASTER' } } }) as unknown as SchedulerEvent;
const subscribed = { type: 'SUBSCRIBED', subscribed: { framework_id: { value: 'fw-test' } } } as unknown as SchedulerEvent;
const disconnected = { type: 'DISCONNECTED', reason: 'master failed over' } as const;

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
}

/** The master fails over: our stream closes, the next SUBSCRIBED comes from the new master. */
async function failover(rt: RouterDeps, master: FailingOverMaster): Promise<void> {
  routeSchedulerEvent(rt, disconnected);
  await settle();
  master.refusing = false;
  routeSchedulerEvent(rt, subscribed);
  await settle();
}

afterEach(() => {
  vi.useRealTimers();
});

describe('stray killer across a master failover', () => {
  it('a KILL refused with 403 "Framework is not subscribed" is sent again once the scheduler subscribes again', async () => {
    const master = new FailingOverMaster();
    const { rt, strays } = fakeRuntime(master);
    // The old task comes back TASK_RUNNING just as the master fails over: its KILL is refused.
    master.refusing = true;
    routeSchedulerEvent(rt, update('demo__node-0__1', 'TASK_RUNNING'));
    await settle();
    expect(master.tried).toEqual(['demo__node-0__1']);
    expect(master.taken).toEqual([]);
    await failover(rt, master);
    expect(master.taken).toEqual(['demo__node-0__1']);
    expect(strays.pendingRetries).toBe(0);
    // The reconciliation after SUBSCRIBED reports it alive: the KILL of this round already went out.
    routeSchedulerEvent(rt, update('demo__node-0__1', 'TASK_RUNNING'));
    await settle();
    expect(master.taken).toEqual(['demo__node-0__1']);
    routeSchedulerEvent(rt, update('demo__node-0__1', 'TASK_KILLED'));
    await settle();
    expect(strays.tracked).toBe(0);
  });

  it('a KILL the master took is not repeated, not even by a re-subscription; a stray reported alive after it is killed again, once', async () => {
    const master = new FailingOverMaster();
    const { rt } = fakeRuntime(master);
    routeSchedulerEvent(rt, update('demo__node-0__1', 'TASK_RUNNING'));
    await settle();
    routeSchedulerEvent(rt, update('demo__node-0__1', 'TASK_RUNNING'));
    await settle();
    expect(master.taken).toHaveLength(1);
    await failover(rt, master);
    expect(master.taken).toHaveLength(1);
    // The new master's reconciliation reports it alive (the first KILL may have died with the old master).
    for (let i = 0; i < 3; i++) routeSchedulerEvent(rt, update('demo__node-0__1', 'TASK_RUNNING'));
    await settle();
    expect(master.taken).toHaveLength(2);
  });

  it("a pod's old task reported alive by the reconciliation after a re-subscription is killed, its current task is not", async () => {
    const master = new FailingOverMaster();
    const agentId = agentIdOf('h1');
    const pod: FakePod = { name: 'node-0', task: { taskId: 'demo__node-0__2', agentId: agentIdOf('h2') }, lastTask: { taskId: 'demo__node-0__1', agentId } };
    const { rt } = fakeRuntime(master, [pod]);
    master.refusing = true;
    routeSchedulerEvent(rt, update('demo__node-0__1', 'TASK_RUNNING'));
    await settle();
    routeSchedulerEvent(rt, disconnected);
    await settle();
    master.refusing = false;
    routeSchedulerEvent(rt, subscribed);
    // The explicit reconciliation of the stored tasks answers for both.
    routeSchedulerEvent(rt, update('demo__node-0__2', 'TASK_RUNNING', 'h2'));
    routeSchedulerEvent(rt, update('demo__node-0__1', 'TASK_RUNNING'));
    await settle();
    expect(master.taken).toEqual(['demo__node-0__1']);
  });

  it('a refused KILL is retried with backoff while no subscription takes it, without a storm of calls', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const master = new FailingOverMaster();
    const { rt } = fakeRuntime(master);
    master.refusing = true;
    // 1,000 UNREACHABLE answers over 9 s while the master refuses every KILL.
    for (let i = 0; i < 1_000; i++) {
      routeSchedulerEvent(rt, update('demo__node-4__1', 'TASK_UNREACHABLE'));
      await vi.advanceTimersByTimeAsync(9);
    }
    // The first try plus retries after 1, 2 and 4 s (backoff), none from the updates.
    expect(master.tried).toHaveLength(4);
    expect(master.taken).toEqual([]);
    master.refusing = false;
    await vi.advanceTimersByTimeAsync(8_000);
    expect(master.taken).toEqual(['demo__node-4__1']);
    routeSchedulerEvent(rt, update('demo__node-4__1', 'TASK_UNREACHABLE'));
    await vi.advanceTimersByTimeAsync(10);
    expect(master.tried).toHaveLength(5);
  });

  it('a stray still not ended a kill timeout after a KILL the master took (dropped for an agent not re-registered yet) is killed again, the wait doubling', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const taken: number[] = [];
    const strays = new StrayKiller({ kill: async () => void taken.push(Date.now()), reachable: () => true, minIntervalMs: 30_000 });
    const start = Date.now();
    expect(await strays.kill('t', 'a')).toBe(true);
    await vi.advanceTimersByTimeAsync(29_000);
    expect(taken).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_000 + 60_000);
    expect(taken.map((t) => t - start)).toEqual([0, 30_000, 90_000]);
    strays.ended('t');
    await vi.advanceTimersByTimeAsync(600_000);
    expect(taken).toHaveLength(3);
  });

  it('a scheduler call says whether it went through: not subscribed or refused is false', async () => {
    const master = new FailingOverMaster();
    const { scheduler } = fakeRuntime(master);
    expect(await scheduler.kill('t', 'a')).toBe(true);
    master.refusing = true;
    expect(await scheduler.kill('t', 'a')).toBe(false);
    scheduler.markDisconnected();
    expect(await scheduler.kill('t', 'a')).toBe(false);
  });
});
