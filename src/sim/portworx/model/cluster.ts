import { randomInt, randomUUID } from 'node:crypto';
import { childLogger } from '../../../log/logger';
import { notFound } from '../errors';
import { AlertStore, SimAlertType } from './alert-store';
import { NODE_STATUS_TRAITS, replicasServeIo } from './node-status';
import type { SimNode, SimNodeStatus, SimVolume, Topology, VolumeHealth } from './types';
import { VolumeTable } from './volume-table';

function nodeAlertKey(node: SimNode) {
  return { alertType: SimAlertType.NodeStateChange, resource: 'RESOURCE_TYPE_NODE' as const, resourceId: node.id };
}

const log = childLogger({ module: 'sim-portworx' });

export interface AddNodeOptions {
  hostname: string;
  topology: Topology;
  poolBytes: number;
  status?: SimNodeStatus;
}

/**
 * The simulated cluster: nodes with one storage pool each, volumes and snapshots (snapshots are
 * volumes with a parent), alerts, and a logical clock that ticks once per data-changing operation.
 */
export class ClusterModel {
  readonly nodes = new Map<string, SimNode>();
  readonly volumes = new VolumeTable();
  private clock = 0;
  private ipCount = 0;

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

  /** Add a node, or (same hostname) refresh its topology. A new node starts STATUS_OK unless told. */
  addNode(opts: AddNodeOptions): SimNode {
    const existing = this.findNodeByHost(opts.hostname);
    if (existing) {
      existing.topology = opts.topology;
      if (opts.status) this.setNodeStatus(existing, opts.status);
      return existing;
    }
    const node = this.newNode(opts.hostname, opts.topology, opts.status ?? 'STATUS_OK', opts.poolBytes);
    log.info({ node: node.hostname, id: node.id, topology: node.topology }, 'node added');
    return node;
  }

  /** A second, stale entry for the host of `current`: same hostname, another id, no replicas. */
  addStaleEntry(current: SimNode, status: SimNodeStatus, sameIp: boolean): SimNode {
    const node = this.newNode(current.hostname, { ...current.topology }, status, current.pool.totalBytes);
    node.stale = true;
    if (sameIp) node.mgmtIp = current.mgmtIp;
    this.advance();
    log.info({ node: node.hostname, id: node.id, status }, 'stale duplicate node entry added');
    return node;
  }

  /** Remove a stale entry; its open node alerts are cleared. */
  removeStaleEntry(node: SimNode): void {
    if (!node.stale) return;
    for (const t of Object.values(NODE_STATUS_TRAITS)) this.alerts.clear({ ...nodeAlertKey(node), uniqueTag: t.tag });
    this.nodes.delete(node.id);
    this.advance();
  }

  private newNode(hostname: string, topology: Topology, status: SimNodeStatus, poolBytes: number): SimNode {
    this.ipCount += 1;
    const i = this.ipCount;
    const node: SimNode = {
      id: randomUUID(),
      hostname,
      mgmtIp: `127.0.${Math.floor(i / 250) + 1}.${(i % 250) + 1}`,
      topology,
      status,
      hostDown: false,
      stale: false,
      pool: { uuid: randomUUID(), totalBytes: poolBytes, usedBytes: 0 },
    };
    this.nodes.set(node.id, node);
    return node;
  }

  /** The current (non-stale) entry of a host; a stale one only when the host has no other. */
  findNodeByHost(hostname: string): SimNode | undefined {
    let stale: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (n.hostname !== hostname) continue;
      if (!n.stale) return n;
      stale ??= n;
    }
    return stale;
  }

  /** Every entry the cluster lists for a host (the current one first). */
  entriesOfHost(hostname: string): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.hostname === hostname).sort((a, b) => Number(a.stale) - Number(b.stale));
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

  /** Replica health: every replica serving I/O → UP, some → DEGRADED, none → DOWN. */
  health(v: SimVolume): VolumeHealth {
    const up = v.replicaNodes.filter((id) => this.replicaUp(id)).length;
    if (up === v.replicaNodes.length) return 'VOLUME_STATUS_UP';
    return up === 0 ? 'VOLUME_STATUS_DOWN' : 'VOLUME_STATUS_DEGRADED';
  }

  private replicaUp(nodeId: string): boolean {
    const n = this.nodes.get(nodeId);
    return !!n && replicasServeIo(n);
  }

  /** Change what the cluster reports for a node, raising node and volume alerts for the change. */
  setNodeStatus(node: SimNode, status: SimNodeStatus): void {
    if (node.status === status) return;
    const affected = [...this.volumes.values()].filter((v) => !v.parentId && v.replicaNodes.includes(node.id));
    const before = new Map(affected.map((v) => [v.id, this.health(v)]));
    const was = node.status;
    node.status = status;
    this.advance();
    log.info({ node: node.hostname, id: node.id, from: was, to: status, stale: node.stale || undefined }, 'node status');
    this.nodeAlert(node);
    for (const v of affected) {
      const now = this.health(v);
      if (before.get(v.id) !== now) this.volumeAlert(v, now);
    }
  }

  /** One open NodeStateChange alert per node, tagged by its status; the others are cleared. */
  private nodeAlert(node: SimNode): void {
    const key = nodeAlertKey(node);
    const t = NODE_STATUS_TRAITS[node.status];
    for (const other of Object.values(NODE_STATUS_TRAITS)) {
      if (other.tag !== t.tag) this.alerts.clear({ ...key, uniqueTag: other.tag });
    }
    this.alerts.raise({
      ...key,
      uniqueTag: t.tag,
      severity: t.severity,
      message: `Node ${node.hostname} (${node.id}) ${t.describe}${node.stale ? ' [stale entry]' : ''}`,
    });
  }

  private volumeAlert(v: SimVolume, now: VolumeHealth): void {
    const key = { alertType: SimAlertType.VolumeStateChange, resource: 'RESOURCE_TYPE_VOLUME' as const, resourceId: v.id };
    const offline = v.replicaNodes.filter((id) => !this.replicaUp(id));
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
        `replicas on ${offline.length} of ${v.replicaNodes.length} nodes serve no I/O`,
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
