import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { assertSubjectToken } from '../../alerts/alert';
import { childLogger } from '../../log/logger';
import type { Recorder } from '../../record/recorder';
import { AlertPublisher } from './alert-publisher';
import { SimConfigError } from './errors';
import { parseHostsSpec, type HostSpec } from './hosts';
import { legacyRoutes, simRoutes } from './http/other-routes';
import { sdkRoutes } from './http/sdk-routes';
import { SimHttpServer } from './http/server';
import { MesosMirror } from './mesos-mirror';
import { AlertStore } from './model/alert-store';
import { ClusterModel } from './model/cluster';
import { getMarker, setMarker, setNodeState } from './model/control';
import type { SimAlert, Topology, VolumeHealth } from './model/types';

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
}

export interface SimNodeView {
  id: string;
  hostname: string;
  online: boolean;
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
  private constructor(
    private readonly model: ClusterModel,
    private readonly http: SimHttpServer,
    private readonly host: string,
    private readonly publisher: AlertPublisher | undefined,
    private readonly mirror: MesosMirror | undefined,
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
    let mirror: MesosMirror | undefined;
    try {
      if (opts.mesosUrl) {
        mirror = await MesosMirror.start(model, opts.mesosUrl, { poolBytes, reconnectMs: opts.mesosReconnectMs ?? 1000 });
      } else {
        const hosts = typeof opts.hosts === 'string' ? parseHostsSpec(opts.hosts) : (opts.hosts ?? parseHostsSpec('node-1,node-2,node-3'));
        for (const h of hosts) model.addNode({ hostname: h.hostname, topology: h.topology, poolBytes });
      }
      const host = opts.host ?? '127.0.0.1';
      const routes = [...sdkRoutes(model), ...legacyRoutes(model), ...simRoutes(model)];
      const http = await SimHttpServer.listen(model, routes, { port: opts.port ?? 0, host, recorder: opts.recorder });
      const sim = new PortworxSimulator(model, http, host, publisher, mirror);
      log.info({ url: sim.url, clusterId, nodes: model.nodes.size }, 'Portworx simulator listening');
      return sim;
    } catch (err) {
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

  async stop(): Promise<void> {
    await this.mirror?.stop();
    await this.http.close();
    await this.publisher?.close();
  }

  nodeDown(host: string): void {
    setNodeState(this.model, host, false);
  }

  nodeUp(host: string): void {
    setNodeState(this.model, host, true);
  }

  nodes(): SimNodeView[] {
    return [...this.model.nodes.values()].map((n) => ({
      id: n.id,
      hostname: n.hostname,
      online: n.online,
      topology: { ...n.topology },
      poolTotalBytes: n.pool.totalBytes,
      poolUsedBytes: n.pool.usedBytes,
    }));
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
