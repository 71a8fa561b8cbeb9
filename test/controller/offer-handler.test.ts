import { POD_TAGS } from '../../machines/pod-instance.logic';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { fromPromise } from 'xstate';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { podInstanceMachine } from '../../machines/pod-instance.machine';
import type {
  CheckVolumesInput,
  CheckVolumesOutput,
  DisposeVolumesInput,
  EnsureVolumesInput,
  EnsureVolumesOutput,
  FenceInput,
  KillTaskInput,
  KillTaskOutput,
  ReleaseVolumesInput,
} from '../../machines/pod-instance.types';
import { handleOffers, type OfferHandlerDeps } from '../../src/controller/offer-handler';
import { PodRegistry, type PodEntry, type PodRecord } from '../../src/controller/pod-registry';
import { VolumeLocations } from '../../src/controller/volume-locations';
import { ReplicaMoves } from '../../src/controller/replica-moves';
import { ServiceStateStore } from '../../src/state/state-store';
import { PlacementMemory } from '../../src/placement';
import { TransitionLog } from '../../src/observe/transition-log';
import { SHARED_NATS_URL } from '../helpers/nats-server';
import { MesosBadRequestError, MesosConnectionError, MesosFrameworkNotSubscribedError } from '../../src/mesos';
import { parseTaskId } from '../../src/service-spec';
import { agentIdOf, clusterOf, demoSpec, FakeMesos, FakePortworx, hosts, inspected, metrics, offerFrom, silentLogger } from './fixtures';

/** Pod effects that succeed at once: the offer handler, not Portworx, is under test. */
const podMachine = podInstanceMachine.provide({
  actors: {
    ensureVolumes: fromPromise<EnsureVolumesOutput, EnsureVolumesInput>(async ({ input }) => ({
      volumes: input.volumes.map((v) => ({ name: v.name, id: `vol-${v.name}` })),
    })),
    killTask: fromPromise<KillTaskOutput, KillTaskInput>(async () => ({ terminal: true })),
    releaseVolumes: fromPromise<void, ReleaseVolumesInput>(async () => undefined),
    disposeVolumes: fromPromise<void, DisposeVolumesInput>(async () => undefined),
    fence: fromPromise<void, FenceInput>(async () => undefined),
    checkVolumes: fromPromise<CheckVolumesOutput, CheckVolumesInput>(async () => ({ replicaHosts: [] })),
  },
});

async function until(what: string, check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Rig {
  store: ServiceStateStore;
  registry: PodRegistry;
  mesos: FakeMesos;
  deps: OfferHandlerDeps;
  pod: PodEntry;
  /** Every RECONCILE the handler sent, in order. */
  reconciles: { taskId: string; agentId?: string }[][];
  /** Set to make RECONCILE calls throw. */
  reconcileFailure: { error: Error | undefined };
}

describe('handleOffers (one offer round: place waiting pods, release every offer not launched on)', () => {
  let nc: NatsConnection;
  const rigs: Rig[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: SHARED_NATS_URL });
  });
  afterEach(async () => {
    for (const r of rigs.splice(0)) {
      r.registry.stopAll();
      await r.registry.flushAll();
      await r.store.destroy();
    }
  });
  afterAll(async () => {
    await nc.close();
  });

  /** Pod node-0 of service demo, its volume on h0, waiting for an offer; KV puts go through `onPut`. */
  async function rig(
    onPut?: (key: string, value: PodRecord) => void,
    opts: { convergence?: 'hard'; replicas?: string[]; placement?: string[]; podsByAgent?: Map<string, Record<string, string[]>>; px?: FakePortworx; volumes?: string[] } = {},
  ): Promise<Rig> {
    const spec = demoSpec({
      ...(opts.convergence ? { convergence: opts.convergence } : {}),
      ...(opts.placement ? { placement: opts.placement, count: 2, repl: 2 } : {}),
      ...(opts.volumes ? { volumes: opts.volumes } : {}),
    });
    const logger = silentLogger();
    const real = await ServiceStateStore.open(nc, `t-offers-${randomUUID().slice(0, 8)}`);
    const store = Object.create(real) as ServiceStateStore;
    store.put = async (key, value, expected) => {
      onPut?.(key, value as PodRecord);
      return real.put(key, value, expected);
    };
    const registry = new PodRegistry({
      spec: () => spec,
      machine: podMachine,
      store,
      logger,
      transitions: new TransitionLog(spec.name, logger),
      metrics: metrics(),
      onPodState: () => undefined,
    });
    const cluster = clusterOf(hosts(3));
    const px = opts.px ?? new FakePortworx();
    for (const v of opts.volumes ?? ['data']) px.add(inspected(`demo-node-0-${v}`, `vol-demo-node-0-${v}`, opts.replicas ?? ['h0']));
    const mesos = new FakeMesos();
    const client = mesos.asClient();
    const reconciles: Rig['reconciles'] = [];
    const reconcileFailure: Rig['reconcileFailure'] = { error: undefined };
    Object.assign(client, {
      async reconcile(tasks: { taskId: string; agentId?: string }[]) {
        reconciles.push(tasks);
        if (reconcileFailure.error) throw reconcileFailure.error;
      },
    });
    const volumes = new VolumeLocations(px.asClient(), cluster);
    const memory = new PlacementMemory();
    const deps: OfferHandlerDeps = {
      spec: () => spec,
      registry,
      cluster,
      volumes,
      memory,
      replicaMoves: new ReplicaMoves({ px: volumes.portworx, cluster, volumes, memory, logger }),
      mesos: () => client,
      podsByAgent: () => opts.podsByAgent ?? new Map(),
      launching: () => true,
      logger,
      metrics: metrics(),
      reconcileBackoff: { initialMs: 20, maxMs: 80 },
    };
    const pod = registry.ensure('node', 0);
    await until('node-0 waits for an offer', () => pod.state.startsWith('volume-provisioned'));
    const r = { store: real, registry, mesos, deps, pod, reconciles, reconcileFailure };
    rigs.push(r);
    return r;
  }

  const declined = (m: FakeMesos) => m.of('DECLINE').flatMap((c) => c.offerIds ?? []);

  it('declines its offers even when placing fails: none stays allocated to us until the connection closes', async () => {
    const r = await rig();
    r.deps.volumes.refresh = async () => {
      throw new Error('Portworx unreachable');
    };
    await expect(handleOffers(r.deps, [offerFrom('h0', 'r0'), offerFrom('h1', 'r1')])).rejects.toThrow('Portworx unreachable');
    expect(declined(r.mesos).sort()).toEqual(['offer-h0', 'offer-h1']);
  });

  it('hands the round’s unused offers to the hold before declining: those it keeps are not declined', async () => {
    const r = await rig();
    const handed: string[][] = [];
    r.deps.hold = (unused) => {
      handed.push(unused.map((o) => o.id.value));
      return unused.filter((o) => o.hostname !== 'h1');
    };
    const report = await handleOffers(r.deps, [offerFrom('h0', 'r0'), offerFrom('h1', 'r1'), offerFrom('h2', 'r2')]);
    expect(r.mesos.of('ACCEPT').map((c) => c.offerIds)).toEqual([['offer-h0']]);
    expect(handed).toEqual([['offer-h1', 'offer-h2']]);
    expect(declined(r.mesos)).toEqual(['offer-h2']);
    expect(report.waiting).toBe(false);
  });

  describe('spread policy keep: every replica holder breaks a constraint', () => {
    /** node-0's only live replica is on h0, where node-1 runs; hostname:UNIQUE forbids h0. */
    async function crowded(busy: Map<string, Record<string, string[]>> = new Map([[agentIdOf('h0'), { node: ['node-1'] }]])) {
      const px = new FakePortworx();
      const updates: { id: string; spec: { ha_level?: number; replica_set?: { nodes: string[] } } }[] = [];
      const client = px.asClient();
      const r = await rig(undefined, { convergence: 'hard', placement: ['hostname:UNIQUE'], podsByAgent: busy, px });
      Object.assign(client, {
        async updateVolume(id: string, u: { spec: { ha_level?: number; replica_set?: { nodes: string[] } } }) {
          updates.push({ id, spec: u.spec });
          const v = inspected('demo-node-0-data', id, u.spec.replica_set!.nodes.map((n) => n.replace(/^node-/, '')));
          // The new replica starts empty: Portworx resyncs it (until the test says it is done).
          v.volume.runtime_state = [{ runtime_state: { RuntimeState: 'resync' } }];
          px.add(v);
        },
      });
      const volumes = new VolumeLocations(client, r.deps.cluster);
      const replicaMoves = new ReplicaMoves({ px: client, cluster: r.deps.cluster, volumes, memory: r.deps.memory, logger: r.deps.logger });
      const deps = { ...r.deps, volumes, replicaMoves };
      const synced = () => (px.volumes.get('demo-node-0-data')!.volume.runtime_state = [{ runtime_state: { RuntimeState: 'clean' } }]);
      return { ...r, deps, px, updates, synced };
    }

    it('launches nothing on the holder, and adds a replica (ha_level 2, pinned) on a host the constraint allows', async () => {
      const { deps, mesos, updates } = await crowded();
      await handleOffers(deps, [offerFrom('h0', 'r0'), offerFrom('h1', 'r1')]);
      expect(mesos.of('ACCEPT')).toEqual([]);
      expect(updates).toEqual([{ id: 'vol-demo-node-0-data', spec: { ha_level: 2, replica_set: { nodes: ['node-h0', 'node-h1'] } } }]);
      const lines = deps.memory.explain('node-0');
      expect(lines.join('\n')).toMatch(/h0.*FAIL constraints: hostname:UNIQUE fails: .*spread policy keep: a new replica goes where the constraints hold/);
      expect(lines.join('\n')).toMatch(/spread \(syncing\): every replica holder \(h0\) would break hostname:UNIQUE: adding a replica on h1/);
    });

    it('with no host the constraint allows, adds nothing and says in debug offers that the pod waits', async () => {
      const everywhere = new Map(['h0', 'h1', 'h2'].map((h, i) => [agentIdOf(h), { node: [`node-${i + 1}`] }]));
      const { deps, mesos, updates } = await crowded(everywhere);
      await handleOffers(deps, [offerFrom('h0', 'r0'), offerFrom('h1', 'r1')]);
      expect(mesos.of('ACCEPT')).toEqual([]);
      expect(updates).toEqual([]);
      expect(deps.memory.explain('node-0').join('\n')).toMatch(/spread \(waiting\): every replica holder \(h0\) would break hostname:UNIQUE, and no host with storage up keeps the constraints yet/);
    });

    it('waits while the replica resyncs, then places the pod on the new holder; adds no second replica', async () => {
      const { deps, mesos, updates, synced } = await crowded();
      await handleOffers(deps, [offerFrom('h0', 'r0'), offerFrom('h1', 'r1')]);
      await handleOffers(deps, [offerFrom('h0', 'r0', 'o2'), offerFrom('h1', 'r1', 'o3')]);
      expect(mesos.of('ACCEPT')).toEqual([]);
      synced();
      await handleOffers(deps, [offerFrom('h0', 'r0', 'o4'), offerFrom('h1', 'r1', 'o5')]);
      expect(updates).toHaveLength(1);
      const accepts = mesos.of('ACCEPT');
      expect(accepts).toHaveLength(1);
      expect(accepts[0]!.offerIds).toEqual(['o5']);
      expect(deps.memory.spreadNote('node-0')).toMatchObject({ kind: 'kept', constraints: ['hostname:UNIQUE'] });
    });
  });

  it('holds a pod back from a non-holder under hard convergence while a replica node is not resolvable yet', async () => {
    const { deps, mesos } = await rig(undefined, { convergence: 'hard', replicas: ['h0', 'h-unlisted'] });
    await handleOffers(deps, [offerFrom('h1', 'r1')]);
    expect(mesos.of('ACCEPT')).toEqual([]);
    expect(declined(mesos)).toEqual(['offer-h1']);
  });

  it('mounts each volume at the path of its own spec, found by name: `data` and `meta-data` are not confused', async () => {
    const { mesos, deps } = await rig(undefined, { volumes: ['data', 'meta-data'] });
    await handleOffers(deps, [offerFrom('h0', 'r0')]);
    const [accept] = mesos.of('ACCEPT');
    const op = accept?.operations?.[0];
    const task = op?.type === 'LAUNCH_GROUP' ? op.launch_group.task_group.tasks?.[0] : undefined;
    const mounts = (task?.container?.volumes ?? []).map((v) => [v.source?.docker_volume?.name, v.container_path]);
    expect(mounts).toEqual([
      ['demo-node-0-data', '/data'],
      ['demo-node-0-meta-data', '/meta-data'],
    ]);
  });

  it('declines, in the same round, the offer a pod refused to be placed with', async () => {
    const { deps, mesos, pod } = await rig();
    // A pod actor stopped mid-round (uninstall stops every actor) takes no PLACE.
    pod.actor.stop();

    await handleOffers(deps, [offerFrom('h0', 'r0'), offerFrom('h1', 'r1')]);

    expect(mesos.of('ACCEPT')).toEqual([]);
    expect(declined(mesos).sort()).toEqual(['offer-h0', 'offer-h1']);
  });

  it('sends a pod whose ACCEPT the master refused (400) back to waiting for placement (TASK_DROPPED) and declines the offer', async () => {
    const { deps, mesos, pod, registry, reconciles } = await rig();
    mesos.failAccept = new MesosBadRequestError('Failed to validate scheduler::Call', 'ACCEPT');

    await expect(handleOffers(deps, [offerFrom('h0', 'r0')])).resolves.toMatchObject({ launched: 0 });

    expect(mesos.of('ACCEPT')).toHaveLength(1);
    expect(pod.state).toMatch(/^volume-provisioned/);
    const ctx = registry.context(pod);
    expect(ctx.task).toBeNull();
    expect(ctx.taskState).toBe('TASK_DROPPED');
    expect(ctx.launchFailure).toContain('ACCEPT failed: Mesos rejected ACCEPT call (HTTP 400)');
    expect(declined(mesos)).toEqual(['offer-h0']);
    expect(reconciles).toEqual([]);
  });

  it('places the pod again, with a new task id, in the round after a refused ACCEPT (403 framework not subscribed)', async () => {
    const { deps, mesos, pod, registry } = await rig();
    mesos.failAccept = new MesosFrameworkNotSubscribedError(403, 'Framework is not subscribed', 'ACCEPT');
    await handleOffers(deps, [offerFrom('h0', 'r0', 'offer-1')]);
    const firstTask = registry.context(pod).lastTask?.taskId;
    mesos.failAccept = undefined;

    await handleOffers(deps, [offerFrom('h0', 'r0', 'offer-2')]);

    expect(pod.state).toBe('placed');
    const accepted = mesos.of('ACCEPT');
    expect(accepted.map((c) => c.offerIds)).toEqual([['offer-1'], ['offer-2']]);
    expect(registry.context(pod).task?.taskId).not.toBe(firstTask);
  });

  describe('an ACCEPT whose answer was lost (the master may have launched the task)', () => {
    const lost = () => new MesosConnectionError('http://master:5050/api/v1/scheduler', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });

    it('leaves the pod placed with its task, sends no synthetic TASK_DROPPED and reconciles that task on its agent', async () => {
      const { deps, mesos, pod, registry, reconciles } = await rig();
      mesos.failAccept = lost();

      await handleOffers(deps, [offerFrom('h0', 'r0')]);

      expect(pod.state).toBe('placed');
      const ctx = registry.context(pod);
      expect(ctx.task).toMatchObject({ agentId: agentIdOf('h0'), hostname: 'h0' });
      expect(ctx.taskState).toBeNull();
      expect(declined(mesos)).toEqual(['offer-h0']);
      await until('a RECONCILE went out', () => reconciles.length >= 1);
      expect(reconciles[0]).toEqual([{ taskId: ctx.task!.taskId, agentId: agentIdOf('h0') }]);
    });

    it('does not place the pod again in later rounds while the answer is outstanding (no second launch)', async () => {
      const { deps, mesos, pod } = await rig();
      mesos.failAccept = lost();
      await handleOffers(deps, [offerFrom('h0', 'r0', 'offer-1')]);
      mesos.failAccept = undefined;

      await handleOffers(deps, [offerFrom('h0', 'r0', 'offer-2'), offerFrom('h1', 'r1', 'offer-3')]);

      expect(mesos.of('ACCEPT').map((c) => c.offerIds)).toEqual([['offer-1']]);
      expect(pod.state).toBe('placed');
    });

    it('retries the RECONCILE with backoff, through failed calls, until the master answers; the answer drives the pod', async () => {
      const { deps, mesos, pod, registry, reconciles, reconcileFailure } = await rig();
      mesos.failAccept = lost();
      reconcileFailure.error = new Error('connection refused');
      await handleOffers(deps, [offerFrom('h0', 'r0')]);
      const taskId = registry.context(pod).task!.taskId;

      await until('three RECONCILE attempts', () => reconciles.length >= 3);
      reconcileFailure.error = undefined;
      const before = reconciles.length;
      await until('one more RECONCILE', () => reconciles.length > before);
      expect(new Set(reconciles.flat().map((t) => t.taskId))).toEqual(new Set([taskId]));

      // The master knew the task after all: it answers with its latest state.
      registry.send(pod, { type: 'TASK_UPDATE', taskId, state: 'TASK_RUNNING', reason: 'REASON_RECONCILIATION', agentId: agentIdOf('h0') });
      await until('node-0 runs', () => pod.actor.getSnapshot().hasTag(POD_TAGS.running));
      const settled = reconciles.length;
      await new Promise((r) => setTimeout(r, 250));
      expect(reconciles.length).toBe(settled);
      expect(mesos.of('ACCEPT')).toHaveLength(1);
    });

    it('stops reconciling once the master says it does not know the task (the pod machine decides what follows)', async () => {
      const { deps, mesos, pod, registry, reconciles } = await rig();
      mesos.failAccept = lost();
      await handleOffers(deps, [offerFrom('h0', 'r0')]);
      const taskId = registry.context(pod).task!.taskId;
      await until('a RECONCILE went out', () => reconciles.length >= 1);

      registry.send(pod, { type: 'TASK_UPDATE', taskId, state: 'TASK_GONE', reason: 'REASON_RECONCILIATION', message: 'Reconciliation: Task is unknown to the agent', agentId: agentIdOf('h0') });

      const settled = reconciles.length;
      await new Promise((r) => setTimeout(r, 250));
      expect(reconciles.length).toBe(settled);
    });
  });

  it('a pod created again after a decommission launches under a task id never used before; the old task is not routed to it', async () => {
    const { deps, mesos, pod, registry } = await rig();
    await handleOffers(deps, [offerFrom('h0', 'r0', 'offer-1')]);
    const oldTask = registry.context(pod).task!.taskId;
    await registry.remove(pod);

    const again = registry.ensure('node', 0);
    await until('the new node-0 waits for an offer', () => again.state.startsWith('volume-provisioned'));
    await handleOffers(deps, [offerFrom('h0', 'r0', 'offer-2')]);

    const newTask = registry.context(again).task!.taskId;
    expect(mesos.of('ACCEPT')).toHaveLength(2);
    expect(newTask).not.toBe(oldTask);
    expect(parseTaskId(newTask)).toMatchObject({ service: 'demo', podType: 'node', index: 0, attempt: 1 });
    // A late duplicate TASK_KILLED of the old task finds no pod to apply to.
    expect(registry.byTask(oldTask)).toBeUndefined();
    expect(registry.byTask(newTask)).toBe(again);
  });

  it('sends no ACCEPT and declines the offer when the pod leaves `placed` while its intent is persisted', async () => {
    let stopDuringFlush: (() => void) | undefined;
    const r = await rig((_key, record) => {
      // The PLACE snapshot is being written: a STOP arrives right then.
      if ((record.snapshot as { value?: unknown }).value === 'placed' && stopDuringFlush) {
        const stop = stopDuringFlush;
        stopDuringFlush = undefined;
        stop();
      }
    });
    stopDuringFlush = () => r.registry.send(r.pod, { type: 'STOP' });

    await handleOffers(r.deps, [offerFrom('h0', 'r0')]);

    expect(stopDuringFlush).toBeUndefined();
    expect(r.mesos.of('ACCEPT')).toEqual([]);
    expect(declined(r.mesos)).toEqual(['offer-h0']);
    await until('node-0 is stopped', () => r.pod.actor.getSnapshot().hasTag(POD_TAGS.stopped));
  });
});
