import { describe, expect, it } from 'vitest';
import type { PodInstanceContext, PodInstanceEvent } from '../../machines/pod-instance.types';
import type { SchedulerEvent } from '../../src/mesos';
import type { PodEntry } from '../../src/controller/pod-registry';
import { OfferRounds, routeSchedulerEvent, type RouterDeps } from '../../src/controller/mesos-router';
import { RescindedOffers } from '../../src/controller/offer-handler-slices';
import { SchedulerConnection } from '../../src/controller/ports/scheduler-calls';
import { StrayKiller } from '../../src/controller/stray-killer';
import { TaskTracker } from '../../src/controller/task-tracker';
import { agentIdOf, clusterOf, FakeMesos, hosts, metrics, silentLogger } from './fixtures';

/** The router over one pod running demo__node-0__1 on h1; records what the pod and the runtime hear. */
function rig() {
  const sent: PodInstanceEvent[] = [];
  const pod = { name: 'node-0', task: { taskId: 'demo__node-0__1', agentId: agentIdOf('h1'), hostname: 'h1', offerId: 'o' } };
  const logger = silentLogger();
  const scheduler = new SchedulerConnection(logger);
  scheduler.connect(new FakeMesos().asClient());
  let removed = 0;
  const cluster = clusterOf(hosts(3));
  const deps: RouterDeps = {
    service: 'demo',
    scheduler,
    supervisor: { send: () => undefined, stateName: () => 'active(plans=complete)' },
    cluster,
    pods: {
      all: () => [pod] as unknown as PodEntry[],
      context: () => pod as unknown as Pick<PodInstanceContext, 'task'>,
      send: (_e: PodEntry, ev: PodInstanceEvent) => void sent.push(ev),
      byTask: (taskId: string) => (taskId === pod.task.taskId ? (pod as unknown as PodEntry) : undefined),
      flush: async () => undefined,
    },
    tasks: new TaskTracker(),
    strays: new StrayKiller({ kill: (t, a) => scheduler.kill(t, a), reachable: () => true, minIntervalMs: 30_000 }),
    offers: { handle: () => undefined },
    frameworkRemoved: () => void (removed += 1),
    metrics: metrics(),
    logger,
  };
  return { deps, sent, scheduler, removed: () => removed };
}

const settle = () => new Promise<void>((r) => setImmediate(r));

describe('Mesos event router', () => {
  it("hands a task's check verdicts (healthy, check_status) to its pod: a readiness check can pass", async () => {
    const { deps, sent } = rig();
    const status = { task_id: { value: 'demo__node-0__1' }, agent_id: { value: agentIdOf('h1') }, state: 'TASK_RUNNING', healthy: true, check_status: { type: 'COMMAND', command: { exit_code: 0 } } };
    routeSchedulerEvent(deps, { type: 'UPDATE', update: { status } } as unknown as SchedulerEvent);
    await settle();
    expect(sent).toEqual([{ type: 'TASK_UPDATE', taskId: 'demo__node-0__1', state: 'TASK_RUNNING', agentId: agentIdOf('h1'), healthy: true, checkStatus: { type: 'COMMAND', command: { exit_code: 0 } } }]);
  });

  it('reports SUBSCRIBED and a disconnect to the scheduler connection, which owns the subscription state', () => {
    const { deps, scheduler } = rig();
    routeSchedulerEvent(deps, { type: 'SUBSCRIBED', subscribed: { framework_id: { value: 'fw' } } } as unknown as SchedulerEvent);
    expect(scheduler.subscribed).toBe(true);
    routeSchedulerEvent(deps, { type: 'DISCONNECTED', reason: 'master failed over' });
    expect(scheduler.subscribed).toBe(false);
  });

  it('an ERROR saying the framework was removed drops the framework; any other ERROR does not', () => {
    const { deps, removed } = rig();
    routeSchedulerEvent(deps, { type: 'ERROR', error: { message: 'Some other error' } } as SchedulerEvent);
    expect(removed()).toBe(0);
    routeSchedulerEvent(deps, { type: 'ERROR', error: { message: 'Framework has been removed' } } as SchedulerEvent);
    expect(removed()).toBe(1);
  });

  it('hands a RESCIND to the offer rounds: a round placing in slices neither launches on nor declines that offer', async () => {
    const { deps } = rig();
    const rescinded = new RescindedOffers();
    const seen: string[][] = [];
    const rounds = new OfferRounds(async (offers) => void seen.push(offers.map((o) => o.id.value).filter((id) => !rescinded.has(id))), silentLogger(), rescinded);
    const routed = { ...deps, offers: rounds };
    const offer = (id: string) => ({ id: { value: id }, framework_id: { value: 'f' }, agent_id: { value: 'a' }, hostname: 'h1', resources: [] });
    routeSchedulerEvent(routed, { type: 'OFFERS', offers: { offers: [offer('o1'), offer('o2')] } } as unknown as SchedulerEvent);
    routeSchedulerEvent(routed, { type: 'RESCIND', rescind: { offer_id: { value: 'o1' } } } as SchedulerEvent);
    await rounds.idle();
    expect(rescinded.has('o1')).toBe(true);
    expect(seen).toEqual([['o2']]);
  });
});
