import { createActor, type Actor } from 'xstate';
import type { NatsConnection } from '@nats-io/nats-core';
import { frameworkMachine } from '../../machines/framework.machine';
import { toSavedState } from '../../machines/framework.logic';
import type { FrameworkContext, FrameworkEvent } from '../../machines/framework.types';
import { MesosOperatorClient, type MesosSchedulerClient } from '../mesos';
import type { PortworxClient } from '../portworx';
import { PlacementMemory } from '../placement';
import type { ServiceSpec } from '../service-spec';
import { childLogger, type Logger } from '../log/logger';
import { createMetrics, type Metrics } from '../observe/metrics';
import { TransitionLog } from '../observe/transition-log';
import { ServiceStateStore } from '../state/state-store';
import { LeaderLease } from '../state/leader-lease';
import { ClusterState } from './cluster-view';
import { PodRegistry, type PodEntry } from './pod-registry';
import { frameworkEffectActors, FRAMEWORK_KEY } from './framework-effects';
import { VolumeLocations } from './volume-locations';
import { SnapshotManager } from './snapshots';
import { TaskTracker } from './task-tracker';
import { PersistQueue } from './persist-queue';
import { PlanningState } from './planning-state';
import { routeSchedulerEvent } from './mesos-router';
import { StorageWatch } from './storage-watch';
import { frameworkStatePath } from './state-names';
import type { ReplacementGovernor } from './replacement-governor';
import { ensureReplicaRepair } from './replica-repair';
import { StrayKiller } from './stray-killer';
import { agentHealthProbe, createReplacementGovernor, probationMs } from './failure-policy';
import { MarathonClient, type MarathonSettings } from '../marathon';
import type { RuntimeOptions } from './runtime-options';
import { LeaseKeeper } from './lease-keeper';
import { frameworkInput, providePodMachine, schedulerClient } from './runtime-wiring';
import { fanOutPodState } from './pod-state-fanout';
import { persistKey, tombstoneRecord, TOMBSTONE_KEY, type MarathonRemoval } from './tombstone';
import { registerLifecycle } from '../api/lifecycle';
import { serviceStatusView } from './service-status';
import { OperationConflictError } from '../api/errors';

export type { RuntimeOptions } from './runtime-options';

/** One service's scheduler: the supervisor actor, the pod actors and every effect they use. */
export class Runtime {
  readonly service: string;
  spec: ServiceSpec;
  specYaml: string;
  readonly px: PortworxClient;
  readonly nc: NatsConnection;
  readonly store: ServiceStateStore;
  readonly lease: LeaderLease;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly transitions: TransitionLog;
  readonly cluster = new ClusterState();
  readonly tasks = new TaskTracker();
  readonly memory = new PlacementMemory();
  readonly registry: PodRegistry;
  readonly volumes: VolumeLocations;
  readonly snapshots: SnapshotManager;
  readonly operator: MesosOperatorClient;
  readonly timing: { killWaitMs: number };
  /** Blast-radius limits: grants replacement slots (REPLACE_GRANTED) and pauses in a storage outage. */
  readonly governor: ReplacementGovernor;
  /** Divides the spec's durations (the sandbox and tests run simulated time faster). */
  readonly timeScale: number;
  /** Kills tasks no pod owns, once per change of their agent's reachability (no kill storm). */
  readonly strays: StrayKiller;
  framework!: Actor<typeof frameworkMachine>;
  /** Removes the scheduler's own Marathon app at the end of an uninstall (`--marathon`). */
  readonly marathon: { settings: MarathonSettings; client: MarathonClient } | undefined;
  /** The Marathon app removal recorded in the tombstone (see tombstone.ts removeOwnApp). */
  marathonRemoval: MarathonRemoval = null;
  mesos: MesosSchedulerClient | undefined;
  subscribed = false;
  /** Set while our own TEARDOWN is in flight: the master closing the stream is then expected. */
  tearingDown = false;
  private frameworkState = '';
  /** The type of the last event the supervisor received (for the transition log). */
  private frameworkEvent = 'xstate.init';
  private persisting = true;
  private podsRestored = false;
  private subscribing: Promise<void> | undefined;
  /** Set when the lease is acquired, cleared on step-down: only the leader writes state. */
  leading = false;
  /** Bumped on every step-down, so work started as leader stops once it is not. */
  private generation = 0;
  private readonly frameworkWrites: PersistQueue;
  private storageWatch: StorageWatch;
  private readonly leaseKeeper: LeaseKeeper;
  private readonly planning: PlanningState;
  private unregister: () => void = () => undefined;

  private constructor(
    readonly opts: RuntimeOptions,
    store: ServiceStateStore,
  ) {
    this.service = opts.spec.name;
    this.spec = opts.spec;
    this.specYaml = opts.specYaml;
    this.px = opts.px;
    this.nc = opts.nc;
    this.store = store;
    this.logger = (opts.logger ?? childLogger({})).child({ service: this.service });
    this.metrics = createMetrics(this.service);
    this.transitions = new TransitionLog(this.service, this.logger.child({ actor: 'transitions' }), opts.recorder, opts.nc);
    this.lease = new LeaderLease(store, { holder: opts.instanceId, ttlMs: opts.leaseTtlMs ?? 15_000 });
    this.leaseKeeper = new LeaseKeeper(this.lease, opts.leaseTtlMs ?? 15_000, this.logger, () => this.framework.send({ type: 'LEASE_LOST' }));
    this.timing = { killWaitMs: opts.killWaitMs ?? 60_000 };
    const timeScale = opts.timeScale ?? 1;
    this.timeScale = timeScale;
    // Deferred grants: they happen while the runtime handles a pod's own state change.
    this.governor = createReplacementGovernor({ spec: () => this.spec, timeScale, logger: this.logger, metrics: this.metrics, transitions: this.transitions, grant: (pod) => queueMicrotask(() => this.grantReplacement(pod)) });
    this.strays = new StrayKiller({
      kill: (taskId, agentId) => this.mesosCall('kill', (m) => m.kill(taskId, agentId)),
      reachable: (agentId) => this.cluster.reachable(agentId),
      minIntervalMs: opts.podTiming?.killTimeoutMs ?? 30_000,
      retry: { initialMs: 1_000 / timeScale, maxMs: opts.podTiming?.killTimeoutMs ?? 30_000 },
      logger: this.logger.child({ module: 'stray-killer' }),
    });
    this.volumes = new VolumeLocations(opts.px, this.cluster);
    this.snapshots = new SnapshotManager(this, opts.commandRunner);
    this.operator = new MesosOperatorClient({ master: opts.mesosUrl, ...(opts.mesosAuth ? { auth: opts.mesosAuth } : {}), ...(opts.recorder ? { recorder: opts.recorder } : {}), logger: this.logger.child({ module: 'mesos-operator' }) });
    const podMachine = providePodMachine({
      spec: () => this.spec,
      px: opts.px,
      mesos: () => (this.subscribed ? this.mesos : undefined),
      cluster: this.cluster,
      planningView: () => this.cluster.view(this.planning.podsByAgent(true)),
      notePlannedHost: (pod, host) => this.planning.notePlannedHost(pod, host),
      notePlannedReplicas: (pod, hosts) => this.planning.notePlannedReplicas(pod, hosts),
      siblingReplicaHosts: (podType, index) => this.planning.siblingReplicaHosts(podType, index),
      logger: this.logger.child({ module: 'effects' }),
      metrics: this.metrics,
      waitTaskEnded: (taskId, ms) => this.tasks.waitTerminal([taskId], ms),
      isTaskTerminal: (taskId) => this.tasks.surelyEnded(taskId),
      fenceKillWaitMs: opts.podTiming?.killTimeoutMs ?? 30_000,
      lastTaskState: (taskId) => this.tasks.status(taskId)?.state,
      agentAnswers: agentHealthProbe({ agentUrl: opts.agentUrl, timeScale, logger: this.logger }),
      refreshEvidence: () => this.storageWatch.refresh(),
    });
    this.registry = new PodRegistry({
      spec: () => this.spec,
      machine: podMachine,
      store,
      logger: this.logger,
      transitions: this.transitions,
      metrics: this.metrics,
      onPodState: (e) => this.onPodState(e),
      timing: { ...opts.podTiming, probationMs: probationMs(opts.spec, timeScale) },
      ...(opts.timeScale ? { timeScale: opts.timeScale } : {}),
      leading: () => this.leading,
    });
    this.planning = new PlanningState(this.registry, this.volumes, this.cluster);
    this.storageWatch = new StorageWatch(this, opts.refreshMs ?? 10_000);
    this.frameworkWrites = new PersistQueue(store, this.logger, () => this.leading);
    const marathon = opts.marathon;
    this.marathon = marathon ? { settings: marathon, client: new MarathonClient({ url: marathon.url, ...(opts.mesosAuth ? { auth: opts.mesosAuth } : {}) }) } : undefined;
  }

  static async start(opts: RuntimeOptions): Promise<Runtime> {
    const store = await ServiceStateStore.open(opts.nc, opts.spec.name);
    const rt = new Runtime(opts, store);
    // Driven by the storage refreshes: an idle scheduler (every pod running, offers suppressed) repairs too.
    ensureReplicaRepair({ spec: () => rt.spec, registry: rt.registry, cluster: rt.cluster, volumes: rt.volumes, logger: rt.logger, transitions: rt.transitions });
    await rt.storageWatch.start();
    rt.startFramework();
    rt.unregister = registerLifecycle(rt.service, {
      reinstall: async () => rt.reinstall(),
      status: async () => serviceStatusView(rt),
    });
    return rt;
  }

  get frameworkContext(): FrameworkContext {
    return this.framework.getSnapshot().context;
  }

  get frameworkStateName(): string {
    return this.frameworkState;
  }

  sendFramework(event: FrameworkEvent): void {
    this.framework.send(event);
  }

  stopPersisting(): void {
    this.persisting = false;
  }

  async stop(): Promise<void> {
    const leading = this.leading;
    this.unregister();
    this.leaseKeeper.stop();
    this.strays.clear();
    await this.storageWatch.stop();
    this.framework.stop();
    this.registry.stopAll();
    await this.mesos?.stop();
    this.mesos = undefined;
    if (!this.persisting) return;
    await this.registry.flushAll();
    await this.frameworkWrites.flushAll();
    // A clean stop hands over at once instead of making the successor wait out the TTL.
    if (leading) await this.lease.release().catch((err: unknown) => this.logger.warn({ err }, 'could not release the leader lease'));
    this.leading = false;
  }

  podsByAgent(planned = false): Map<string, Record<string, string[]>> {
    return this.planning.podsByAgent(planned);
  }

  private startFramework(): void {
    const machine = frameworkMachine.provide({
      actors: frameworkEffectActors(this),
      // Deferred: an action runs inside the supervisor's transition, and these start other
      // actors and send events back to the supervisor, which must happen after it.
      actions: {
        subscribe: () => queueMicrotask(() => void this.subscribe()),
        startPod: (_, ref) => queueMicrotask(() => this.startPod(ref)),
        decommissionPod: (_, ref) => queueMicrotask(() => this.decommissionPod(ref)),
        revive: () => queueMicrotask(() => void this.mesosCall('revive', (m) => m.revive())),
        suppress: () => queueMicrotask(() => void this.mesosCall('suppress', (m) => m.suppress())),
        stepDown: () => queueMicrotask(() => void this.stepDown()),
      },
    });
    this.framework = createActor(machine, {
      inspect: (ie) => {
        if (ie.type === '@xstate.event' && ie.actorRef === this.framework) this.frameworkEvent = ie.event.type;
      },
      input: frameworkInput(this.spec, this.opts.frameworkTiming),
    });
    this.framework.subscribe({
      next: (snap) => this.onFrameworkSnapshot(snap.value, snap.context),
      error: (err) => this.logger.error({ err }, 'framework actor failed'),
    });
    this.framework.start();
  }

  private onFrameworkSnapshot(value: unknown, ctx: FrameworkContext): void {
    const to = frameworkStatePath(value);
    if (to !== this.frameworkState) {
      this.transitions.emit({ actor: 'framework', from: this.frameworkState || 'init', to, event: this.frameworkEvent, reason: ctx.reason });
      this.metrics.transitions.inc({ actor_kind: 'framework', to: to.split(/[.(]/)[0] ?? to });
      this.frameworkState = to;
    }
    if (this.persisting && !to.startsWith('starting') && !to.startsWith('standby')) {
      // Through the queue: one write in flight, the latest state wins, never an older one last.
      // Once the state is deleted, the supervisor's progress lives in the tombstone instead.
      const key = persistKey(to, ctx);
      if (key === FRAMEWORK_KEY) this.frameworkWrites.write(FRAMEWORK_KEY, toSavedState(ctx));
      if (key === TOMBSTONE_KEY) this.frameworkWrites.write(TOMBSTONE_KEY, tombstoneRecord(ctx, this.marathonRemoval));
    }
  }

  private onPodState(e: PodEntry): void {
    fanOutPodState(this, e);
  }

  private grantReplacement(pod: string): void {
    const entry = this.registry.get(pod);
    if (entry) this.registry.send(entry, { type: 'REPLACE_GRANTED' });
  }

  private startPod(ref: { podType: string; index: number }): void {
    const entry = this.registry.ensure(ref.podType, ref.index);
    if (entry.state === 'stopped') this.registry.send(entry, { type: 'START' });
    this.onPodState(entry);
  }

  private decommissionPod(ref: { podType: string; index: number }): void {
    const entry = this.registry.get(`${ref.podType}-${ref.index}`);
    if (!entry) {
      this.framework.send({ type: 'POD_STATE', podType: ref.podType, index: ref.index, state: 'decommissioned' });
      return;
    }
    this.registry.send(entry, { type: 'DECOMMISSION', volumes: this.spec.volumePolicy });
  }

  /** Idempotent: restore the pods (once, now that we lead) and keep one Mesos subscription. */
  /** Single-flight: re-entering `subscribing` while a restore is under way must not restore twice. */
  private subscribe(): Promise<void> {
    this.subscribing ??= this.doSubscribe()
      .catch((err: unknown) => {
        // Left to the supervisor's subscribe timeout, which calls subscribe again.
        this.logger.error({ err }, 'restoring pods or subscribing failed');
      })
      .finally(() => {
        this.subscribing = undefined;
      });
    return this.subscribing;
  }

  private async doSubscribe(): Promise<void> {
    const generation = this.generation;
    this.keepLease();
    if (!this.podsRestored) {
      const restored = await this.registry.restore();
      if (generation !== this.generation) return; // stepped down meanwhile: leave it to the next leader
      this.podsRestored = true;
      // Pods of a service being uninstalled must not act again (e.g. re-create a disposed volume).
      if (this.frameworkContext.uninstall) this.registry.stopAll();
      else {
        for (const e of restored) this.onPodState(e);
        // Only a snapshot restore stops pods; one that a crash interrupted must not leave the
        // service down for good (the operator's restore request already failed).
        for (const e of restored.filter((p) => p.state === 'stopped')) {
          this.logger.warn({ pod: e.name }, 'an interrupted snapshot restore left this pod stopped: starting it');
          this.registry.send(e, { type: 'START' });
        }
      }
    }
    if (this.mesos || generation !== this.generation) return;
    const frameworkId = this.frameworkContext.frameworkId ?? undefined;
    this.mesos = schedulerClient(this.opts, this.service, frameworkId, this.logger);
    this.mesos.onEvent((ev) => routeSchedulerEvent(this, ev));
    this.mesos.start();
  }

  /** Renew the lease every third of its TTL; losing it, or failing to renew in time, stands us down. Idempotent. */
  keepLease(): void {
    this.leaseKeeper.start();
  }

  private async stepDown(): Promise<void> {
    this.generation += 1;
    this.leading = false;
    this.leaseKeeper.stop();
    this.strays.clear();
    this.registry.clear();
    this.podsRestored = false;
    const m = this.mesos;
    this.mesos = undefined;
    this.subscribed = false;
    await m?.stop();
  }

  /**
   * The master will never take our framework id again: drop the client (it would retry the
   * same SUBSCRIBE forever) and let the supervisor decide (finish an uninstall, or register anew).
   */
  async frameworkRemoved(): Promise<void> {
    const m = this.mesos;
    this.mesos = undefined;
    this.subscribed = false;
    await m?.stop();
    this.framework.send({ type: 'FRAMEWORK_REMOVED' });
  }

  /** `pxfw <service> reinstall`: only an uninstalled service can be deployed again. */
  reinstall(): { accepted: boolean; message: string } {
    if (this.frameworkState !== 'uninstalled') {
      throw new OperationConflictError(`${this.service} is not uninstalled (scheduler ${this.frameworkState || 'starting'}): nothing to reinstall`);
    }
    this.framework.send({ type: 'REINSTALL' });
    return { accepted: true, message: `reinstalling ${this.service}: removing the tombstone, then deploying it again under a new framework id` };
  }

  async flushFrameworkWrites(): Promise<void> {
    await this.frameworkWrites.flushAll();
  }

  /** Write one of the supervisor's keys now (through its queue: no older write can land after it). */
  async writeFrameworkKey(key: string, value: unknown): Promise<void> {
    this.frameworkWrites.write(key, value);
    await this.frameworkWrites.flush(key);
  }

  /** Before a reinstall: no Mesos client of the torn-down framework, no pod actors, a fresh restore. */
  async resetForReinstall(): Promise<void> {
    const m = this.mesos;
    this.mesos = undefined;
    this.subscribed = false;
    this.tearingDown = false;
    this.registry.clear();
    this.podsRestored = false;
    await m?.stop();
    // The storage watch rests while uninstalled: plan the new pods on a current view.
    await this.storageWatch.refresh();
  }

  /**
   * One scheduler call, if subscribed; a failure is logged, not thrown. Resolves whether the call
   * went through (false: not subscribed, or the master refused it, e.g. 403 during a failover),
   * for callers that must try again (the stray killer); the others may ignore it.
   */
  async mesosCall(what: string, fn: (m: MesosSchedulerClient) => Promise<void>): Promise<boolean> {
    const m = this.mesos;
    if (!m || !this.subscribed) return false;
    try {
      await fn(m);
      return true;
    } catch (err) {
      this.logger.warn({ err, call: what }, 'Mesos call failed');
      return false;
    }
  }
}
