import type { NatsConnection } from '@nats-io/nats-core';
import { frameworkMachine } from '../../machines/framework.machine';
import type { FrameworkContext, FrameworkEvent } from '../../machines/framework.types';
import { POD_TAGS } from '../../machines/pod-instance.logic';
import type { MesosOperatorClient } from '../mesos';
import type { PortworxClient } from '../portworx';
import type { PlacementMemory } from '../placement';
import type { ServiceSpec } from '../service-spec';
import type { Logger } from '../log/logger';
import type { Metrics } from '../observe/metrics';
import type { TransitionLog } from '../observe/transition-log';
import { ServiceStateStore } from '../state/state-store';
import { openLeaseConnection, type LeaseConnection } from '../state/lease-connection';
import { childLogger } from '../log/logger';
import { registerLifecycle } from '../api/lifecycle';
import { OperationConflictError } from '../api/errors';
import type { ClusterState } from './cluster-view';
import { composeService, type ServiceParts } from './composition-root';
import { frameworkEffectActors } from './framework-effects';
import { routeSchedulerEvent } from './mesos-router';
import type { PodRegistry } from './pod-registry';
import type { FrameworkSnapshot, SupervisorListener } from './ports/supervisor';
import type { FrameworkStateCheck } from './state-names';
import type { ReplacementGovernor } from './replacement-governor';
import type { RuntimeOptions } from './runtime-options';
import { frameworkInput, PodActions, schedulerClient } from './runtime-wiring';
import { serviceStatusView } from './service-status';
import type { SnapshotManager } from './snapshots';
import type { StrayKiller } from './stray-killer';
import type { TaskTracker } from './task-tracker';
import type { VolumeLocations } from './volume-locations';

export type { RuntimeOptions } from './runtime-options';

/**
 * One service's scheduler: its lifecycle (start, subscribe, step down, stop) over the parts the
 * composition root built. The operator verbs use the public surface below; the router, the
 * effects and the watches never see this object (they take narrow ports).
 */
export class Runtime {
  readonly service: string;
  readonly opts: RuntimeOptions;
  readonly px: PortworxClient;
  readonly nc: NatsConnection;
  readonly store: ServiceStateStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly transitions: TransitionLog;
  readonly cluster: ClusterState;
  readonly tasks: TaskTracker;
  readonly memory: PlacementMemory;
  readonly registry: PodRegistry;
  readonly volumes: VolumeLocations;
  readonly snapshots: SnapshotManager;
  readonly operator: MesosOperatorClient;
  /** Blast-radius limits: grants replacement slots (REPLACE_GRANTED) and pauses in a storage outage. */
  readonly governor: ReplacementGovernor;
  /** Kills tasks no pod owns, once per change of their agent's reachability (no kill storm). */
  readonly strays: StrayKiller;
  /** Divides the spec's durations (the sandbox and tests run simulated time faster). */
  readonly timeScale: number;
  private readonly parts: ServiceParts;
  private podsRestored = false;
  /** Pod starts and decommissions the supervisor asked for: run in slices (see WorkSlices). */
  private readonly podActions: PodActions;
  private subscribing: Promise<void> | undefined;
  private unregister: () => void = () => undefined;

  private constructor(
    opts: RuntimeOptions,
    store: ServiceStateStore,
    leaseStore: ServiceStateStore,
    private readonly leaseConnection: LeaseConnection,
  ) {
    this.parts = composeService(
      opts,
      store,
      {
        frameworkRemoved: () => void this.frameworkRemoved(),
        resetForReinstall: () => this.resetForReinstall(),
      },
      leaseStore,
    );
    const p = this.parts;
    ({ service: this.service, opts: this.opts, px: this.px, nc: this.nc, store: this.store, logger: this.logger } = p);
    ({ metrics: this.metrics, transitions: this.transitions, cluster: this.cluster, tasks: this.tasks, memory: this.memory } = p);
    ({ registry: this.registry, volumes: this.volumes, snapshots: this.snapshots, operator: this.operator } = p);
    ({ governor: this.governor, strays: this.strays, timeScale: this.timeScale } = p);
    this.podActions = new PodActions(this.logger);
  }

  static async start(opts: RuntimeOptions): Promise<Runtime> {
    const store = await ServiceStateStore.open(opts.nc, opts.spec.name);
    const logger = opts.logger ?? childLogger({});
    const lease: LeaseConnection = opts.leaseNc
      ? { nc: opts.leaseNc, owned: false, close: async () => undefined }
      : await openLeaseConnection(opts.nc, logger);
    const leaseStore = lease.nc === opts.nc ? store : await ServiceStateStore.open(lease.nc, opts.spec.name);
    const rt = new Runtime(opts, store, leaseStore, lease);
    await rt.parts.storageWatch.start();
    rt.startFramework();
    rt.unregister = registerLifecycle(rt.service, {
      reinstall: async () => rt.reinstall(),
      status: async () => serviceStatusView(rt.service, rt.parts.supervisor),
    });
    return rt;
  }

  get spec(): ServiceSpec {
    return this.parts.specs.spec();
  }

  /** Prefer setSpec (kept for the operator verbs until they use it). */
  set spec(spec: ServiceSpec) {
    this.parts.specs.set(spec);
  }

  get specYaml(): string {
    return this.parts.specs.yaml();
  }

  set specYaml(yaml: string) {
    this.parts.specs.set(this.parts.specs.spec(), yaml);
  }

  /** The new target spec (scale, config update). */
  setSpec(spec: ServiceSpec, yaml?: string): void {
    this.parts.specs.set(spec, yaml);
  }

  /** Only the leader writes state. */
  get leading(): boolean {
    return this.parts.leadership.leading;
  }

  get subscribed(): boolean {
    return this.parts.scheduler.subscribed;
  }

  get frameworkContext(): FrameworkContext {
    return this.parts.supervisor.context();
  }

  get frameworkStateName(): string {
    return this.parts.supervisor.stateName();
  }

  /** Is the supervisor in one of the states the controller acts on (tags, never the state name)? */
  frameworkIs(state: FrameworkStateCheck): boolean {
    return this.parts.supervisor.is(state);
  }

  /** The supervisor as the operator verbs may use it (kept: `rt.framework.subscribe`). */
  get framework(): { subscribe(listener: SupervisorListener): { unsubscribe(): void } } {
    return { subscribe: (listener) => ({ unsubscribe: this.onFramework(listener) }) };
  }

  /** Every supervisor snapshot; returns the unsubscribe function. */
  onFramework(listener: SupervisorListener): () => void {
    return this.parts.supervisor.subscribe(listener);
  }

  /** Resolves with the first supervisor snapshot (the current one included) that satisfies `predicate` (xstate waitFor). */
  waitForFramework(predicate: (snap: FrameworkSnapshot) => boolean, timeoutMs: number): Promise<FrameworkSnapshot> {
    return this.parts.supervisor.waitFor(predicate, timeoutMs);
  }

  sendFramework(event: FrameworkEvent): void {
    this.parts.supervisor.send(event);
  }

  podsByAgent(planned = false): Map<string, Record<string, string[]>> {
    return this.parts.planning.podsByAgent(planned);
  }

  stopPersisting(): void {
    this.parts.persistence.enabled = false;
  }

  async stop(): Promise<void> {
    const p = this.parts;
    this.unregister();
    p.leadership.stopRenewing();
    p.strays.clear();
    this.podActions.cancel();
    await p.storageWatch.stop();
    p.supervisor.stop();
    p.registry.stopAll();
    await p.offerHold.release();
    await p.scheduler.drop();
    if (p.persistence.enabled) {
      await p.registry.flushAll();
      await p.frameworkWrites.flushAll();
      await p.leadership.release();
    }
    await this.leaseConnection.close();
  }

  private startFramework(): void {
    const machine = frameworkMachine.provide({
      actors: frameworkEffectActors(this.parts.effects),
      // Deferred: an action runs inside the supervisor's transition, and these start other
      // actors and send events back to the supervisor, which must happen after it.
      actions: {
        subscribe: () => queueMicrotask(() => void this.subscribe()),
        // In slices, in order: a parallel plan starts N pods, never all in one macrotask.
        startPod: (_, ref) => this.podActions.post(() => this.startPod(ref)),
        decommissionPod: (_, ref) => this.podActions.post(() => this.decommissionPod(ref)),
        // Held offers first (a serial deploy's next pod): REVIVE only when none of them fits.
        revive: () => queueMicrotask(() => this.parts.offerHold.wantOffers()),
        suppress: () => queueMicrotask(() => void this.parts.scheduler.suppress()),
        stepDown: () => queueMicrotask(() => void this.stepDown()),
      },
    });
    this.parts.supervisor.start(machine, frameworkInput(this.spec, this.opts.frameworkTiming));
  }

  private startPod(ref: { podType: string; index: number }): void {
    const entry = this.registry.ensure(ref.podType, ref.index);
    if (entry.actor.getSnapshot().hasTag(POD_TAGS.stopped)) this.registry.send(entry, { type: 'START' });
    this.registry.notify(entry);
  }

  private decommissionPod(ref: { podType: string; index: number }): void {
    const entry = this.registry.get(`${ref.podType}-${ref.index}`);
    if (!entry) {
      this.sendFramework({ type: 'POD_STATE', podType: ref.podType, index: ref.index, state: 'decommissioned' });
      return;
    }
    this.registry.send(entry, { type: 'DECOMMISSION', volumes: this.spec.volumePolicy });
  }

  /**
   * Idempotent: restore the pods (once, now that we lead) and keep one Mesos subscription.
   * Single-flight: re-entering `subscribing` while a restore is under way must not restore twice.
   */
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
    const { leadership, scheduler } = this.parts;
    const generation = leadership.generation;
    leadership.keep();
    if (!this.podsRestored) {
      const restored = await this.registry.restore();
      if (generation !== leadership.generation) return; // stepped down meanwhile: leave it to the next leader
      this.podsRestored = true;
      // Pods of a service being uninstalled must not act again (e.g. re-create a disposed volume).
      // A restore a crash interrupted is the persisted restore plan's to finish (its start-pods
      // phase starts the pods it stopped), not a special case here.
      if (this.frameworkContext.uninstall) this.registry.stopAll();
      // Told in slices: 10,000 POD_STATEs to the supervisor in one turn held the loop (the lease renewals, the API).
      else await this.registry.notifyInSlices(restored);
    }
    if (scheduler.connected || generation !== leadership.generation) return;
    const client = schedulerClient(this.opts, this.service, this.frameworkContext.frameworkId ?? undefined, this.logger);
    scheduler.connect(client);
    client.onEvent((ev) => routeSchedulerEvent(this.parts.router, ev));
    client.start();
  }

  /** Renew the lease every third of its TTL; losing it, or failing to renew in time, stands us down. Idempotent. */
  keepLease(): void {
    this.parts.leadership.keep();
  }

  private async stepDown(): Promise<void> {
    this.parts.leadership.stepDown();
    this.podActions.cancel();
    this.strays.clear();
    this.registry.clear();
    this.podsRestored = false;
    await this.parts.offerHold.release();
    await this.parts.scheduler.drop();
  }

  /**
   * The master will never take our framework id again: drop the client (it would retry the
   * same SUBSCRIBE forever) and let the supervisor decide (finish an uninstall, or register anew).
   */
  async frameworkRemoved(): Promise<void> {
    await this.parts.scheduler.drop();
    this.sendFramework({ type: 'FRAMEWORK_REMOVED' });
  }

  /** `pxfw <service> reinstall`: only an uninstalled service can be deployed again. */
  reinstall(): { accepted: boolean; message: string } {
    if (!this.parts.supervisor.is('uninstalled')) {
      throw new OperationConflictError(`${this.service} is not uninstalled (scheduler ${this.frameworkStateName || 'starting'}): nothing to reinstall`);
    }
    this.sendFramework({ type: 'REINSTALL' });
    return { accepted: true, message: `reinstalling ${this.service}: removing the tombstone, then deploying it again under a new framework id` };
  }

  async flushFrameworkWrites(): Promise<void> {
    await this.parts.writes.flushFramework();
  }

  /** Write one of the supervisor's keys now (through its queue: no older write can land after it). */
  async writeFrameworkKey(key: string, value: unknown): Promise<void> {
    await this.parts.writes.writeFrameworkNow(key, value);
  }

  /** Before a reinstall: no Mesos client of the torn-down framework, no pod actors, a fresh restore. */
  async resetForReinstall(): Promise<void> {
    this.podActions.cancel();
    this.registry.clear();
    // The state was deleted (delete-state): the supervisor's next save writes all of it again.
    this.parts.frameworkState.reset();
    this.podsRestored = false;
    await this.parts.scheduler.drop({ forgetTeardown: true });
    // The storage watch rests while uninstalled: plan the new pods on a current view.
    await this.parts.storageWatch.refresh();
  }

  /**
   * One scheduler call, if subscribed; a failure is logged, not thrown. Resolves whether the call
   * went through (false: not subscribed, or the master refused it, e.g. 403 during a failover).
   */
  mesosCall(what: string, fn: Parameters<ServiceParts['scheduler']['call']>[1]): Promise<boolean> {
    return this.parts.scheduler.call(what, fn);
  }
}
