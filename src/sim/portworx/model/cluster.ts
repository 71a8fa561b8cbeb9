import { randomInt, randomUUID } from 'node:crypto';
import { childLogger } from '../../../log/logger';
import { notFound } from '../errors';
import { AlertStore, SimAlertType } from './alert-store';
import type { SimNode, SimVolume, Topology, VolumeHealth } from './types';

const log = childLogger({ module: 'sim-portworx' });

export interface AddNodeOptions {
  hostname: string;
  topology: Topology;
  poolBytes: number;
  online?: boolean;
}

/**
 * The simulated cluster: nodes with one storage pool each, volumes and snapshots (snapshots are
 * volumes with a parent), alerts, and a logical clock that ticks once per data-changing operation.
 */
export class ClusterModel {
  readonly nodes = new Map<string, SimNode>();
  readonly volumes = new Map<string, SimVolume>();
  private clock = 0;

  constructor(
    readonly clusterId: string,
    readonly alerts: AlertStore,
  ) {}

  get tick(): number {
    return this.clock;
  }

  /** Advance the logical clock; everything captured in one operation shares the returned tick. */
  advance(): number {
    this.clock += 1;
    return this.clock;
  }

  /** Add a node, or (same hostname) refresh its topology and bring it online. */
  addNode(opts: AddNodeOptions): SimNode {
    const existing = this.findNodeByHost(opts.hostname);
    if (existing) {
      existing.topology = opts.topology;
      if (opts.online !== false) this.setNodeOnline(existing, true);
      return existing;
    }
    const index = this.nodes.size + 1;
    const node: SimNode = {
      id: randomUUID(),
      hostname: opts.hostname,
      mgmtIp: `127.0.${Math.floor(index / 250) + 1}.${(index % 250) + 1}`,
      topology: opts.topology,
      online: opts.online !== false,
      pool: { uuid: randomUUID(), totalBytes: opts.poolBytes, usedBytes: 0 },
    };
    this.nodes.set(node.id, node);
    log.info({ node: node.hostname, id: node.id, topology: node.topology }, 'node added');
    return node;
  }

  findNodeByHost(hostname: string): SimNode | undefined {
    for (const n of this.nodes.values()) if (n.hostname === hostname) return n;
    return undefined;
  }

  /** A node by id or hostname, or undefined. */
  findNode(ref: string): SimNode | undefined {
    return this.nodes.get(ref) ?? this.findNodeByHost(ref);
  }

  requireVolume(id: string): SimVolume {
    const v = this.volumes.get(id);
    if (!v) throw notFound(`Volume id ${id} not found`);
    return v;
  }

  /** Replica health: all replica holders online → UP, some → DEGRADED, none → DOWN. */
  health(v: SimVolume): VolumeHealth {
    const up = v.replicaNodes.filter((id) => this.nodes.get(id)?.online).length;
    if (up === v.replicaNodes.length) return 'VOLUME_STATUS_UP';
    return up === 0 ? 'VOLUME_STATUS_DOWN' : 'VOLUME_STATUS_DEGRADED';
  }

  /** Take a node offline or online, raising node and volume alerts for every change. */
  setNodeOnline(node: SimNode, online: boolean): void {
    if (node.online === online) return;
    const affected = [...this.volumes.values()].filter((v) => !v.parentId && v.replicaNodes.includes(node.id));
    const before = new Map(affected.map((v) => [v.id, this.health(v)]));
    node.online = online;
    this.advance();
    log.info({ node: node.hostname, online }, online ? 'node up' : 'node down');
    this.nodeAlert(node, online);
    for (const v of affected) {
      const was = before.get(v.id);
      const now = this.health(v);
      if (was !== now) this.volumeAlert(v, now);
    }
  }

  private nodeAlert(node: SimNode, online: boolean): void {
    const key = { alertType: SimAlertType.NodeStateChange, resource: 'RESOURCE_TYPE_NODE' as const, resourceId: node.id };
    if (online) {
      this.alerts.clear({ ...key, uniqueTag: 'node-offline' });
      this.alerts.raise({
        ...key,
        uniqueTag: 'node-online',
        severity: 'SEVERITY_TYPE_NOTIFY',
        message: `Node ${node.hostname} (${node.id}) is online`,
      });
    } else {
      this.alerts.clear({ ...key, uniqueTag: 'node-online' });
      this.alerts.raise({
        ...key,
        uniqueTag: 'node-offline',
        severity: 'SEVERITY_TYPE_ALARM',
        message: `Node ${node.hostname} (${node.id}) is offline`,
      });
    }
  }

  private volumeAlert(v: SimVolume, now: VolumeHealth): void {
    const key = { alertType: SimAlertType.VolumeStateChange, resource: 'RESOURCE_TYPE_VOLUME' as const, resourceId: v.id };
    const offline = v.replicaNodes.filter((id) => !this.nodes.get(id)?.online);
    if (now === 'VOLUME_STATUS_UP') {
      this.alerts.clear({ ...key, uniqueTag: 'volume-degraded' });
      this.alerts.clear({ ...key, uniqueTag: 'volume-down' });
      this.alerts.raise({
        ...key,
        uniqueTag: 'volume-healthy',
        severity: 'SEVERITY_TYPE_NOTIFY',
        message: `Volume ${v.name} (${v.id}) is healthy: all ${v.replicaNodes.length} replicas are in sync`,
      });
      return;
    }
    this.alerts.clear({ ...key, uniqueTag: 'volume-healthy' });
    const tag = now === 'VOLUME_STATUS_DOWN' ? 'volume-down' : 'volume-degraded';
    this.alerts.clear({ ...key, uniqueTag: tag === 'volume-down' ? 'volume-degraded' : 'volume-down' });
    this.alerts.raise({
      ...key,
      uniqueTag: tag,
      severity: now === 'VOLUME_STATUS_DOWN' ? 'SEVERITY_TYPE_ALARM' : 'SEVERITY_TYPE_WARNING',
      message:
        `Volume ${v.name} (${v.id}) is ${now === 'VOLUME_STATUS_DOWN' ? 'down' : 'degraded'}: ` +
        `replicas on ${offline.length} of ${v.replicaNodes.length} nodes are offline`,
    });
  }

  /** A fresh volume id in Portworx's form: a large decimal number. */
  newVolumeId(): string {
    for (;;) {
      const id = `${randomInt(1, 999_999_999)}${String(randomInt(0, 999_999_999)).padStart(9, '0')}`;
      if (!this.volumes.has(id)) return id;
    }
  }
}
