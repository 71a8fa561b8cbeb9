import { subscribeAlerts, type AlertSubscription, type SdkAlert } from '../alerts';
import type { NatsConnection } from '@nats-io/nats-core';
import type { MesosOperatorClient } from '../mesos';
import type { PortworxClient } from '../portworx';
import type { Logger } from '../log/logger';
import type { ClusterState } from './cluster-view';
import type { PodEntry } from './pod-registry';
import type { PodInstanceContext, PodInstanceEvent } from '../../machines/pod-instance.types';
import type { ReplacementGovernor } from './replacement-governor';
import type { SupervisorView } from './ports/supervisor';
import { WorkBudget } from '../util/work-budget';

/** The longest run of pods told between two yields to the event loop: pods, and milliseconds. */
const TELL_SLICE_PODS = 1_000;
const TELL_SLICE_MS = 10;
/** The most agents of a GET_AGENTS answer learned between two yields (and at most EVENT_SLICE_MS). */
const AGENT_SLICE = 250;

/** What the watch reads (Mesos agents, Portworx nodes and alerts) and whom it tells. */
export interface StorageWatchDeps {
  service: string;
  nc: NatsConnection;
  px: Pick<PortworxClient, 'inspectCluster' | 'enumerateNodes'>;
  operator: Pick<MesosOperatorClient, 'getAgents'>;
  /** The one writer of the agents and storage nodes the cluster view shows. */
  cluster: Pick<ClusterState, 'learnAgent' | 'setStorageNodes' | 'storageHosts' | 'storageLiveness'>;
  governor: Pick<ReplacementGovernor, 'observeStorage'>;
  pods: {
    all(): PodEntry[];
    context(e: PodEntry): Pick<PodInstanceContext, 'task'> & Partial<Pick<PodInstanceContext, 'suspicion'>>;
    send(e: PodEntry, ev: PodInstanceEvent): void;
  };
  supervisor: Pick<SupervisorView, 'is'>;
  logger: Logger;
  intervalMs: number;
  /**
   * Re-read the Mesos agents (GET_AGENTS: every agent's full record, megabytes at 2,000 agents)
   * at most this often (default 6 refresh intervals). Agents are learned from offers too, and
   * whether one is gone or unreachable comes from the scheduler's event stream, not from this list.
   */
  agentsMaxAgeMs?: number;
  now?: () => number;
}

/**
 * Keeps the view of agents and Portworx nodes current. Alerts are only hints: each one triggers
 * a re-read of the nodes from Portworx (level-triggered). Every pod with a task then hears what
 * Portworx says of its host: HOST_DOWN when the node is OFFLINE (evidence that starts a
 * probation), HOST_UP otherwise (OK / NONE online; MAINTENANCE / STORAGE_DOWN alive, which
 * evicts nothing: Stork #646, #1385). A periodic refresh repairs anything an alert missed.
 */
export class StorageWatch {
  private timer: NodeJS.Timeout | undefined;
  private sub: AlertSubscription | undefined;
  private refreshing: Promise<void> | undefined;
  private clusterId: string | undefined;
  private stopped = false;
  private agentsReadAt = Number.NEGATIVE_INFINITY;
  /** When the last refresh that listed the storage nodes began. */
  private nodesReadFrom = Number.NEGATIVE_INFINITY;
  /** Per pod: the host and liveness it last heard (`host|up`): HOST_UP goes out on a change only. */
  private readonly told = new WeakMap<PodEntry, string>();

  constructor(private readonly deps: StorageWatchDeps) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.deps.intervalMs);
    try {
      this.clusterId = (await this.deps.px.inspectCluster()).id;
      this.sub = await subscribeAlerts(this.deps.nc, {
        ...(this.clusterId ? { clusterId: this.clusterId } : {}),
        durable: `pxfw-${this.deps.service}-${(this.clusterId ?? 'all').replace(/[^-_A-Za-z0-9]/g, '_')}`,
        handler: (alert) => this.onAlert(alert),
      });
    } catch (err) {
      this.deps.logger.warn({ err }, 'Portworx alerts unavailable; relying on periodic node refresh');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.sub?.stop().catch(() => undefined);
    // A refresh in flight finishes before the caller tears down what it talks to.
    await this.refreshing;
  }

  private async onAlert(alert: SdkAlert): Promise<void> {
    if (alert.resource !== 'RESOURCE_TYPE_NODE') return;
    this.deps.logger.info({ alert: { id: alert.id, node: alert.resource_id, message: alert.message, cleared: alert.cleared } }, 'Portworx node alert');
    await this.refresh();
  }

  /**
   * Re-read agents and storage nodes; tell pods on a node that is down. Never runs twice at once.
   * Not while the service is uninstalled (the tombstone): no pods, nothing to tell; a reinstall
   * refreshes before it deploys.
   */
  refresh(): Promise<void> {
    if (this.stopped || this.deps.supervisor.is('uninstalled')) return Promise.resolve();
    if (!this.refreshing) {
      let listed!: () => void;
      this.listed = new Promise<void>((r) => (listed = r));
      this.refreshing = this.doRefresh(listed).finally(() => {
        listed();
        this.refreshing = undefined;
        this.listed = undefined;
      });
    }
    return this.refreshing;
  }

  /**
   * A storage view read at most `maxAgeMs` ago: the refresh in flight, the last one when it began
   * that recently, else a new one. Volume planning asks before every new volume: in a parallel
   * deploy hundreds ask within a second, and each listing is every node (1.3 MB at 2,000 nodes).
   * A node's liveness changes in Portworx over tens of seconds, and alerts mark it at once.
   * Resolves once the nodes are read, not after every pod heard of them (10,000 pods, in slices).
   */
  recent(maxAgeMs: number): Promise<void> {
    if (!this.refreshing && this.now() - this.nodesReadFrom <= maxAgeMs) return Promise.resolve();
    const refreshing = this.refresh();
    // Once the nodes are read: telling every pod what they say is not waited for.
    return this.listed ?? refreshing;
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** Resolves once the refresh in flight has read the storage nodes (or could not). */
  private listed: Promise<void> | undefined;

  private async doRefresh(listed: () => void): Promise<void> {
    const began = this.now();
    await this.readAgents();
    if (this.stopped) return;
    try {
      this.deps.cluster.setStorageNodes(await this.deps.px.enumerateNodes());
      this.nodesReadFrom = began;
    } catch (err) {
      this.deps.logger.warn({ err }, 'cannot list Portworx nodes');
      return;
    }
    this.deps.governor.observeStorage(this.deps.cluster.storageHosts());
    listed();
    await this.tellPods();
  }

  /** GET_AGENTS when the last read is older than `agentsMaxAgeMs` (the first refresh always reads). */
  private async readAgents(): Promise<void> {
    const now = (this.deps.now ?? Date.now)();
    if (now - this.agentsReadAt < (this.deps.agentsMaxAgeMs ?? 6 * this.deps.intervalMs)) return;
    try {
      const agents = await this.deps.operator.getAgents();
      this.agentsReadAt = now;
      // 2,000 agents learned in one go held the event loop 50-80 ms: in slices (each agent's
      // record is whole at every turn; a view built meanwhile sees some agents as read before).
      const budget = new WorkBudget({ maxUnits: AGENT_SLICE });
      for (const a of agents.agents ?? []) {
        if (a.agent_info.id) this.deps.cluster.learnAgent({ ...a.agent_info, agentId: a.agent_info.id.value });
        await budget.step(1);
        if (this.stopped) return;
      }
    } catch (err) {
      this.deps.logger.warn({ err }, 'cannot list Mesos agents');
    }
  }

  /**
   * Every pod, including those whose agent Mesos already marked unreachable: the probation and
   * its confirmation decide, never a skip (which left such a pod waiting 20 minutes). HOST_DOWN on
   * every refresh while the node is OFFLINE; HOST_UP only when it tells the pod something: its
   * host's liveness changed since the pod last heard, or the pod holds Portworx evidence.
   */
  private async tellPods(): Promise<void> {
    let judged = 0;
    let sliceStart = performance.now();
    for (const entry of this.deps.pods.all()) {
      // 10,000 pods (an event each the first time) are told in slices: the event loop runs between.
      if (++judged % TELL_SLICE_PODS === 0 || performance.now() - sliceStart >= TELL_SLICE_MS) {
        await new Promise<void>((r) => setImmediate(r));
        if (this.stopped) return;
        sliceStart = performance.now();
      }
      const ctx = this.deps.pods.context(entry);
      const host = ctx.task?.hostname;
      if (!host) continue;
      const liveness = this.deps.cluster.storageLiveness(host);
      if (liveness === undefined) continue;
      if (liveness === 'offline') {
        this.told.set(entry, `${host}|down`);
        this.deps.pods.send(entry, { type: 'HOST_DOWN', hostname: host, source: 'portworx', reason: `Portworx reports node ${host} OFFLINE` });
        continue;
      }
      const key = `${host}|up`;
      if (this.told.get(entry) === key && !ctx.suspicion?.portworx) continue;
      this.told.set(entry, key);
      this.deps.pods.send(entry, { type: 'HOST_UP', hostname: host, source: 'portworx' });
    }
  }
}
