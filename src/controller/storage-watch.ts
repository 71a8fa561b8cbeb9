import { subscribeAlerts, type AlertSubscription, type SdkAlert } from '../alerts';
import type { Runtime } from './runtime';

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

  constructor(
    private readonly rt: Runtime,
    private readonly intervalMs: number,
  ) {}

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    try {
      this.clusterId = (await this.rt.px.inspectCluster()).id;
      this.sub = await subscribeAlerts(this.rt.nc, {
        ...(this.clusterId ? { clusterId: this.clusterId } : {}),
        durable: `pxfw-${this.rt.service}-${(this.clusterId ?? 'all').replace(/[^-_A-Za-z0-9]/g, '_')}`,
        handler: (alert) => this.onAlert(alert),
      });
    } catch (err) {
      this.rt.logger.warn({ err }, 'Portworx alerts unavailable; relying on periodic node refresh');
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
    this.rt.logger.info({ alert: { id: alert.id, node: alert.resource_id, message: alert.message, cleared: alert.cleared } }, 'Portworx node alert');
    await this.refresh();
  }

  /**
   * Re-read agents and storage nodes; tell pods on a node that is down. Never runs twice at once.
   * Not while the service is uninstalled (the tombstone): no pods, nothing to tell; a reinstall
   * refreshes before it deploys.
   */
  refresh(): Promise<void> {
    if (this.stopped || this.rt.frameworkStateName === 'uninstalled') return Promise.resolve();
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    try {
      const agents = await this.rt.operator.getAgents();
      for (const a of agents.agents ?? []) {
        if (a.agent_info.id) this.rt.cluster.learnAgent({ ...a.agent_info, agentId: a.agent_info.id.value });
      }
    } catch (err) {
      this.rt.logger.warn({ err }, 'cannot list Mesos agents');
    }
    if (this.stopped) return;
    try {
      this.rt.cluster.setStorageNodes(await this.rt.px.enumerateNodes());
    } catch (err) {
      this.rt.logger.warn({ err }, 'cannot list Portworx nodes');
      return;
    }
    this.rt.governor.observeStorage(this.rt.cluster.storageHosts());
    // Every pod, including those whose agent Mesos already marked unreachable: the probation
    // and its confirmation decide, never a skip (which left such a pod waiting 20 minutes).
    for (const entry of this.rt.registry.all()) {
      const host = this.rt.registry.context(entry).task?.hostname;
      if (!host) continue;
      const liveness = this.rt.cluster.storageLiveness(host);
      if (liveness === undefined) continue;
      if (liveness === 'offline') {
        this.rt.registry.send(entry, { type: 'HOST_DOWN', hostname: host, source: 'portworx', reason: `Portworx reports node ${host} OFFLINE` });
      } else {
        this.rt.registry.send(entry, { type: 'HOST_UP', hostname: host, source: 'portworx' });
      }
    }
  }
}
