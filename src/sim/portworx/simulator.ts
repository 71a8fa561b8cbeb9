import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { assertSubjectToken } from '../../alerts/alert';
import { childLogger } from '../../log/logger';
import type { Recorder } from '../../record/recorder';
import { AlertPublisher } from './alert-publisher';
import { SimConfigError } from './errors';
import { setResyncTiming } from './model/volume-ops';
import { parseHostsSpec, type HostSpec } from './hosts';
import { controlRoutes } from './http/control-routes';
import { legacyRoutes } from './http/other-routes';
import { sdkRoutes } from './http/sdk-routes';
import { SimHttpServer } from './http/server';
import { MesosMirror } from './mesos-mirror';
import { AlertStore } from './model/alert-store';
import { ClusterModel } from './model/cluster';
import { getMarker, parseNodeStatus, setMarker } from './model/control';
import { NODE_STATUS_TRAITS } from './model/node-status';
import type { SimAlert, SimNode, SimNodeStatus, Topology, VolumeHealth } from './model/types';
import { NodeFaults, type FlapOptions, type NodeFaultTiming } from './node-faults';

const log = childLogger({ module: 'sim-portworx' });

/** 1 TiB per node unless told otherwise. */
export const DEFAULT_POOL_BYTES = 1024 ** 4;

export interface PortworxSimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Nodes as `HostSpec`s or the `--hosts` text; default three nodes node-1..3. Not with mesosUrl. */
  hosts?: HostSpec[] | string;
  /** Mirror the agents of this Mesos master (operator API) as nodes. */
  mesosUrl?: string;
  /** Publish alerts on this NATS server … */
  natsUrl?: string;
  /** … or over this connection (left open on stop). */
  nats?: NatsConnection;
  recorder?: Recorder;
  clusterId?: string;
  poolBytes?: number;
  /** Delay before re-subscribing to Mesos after the stream ends (default 1000 ms). */
  mesosReconnectMs?: number;
  /**
   * Seconds of simulated time from a host's death (crashHost, or its agent lost in Mesos) to its
   * node reported STATUS_OFFLINE (default 3).
   */
  detectDelaySeconds?: number;
  /** Seconds of simulated time a booted host needs before its node is STATUS_OK again (default 1). */
  bootSeconds?: number;
  /** Divides the simulated times above (as the Mesos simulator's --speed does; default 1). */
  speed?: number;
}

export const DEFAULT_DETECT_DELAY_SECONDS = 3;
export const DEFAULT_BOOT_SECONDS = 1;

function timing(opts: PortworxSimulatorOptions): NodeFaultTiming {
  const speed = opts.speed ?? 1;
  if (!Number.isFinite(speed) || speed <= 0 || speed > 10_000) {
    throw new SimConfigError(`speed must be a number above 0 and at most 10000, got ${speed}`);
  }
  const seconds = (name: string, v: number) => {
    if (!Number.isFinite(v) || v < 0) throw new SimConfigError(`${name} must be a number of seconds ≥ 0, got ${v}`);
    return (v * 1000) / speed;
  };
  return {
    detectDelayMs: seconds('detect delay', opts.detectDelaySeconds ?? DEFAULT_DETECT_DELAY_SECONDS),
    bootMs: seconds('boot time', opts.bootSeconds ?? DEFAULT_BOOT_SECONDS),
  };
}

export interface SimNodeView {
  id: string;
  hostname: string;
  /** What the cluster reports (StorageNode.status). */
  status: SimNodeStatus;
  /**
   * Stork's reading of the status (online: OK, STORAGE_DOWN, NONE; offline: OFFLINE, MAINTENANCE),
   * libopenstorage/stork drivers/volume/portworx mapNodeStatus.
   */
  online: boolean;
  /** The host is dead (crashed, or booting): its own endpoint does not answer. */
  hostDown: boolean;
  /** A stale duplicate entry (addDuplicateNode). */
  stale: boolean;
  topology: Topology;
  poolTotalBytes: number;
  poolUsedBytes: number;
}

export interface SimVolumeView {
  id: string;
  name: string;
  /** Set for snapshots. */
  parentId?: string;
  labels: Record<string, string>;
  size: number;
  haLevel: number;
  replicaNodes: string[];
  replicaHosts: string[];
  attachedOn: string[];
  status: VolumeHealth;
  marker: string;
  ctime: Date;
}

/** A Portworx cluster in memory, behind the OpenStorage SDK REST routes on one HTTP port. */
export class PortworxSimulator {
  private stopped = false;

  private constructor(
    private readonly model: ClusterModel,
    private readonly http: SimHttpServer,
    private readonly host: string,
    private readonly publisher: AlertPublisher | undefined,
    private readonly mirror: MesosMirror | undefined,
    private readonly faults: NodeFaults,
  ) {}

  static async start(opts: PortworxSimulatorOptions = {}): Promise<PortworxSimulator> {
    if (opts.hosts !== undefined && opts.mesosUrl) throw new SimConfigError('give either hosts or a Mesos URL, not both');
    const clusterId = opts.clusterId ?? `px-sim-${randomBytes(4).toString('hex')}`;
    assertSubjectToken(clusterId, 'cluster id');
    const poolBytes = opts.poolBytes ?? DEFAULT_POOL_BYTES;
    if (!Number.isSafeInteger(poolBytes) || poolBytes <= 0) throw new SimConfigError(`pool size must be a positive byte count, got ${poolBytes}`);
    let publisher: AlertPublisher | undefined;
    if (opts.nats) publisher = AlertPublisher.over(opts.nats, clusterId);
    else if (opts.natsUrl) publisher = await AlertPublisher.connect(opts.natsUrl, clusterId);
    const alerts = new AlertStore((a: SimAlert) => publisher?.publish(a));
    const model = new ClusterModel(clusterId, alerts);
    const faults = new NodeFaults(model, timing(opts));
    // A resync is simulated time too: 30 s plus 1 s per GiB at speed 1 (a 20 GiB replica: 50 s).
    const speed = opts.speed ?? 1;
    setResyncTiming(model, { minMs: 30_000 / speed, msPerGiB: 1_000 / speed });
    let mirror: MesosMirror | undefined;
    try {
      if (opts.mesosUrl) {
        mirror = await MesosMirror.start(model, faults, opts.mesosUrl, { poolBytes, reconnectMs: opts.mesosReconnectMs ?? 1000 });
      } else {
        const hosts = typeof opts.hosts === 'string' ? parseHostsSpec(opts.hosts) : (opts.hosts ?? parseHostsSpec('node-1,node-2,node-3'));
        for (const h of hosts) model.addNode({ hostname: h.hostname, topology: h.topology, poolBytes });
      }
      const host = opts.host ?? '127.0.0.1';
      const routes = [...sdkRoutes(model), ...legacyRoutes(model), ...controlRoutes(model, faults)];
      const http = await SimHttpServer.listen(model, routes, { port: opts.port ?? 0, host, recorder: opts.recorder });
      const sim = new PortworxSimulator(model, http, host, publisher, mirror, faults);
      log.info({ url: sim.url, clusterId, nodes: model.nodes.size }, 'Portworx simulator listening');
      return sim;
    } catch (err) {
      faults.stop();
      await mirror?.stop();
      await publisher?.close();
      throw err;
    }
  }

  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.http.port}`;
  }

  get clusterId(): string {
    return this.model.clusterId;
  }

  /** The logical clock (ticks once per data-changing operation). */
  get tick(): number {
    return this.model.tick;
  }

  /** Stop serving; a second call does nothing. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.mirror?.stop();
    this.faults.stop();
    await this.http.close();
    await this.publisher?.close();
  }

  /** Wall-clock detection delay and boot time (simulated seconds divided by the speed). */
  get faultTiming(): Readonly<NodeFaultTiming> {
    return this.faults.timing;
  }

  /** `sim node down`: the node is STATUS_OFFLINE at once. */
  nodeDown(host: string): void {
    this.faults.setStatus(host, 'STATUS_OFFLINE');
  }

  /** `sim node up`: the node is STATUS_OK at once. */
  nodeUp(host: string): void {
    this.faults.setStatus(host, 'STATUS_OK');
  }

  /** Set what the cluster reports for a host's node, at once (replaces any crash, boot or flap under way). */
  setNodeStatus(host: string, status: SimNodeStatus): void {
    this.faults.setStatus(host, parseNodeStatus(status));
  }

  /** The host died: its endpoint stops answering now, its node is STATUS_OFFLINE after the detection delay. */
  crashHost(host: string): void {
    this.faults.crashHost(host);
  }

  /** The host is back: STATUS_OK after a short startup. */
  bootHost(host: string): void {
    this.faults.bootHost(host);
  }

  /** Offline now, then alternating OK / OFFLINE every periodMs, `count` times offline, ending OK. */
  flapNode(host: string, opts: FlapOptions): void {
    this.faults.flapNode(host, opts);
  }

  /** A stale second StorageNode for the host (same hostname and scheduler_node_name, another id). */
  addDuplicateNode(host: string, opts: { status?: SimNodeStatus; sameIp?: boolean } = {}): SimNodeView {
    const status = opts.status === undefined ? undefined : parseNodeStatus(opts.status);
    return nodeView(this.faults.addDuplicateNode(host, { ...opts, status }));
  }

  /** Remove the host's stale entries; returns how many there were. */
  removeDuplicateNode(host: string): number {
    return this.faults.removeDuplicateNode(host);
  }

  nodes(): SimNodeView[] {
    return [...this.model.nodes.values()].map(nodeView);
  }

  /** Volumes and snapshots (snapshots have `parentId`). */
  volumes(): SimVolumeView[] {
    const host = (id: string) => this.model.nodes.get(id)?.hostname ?? id;
    return [...this.model.volumes.values()].map((v) => ({
      id: v.id,
      name: v.name,
      parentId: v.parentId,
      labels: { ...v.labels },
      size: v.spec.size,
      haLevel: v.spec.haLevel,
      replicaNodes: [...v.replicaNodes],
      replicaHosts: v.replicaNodes.map(host),
      attachedOn: v.attachedOn.map(host),
      status: this.model.health(v),
      marker: v.marker,
      ctime: v.ctime,
    }));
  }

  setMarker(volumeId: string, marker: string): void {
    setMarker(this.model, volumeId, marker);
  }

  marker(volumeId: string): string {
    return getMarker(this.model, volumeId);
  }

  /** Every alert raised so far (cleared ones included). */
  alerts(): readonly SimAlert[] {
    return this.model.alerts.list();
  }
}

function nodeView(n: SimNode): SimNodeView {
  return {
    id: n.id,
    hostname: n.hostname,
    status: n.status,
    online: NODE_STATUS_TRAITS[n.status].online,
    hostDown: n.hostDown,
    stale: n.stale,
    topology: { ...n.topology },
    poolTotalBytes: n.pool.totalBytes,
    poolUsedBytes: n.pool.usedBytes,
  };
}
