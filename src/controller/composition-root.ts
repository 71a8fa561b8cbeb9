import type { NatsConnection } from '@nats-io/nats-core';
import { toSavedState } from '../../machines/framework.logic';
import { MesosOperatorClient, type Offer } from '../mesos';
import type { PortworxClient } from '../portworx';
import { PlacementMemory } from '../placement';
import { childLogger, type Logger } from '../log/logger';
import { createMetrics, type Metrics } from '../observe/metrics';
import { TransitionLog } from '../observe/transition-log';
import { MarathonClient } from '../marathon';
import { LeaderLease } from '../state/leader-lease';
import type { ServiceStateStore } from '../state/state-store';
import { ClusterState } from './cluster-view';
import { configId } from './config-update-plan';
import { FRAMEWORK_KEY, type FrameworkEffectDeps } from './framework-effects';
import { agentHealthProbe, createReplacementGovernor, probationMs } from './failure-policy';
import { OfferRounds, type RouterDeps } from './mesos-router';
import { handleOffers } from './offer-handler';
import { OfferHold, type HeldResources } from './held-offers';
import { LaunchedIndex } from './launched-index';
import { RescindedOffers } from './offer-handler-slices';
import { PersistQueue } from './persist-queue';
import { PlanningState } from './planning-state';
import { PodRegistry, type PodEntry } from './pod-registry';
import { fanOutPodState } from './pod-state-fanout';
import { readonlyCluster, type ReadonlyCluster } from './ports/cluster-view';
import { LeaseLeadership } from './ports/leadership';
import { SchedulerConnection } from './ports/scheduler-calls';
import { SpecHolder } from './ports/spec-source';
import { FrameworkState } from './ports/framework-state';
import { QueuedStateWrites } from './ports/state-store';
import { SupervisorHost, type FrameworkSnapshot } from './ports/supervisor';
import type { ReplacementGovernor } from './replacement-governor';
import { ReplicaMoves } from './replica-moves';
import { createReplicaRepair, type ReplicaRepair } from './replica-repair';
import { transitionsOf } from './replica-ops';
import type { RuntimeOptions } from './runtime-options';
import { providePodMachine } from './runtime-wiring';
import { SnapshotManager } from './snapshots';
import { frameworkIn, type FrameworkStateCheck } from './state-names';
import { StorageWatch } from './storage-watch';
import { StrayKiller } from './stray-killer';
import { TaskTracker } from './task-tracker';
import { MarathonRemovalRecord, persistKey, tombstoneRecord, TOMBSTONE_KEY } from './tombstone';
import { VolumeLocations } from './volume-locations';
import { WorkSlices } from './work-slices';

/** The longest a burst of volume plans holds the event loop before it yields (timers, I/O). */
const SLICE_BUDGET_MS = 10;
/**
 * How old a storage-node listing may be when a new volume's replicas are pinned (issue 12: one
 * listing per deploy burst, not per volume). A serial deploy plans a volume every ~0.5 s: at 1 s,
 * every other step re-read all 2,000 nodes (1.3 MB) and told all 10,000 pods what they say, the
 * main cost of a step late in a big deploy. A node's liveness changes in Portworx over tens of
 * seconds, and its alert triggers a refresh at once.
 */
const RECENT_STORAGE_MS = 5_000;

/** What the composition root needs from the runtime's lifecycle (bound late: called, never at build time). */
export interface LifecycleHooks {
  frameworkRemoved(): void;
  resetForReinstall(): Promise<void>;
}

/** Everything one service's scheduler is made of, built and wired once (see docs/architecture.md). */
export interface ServiceParts {
  service: string;
  opts: RuntimeOptions;
  logger: Logger;
  metrics: Metrics;
  transitions: TransitionLog;
  specs: SpecHolder;
  store: ServiceStateStore;
  px: PortworxClient;
  nc: NatsConnection;
  leadership: LeaseLeadership;
  scheduler: SchedulerConnection;
  supervisor: SupervisorHost;
  /** Writes the supervisor's state to KV on every snapshot while enabled (stop() disables it). */
  persistence: { enabled: boolean };
  cluster: ClusterState;
  clusterView: ReadonlyCluster;
  planning: PlanningState;
  tasks: TaskTracker;
  memory: PlacementMemory;
  registry: PodRegistry;
  volumes: VolumeLocations;
  snapshots: SnapshotManager;
  operator: MesosOperatorClient;
  governor: ReplacementGovernor;
  strays: StrayKiller;
  storageWatch: StorageWatch;
  frameworkWrites: PersistQueue;
  /** The supervisor's state in KV: a head of fixed size and one record per pod (layout 2). */
  frameworkState: FrameworkState;
  writes: QueuedStateWrites;
  removal: MarathonRemovalRecord;
  replicaMoves: ReplicaMoves;
  replicaRepair: ReplicaRepair;
  offerRounds: OfferRounds;
  /** Offers kept between rounds while the deploy plan is in progress (held-offers.ts). */
  offerHold: OfferHold;
  router: RouterDeps;
  effects: FrameworkEffectDeps;
  timeScale: number;
  killWaitMs: number;
}

type Core = Pick<ServiceParts, 'service' | 'opts' | 'logger' | 'metrics' | 'transitions' | 'specs' | 'store' | 'px' | 'nc' | 'timeScale' | 'killWaitMs'> & {
  /** The hosts of held offers, for volume planning (bound to the offer hold once it exists). */
  held: { hosts(): ReadonlyMap<string, HeldResources> };
};

/** Build every part of one service's scheduler. Nothing starts here (Runtime.start does). */
export function composeService(opts: RuntimeOptions, store: ServiceStateStore, hooks: LifecycleHooks, leaseStore: ServiceStateStore = store): ServiceParts {
  const service = opts.spec.name;
  const logger = (opts.logger ?? childLogger({})).child({ service });
  const core: Core = {
    service,
    opts,
    logger,
    metrics: createMetrics(service),
    transitions: new TransitionLog(service, logger.child({ actor: 'transitions' }), opts.recorder, opts.nc),
    specs: new SpecHolder(opts.spec, opts.specYaml),
    store,
    px: opts.px,
    nc: opts.nc,
    timeScale: opts.timeScale ?? 1,
    killWaitMs: opts.killWaitMs ?? 60_000,
    held: { hosts: () => new Map<string, HeldResources>() },
  };
  const control = composeControl(core, leaseStore);
  const pods = composePods(core, control);
  const parts = { ...core, ...control, ...pods };
  const { offerRounds, offerHold } = composeOffers(parts);
  core.held.hosts = () => offerHold.hosts();
  const router = routerDeps(parts, offerRounds, offerHold, hooks);
  const effects = effectDeps(parts, hooks);
  return { ...parts, offerRounds, offerHold, router, effects };
}

/** Leadership, the Mesos connection, the supervisor and its persistence. */
function composeControl(core: Core, leaseStore: ServiceStateStore) {
  const { logger, opts } = core;
  const ttlMs = opts.leaseTtlMs ?? 15_000;
  const scheduler = new SchedulerConnection(logger);
  const removal = new MarathonRemovalRecord();
  const persistence = { enabled: true };
  // `leading` is read late (by the queue, at write time): the leadership is built just below.
  const frameworkWrites = new PersistQueue(core.store, logger, () => leadership.leading);
  const frameworkState = new FrameworkState(core.store, frameworkWrites);
  const supervisor = new SupervisorHost({
    transitions: core.transitions,
    metrics: core.metrics,
    logger,
    onSnapshot: (snap) => persistSupervisor(snap, { persistence, frameworkWrites, frameworkState, removal }),
  });
  // The lease on its own connection (leaseStore): no queue of state writes stands before a renewal.
  const leadership = new LeaseLeadership(new LeaderLease(leaseStore, { holder: opts.instanceId, ttlMs }), ttlMs, logger, () => supervisor.send({ type: 'LEASE_LOST' }));
  const marathon = opts.marathon ? { settings: opts.marathon, client: new MarathonClient({ url: opts.marathon.url, ...(opts.mesosAuth ? { auth: opts.mesosAuth } : {}) }) } : undefined;
  const operator = new MesosOperatorClient({
    master: opts.mesosUrl,
    ...(opts.mesosAuth ? { auth: opts.mesosAuth } : {}),
    ...(opts.recorder ? { recorder: opts.recorder } : {}),
    logger: logger.child({ module: 'mesos-operator' }),
  });
  return { scheduler, removal, persistence, frameworkWrites, frameworkState, supervisor, leadership, marathon, operator };
}

/**
 * Through the queue: one write in flight, the latest state wins, never an older one last. Once
 * the state is deleted, the supervisor's progress lives in the tombstone instead.
 */
function persistSupervisor(
  snap: FrameworkSnapshot,
  p: { persistence: { enabled: boolean }; frameworkWrites: PersistQueue; frameworkState: FrameworkState; removal: MarathonRemovalRecord },
): void {
  const is = (state: FrameworkStateCheck) => frameworkIn(snap, state);
  if (!p.persistence.enabled || is('unsaved')) return;
  const ctx = snap.context;
  const key = persistKey(is, ctx);
  if (key === FRAMEWORK_KEY) p.frameworkState.save(toSavedState(ctx));
  if (key === TOMBSTONE_KEY) p.frameworkWrites.write(TOMBSTONE_KEY, tombstoneRecord(ctx, p.removal.get()));
}

type Control = ReturnType<typeof composeControl>;

/** The pod actors and what they and the watches need: cluster view, tasks, strays, volumes, snapshots. */
function composePods(core: Core, control: Control) {
  const { logger, opts, timeScale, specs } = core;
  const spec = () => specs.spec();
  const cluster = new ClusterState();
  const tasks = new TaskTracker();
  const memory = new PlacementMemory();
  const killTimeoutMs = opts.podTiming?.killTimeoutMs ?? 30_000;
  // Deferred grants: they happen while the runtime handles a pod's own state change.
  const governor = createReplacementGovernor({ spec, timeScale, logger, metrics: core.metrics, transitions: core.transitions, grant: (pod) => queueMicrotask(() => grantReplacement(pod)) });
  const strays = new StrayKiller({
    kill: (taskId, agentId) => control.scheduler.kill(taskId, agentId),
    reachable: (agentId) => cluster.reachable(agentId),
    minIntervalMs: killTimeoutMs,
    retry: { initialMs: 1_000 / timeScale, maxMs: killTimeoutMs },
    logger: logger.child({ module: 'stray-killer' }),
  });
  const volumes = new VolumeLocations(opts.px, cluster);
  const podMachine = providePodMachine({
    spec,
    px: opts.px,
    mesos: () => control.scheduler.client(),
    cluster,
    planningView: () => clusterView.view(true),
    heldHosts: () => core.held.hosts(),
    notePlannedHost: (pod, host) => planning.notePlannedHost(pod, host),
    notePlannedReplicas: (pod, hosts) => planning.notePlannedReplicas(pod, hosts),
    siblingReplicaHosts: (podType, index) => planning.siblingReplicaHosts(podType, index),
    // A burst of volume plans (a parallel phase) in time slices on one shared round per slice.
    planRound: (plan) => planSlices.run(() => plan(planning.round())),
    logger: logger.child({ module: 'effects' }),
    metrics: core.metrics,
    waitTaskEnded: (taskId, ms) => tasks.waitTerminal([taskId], ms),
    isTaskTerminal: (taskId) => tasks.surelyEnded(taskId),
    fenceKillWaitMs: killTimeoutMs,
    lastTaskState: (taskId) => tasks.status(taskId)?.state,
    agentAnswers: agentHealthProbe({ agentUrl: opts.agentUrl, timeScale, logger }),
    refreshEvidence: () => storageWatch.refresh(),
    // A listing begun in the last second (or the one in flight) serves every volume planned meanwhile.
    recentStorage: () => storageWatch.recent(RECENT_STORAGE_MS / timeScale),
  });
  const registry: PodRegistry = new PodRegistry({
    spec,
    machine: podMachine,
    store: core.store,
    logger,
    transitions: core.transitions,
    metrics: core.metrics,
    onPodState: (e: PodEntry) => fanOutPodState({ supervisor: control.supervisor, pods: registry, governor, strays, tasks, volumes, metrics: core.metrics, logger }, e),
    timing: { ...opts.podTiming, probationMs: probationMs(opts.spec, timeScale) },
    ...(opts.timeScale ? { timeScale: opts.timeScale } : {}),
    leading: () => control.leadership.leading,
  });
  const grantReplacement = (pod: string) => {
    const entry = registry.get(pod);
    if (entry) registry.send(entry, { type: 'REPLACE_GRANTED' });
  };
  const planning = new PlanningState(registry, volumes, cluster);
  const planSlices = new WorkSlices({ budgetMs: SLICE_BUDGET_MS, onSliceEnd: () => planning.endRound() });
  const clusterView = readonlyCluster(cluster, planning);
  const watches = composeWatches(core, control, { cluster, governor, registry, tasks, volumes, memory });
  const { storageWatch } = watches;
  return { cluster, clusterView, planning, tasks, memory, governor, strays, volumes, registry, ...watches };
}

/** The storage watch, the snapshots, the state writes and the replica moves and repair (one each). */
function composeWatches(
  core: Core,
  control: Control,
  p: { cluster: ClusterState; governor: ReplacementGovernor; registry: PodRegistry; tasks: TaskTracker; volumes: VolumeLocations; memory: PlacementMemory },
) {
  const { logger, opts } = core;
  const spec = () => core.specs.spec();
  const { cluster, registry, volumes } = p;
  const storageWatch = new StorageWatch({
    service: core.service,
    nc: core.nc,
    px: opts.px,
    operator: control.operator,
    cluster,
    governor: p.governor,
    pods: registry,
    supervisor: control.supervisor,
    logger,
    intervalMs: opts.refreshMs ?? 10_000,
  });
  const snapshots = new SnapshotManager({ service: core.service, spec, pods: registry, tasks: p.tasks, px: opts.px, kv: core.store, runner: opts.commandRunner });
  const writes = new QueuedStateWrites(control.frameworkWrites, registry);
  const emit = transitionsOf(core.transitions)?.emit;
  const replicaMoves = new ReplicaMoves({ px: volumes.portworx, cluster, volumes, memory: p.memory, logger, ...(emit ? { emit } : {}) });
  // Driven by the storage refreshes: an idle scheduler (every pod running, offers suppressed) repairs too.
  const replicaRepair = createReplicaRepair({ spec, registry, cluster, volumes, logger, transitions: core.transitions });
  return { storageWatch, snapshots, writes, replicaMoves, replicaRepair };
}

type Parts = Core & Control & ReturnType<typeof composePods>;

/** The offer handler's deps, the queue that runs its rounds one at a time, and the offer hold. */
function composeOffers(p: Parts): { offerRounds: OfferRounds; offerHold: OfferHold } {
  // RESCIND events (through the router) reach a round that is placing in slices.
  const rescinded = new RescindedOffers();
  const offerHold: OfferHold = new OfferHold({
    client: () => p.scheduler.client(),
    subscription: () => p.scheduler.subscription,
    wanted: () => p.supervisor.is('deploying'),
    agents: () => p.cluster.knownAgents().length,
    round: (offers): Promise<{ waiting: boolean }> => handleOffers(deps, offers),
    enqueue: (offers) => offerRounds.handle(offers),
    revive: () => p.scheduler.revive(),
    rescinded,
    reachable: (agentId) => p.cluster.reachable(agentId),
    metrics: p.metrics,
    logger: p.logger.child({ actor: 'offer-hold' }),
    timeScale: p.timeScale,
  });
  const deps = {
    rescinded,
    hold: (unused: Offer[]): Offer[] => offerHold.keep(unused),
    launched: new LaunchedIndex(p.registry, p.cluster),
    spec: () => p.specs.spec(),
    registry: p.registry,
    cluster: p.cluster,
    volumes: p.volumes,
    memory: p.memory,
    replicaMoves: p.replicaMoves,
    mesos: () => p.scheduler.client(),
    podsByAgent: () => p.planning.podsByAgent(),
    launching: () => p.supervisor.is('active'),
    // The id each launch records (pxfw/config-id label): the spec the pod is launched with.
    targetConfigId: () => configId(p.specs.yaml()),
    logger: p.logger,
    metrics: p.metrics,
    transitions: p.transitions,
    // A fenced host comes back into placement only once the pod's old task is not alive there.
    taskState: (taskId: string) => p.tasks.status(taskId)?.state,
    // The RECONCILE after an ACCEPT with an unknown outcome runs on simulated time too.
    reconcileBackoff: { initialMs: 1_000 / p.timeScale, maxMs: 30_000 / p.timeScale },
  };
  // A RESCIND takes a held offer out of the hold at once, and reaches a round placing in slices.
  const rescinds = { add: (offerId: string) => (rescinded.add(offerId), offerHold.drop(offerId)) };
  const offerRounds = new OfferRounds((offers: Offer[]) => offerHold.round(offers), p.logger, rescinds);
  return { offerRounds, offerHold };
}

function routerDeps(p: Parts, rounds: OfferRounds, hold: OfferHold, hooks: LifecycleHooks): RouterDeps {
  // Offers are stamped with their subscription as they arrive (a round may run after a re-SUBSCRIBE).
  const offers = { handle: (o: Offer[]) => (hold.arrived(o), rounds.handle(o)), rescind: (id: string) => rounds.rescind(id) };
  return {
    service: p.service,
    scheduler: p.scheduler,
    supervisor: p.supervisor,
    cluster: p.cluster,
    pods: p.registry,
    tasks: p.tasks,
    strays: p.strays,
    offers,
    frameworkRemoved: () => hooks.frameworkRemoved(),
    metrics: p.metrics,
    logger: p.logger,
  };
}

function effectDeps(p: Parts & { removal: MarathonRemovalRecord }, hooks: LifecycleHooks): FrameworkEffectDeps {
  return {
    service: p.service,
    spec: () => p.specs.spec(),
    // `framework` read as one pass over the bucket and assembled from its per-pod records.
    kv: p.frameworkState.effectStore(),
    writes: p.writes,
    supervisor: p.supervisor,
    removal: p.removal,
    leadership: p.leadership,
    scheduler: p.scheduler,
    pods: p.registry,
    tasks: p.tasks,
    cluster: p.clusterView,
    px: p.px,
    snapshots: p.snapshots,
    killWaitMs: p.killWaitMs,
    logger: p.logger,
    marathon: p.marathon,
    resetForReinstall: () => hooks.resetForReinstall(),
  };
}
