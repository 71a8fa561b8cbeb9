import pino, { type Logger } from 'pino';
import { Writable } from 'node:stream';
import type { MesosSchedulerClient, Offer as MesosOffer, OfferOperation } from '../../src/mesos';
import type { PortworxClient, VolumeInspection, CreateVolumeInput } from '../../src/portworx';
import { parseSpec, type ServiceSpec } from '../../src/service-spec';
import { ClusterState } from '../../src/controller/cluster-view';
import { createMetrics } from '../../src/observe/metrics';

/** A Mesos agent and the Portworx node on the same host (node id `node-<host>`). */
export interface HostShape {
  host: string;
  rack: string;
  /** Portworx node status (defaults to up). */
  storage?: 'up' | 'down';
}

export function agentIdOf(host: string): string {
  return `agent-${host}`;
}

export function nodeIdOf(host: string): string {
  return `node-${host}`;
}

/** Hosts h0..h(n-1) on racks r0..r(racks-1), storage up everywhere. */
export function hosts(n: number, racks = 3): HostShape[] {
  return Array.from({ length: n }, (_, i) => ({ host: `h${i}`, rack: `r${i % racks}` }));
}

/** A ClusterState that knows each host as a Mesos agent (with a `rack` attribute) and a storage node. */
export function clusterOf(shape: HostShape[], opts: { storage?: boolean } = {}): ClusterState {
  const cluster = new ClusterState();
  for (const h of shape) {
    cluster.learnAgent({ agentId: agentIdOf(h.host), hostname: h.host, attributes: [{ name: 'rack', type: 'TEXT', text: { value: h.rack } }] });
    if (opts.storage !== false) learnStorage(cluster, h.host, h.storage ?? 'up');
  }
  return cluster;
}

export function learnStorage(cluster: ClusterState, host: string, health: 'up' | 'down' = 'up'): void {
  cluster.learnStorageNode({ id: nodeIdOf(host), hostname: host, scheduler_node_name: host, status: health === 'up' ? 'STATUS_OK' : 'STATUS_OFFLINE' });
}

/** A Portworx volume as the SDK inspects it: replicas named by node id. */
export function inspected(name: string, id: string, replicaHosts: string[]): VolumeInspection {
  return { name, labels: {}, volume: { id, locator: { name }, replica_sets: [{ nodes: replicaHosts.map(nodeIdOf) }] } };
}

/**
 * Only the Portworx calls the controller code under test makes, backed by a map of volumes by
 * name; everything else throws so an unexpected call shows up as a failure.
 */
export class FakePortworx {
  readonly volumes = new Map<string, VolumeInspection>();
  readonly created: CreateVolumeInput[] = [];
  inspectCalls = 0;

  add(v: VolumeInspection): void {
    this.volumes.set(v.name, v);
  }

  asClient(): PortworxClient {
    const self = this;
    return {
      async inspectVolume(id: string) {
        self.inspectCalls += 1;
        const found = [...self.volumes.values()].find((v) => v.volume.id === id);
        if (!found) throw Object.assign(new Error(`volume ${id} not found`), { code: 'PORTWORX_NOT_FOUND' });
        return found;
      },
      async findVolumeByName(name: string) {
        return self.volumes.get(name);
      },
      async createVolume(input: CreateVolumeInput) {
        self.created.push(input);
        const id = `id-${input.name}`;
        self.add({ name: input.name, labels: input.labels ?? {}, volume: { id, locator: { name: input.name }, replica_sets: [{ nodes: input.spec?.replica_set?.nodes ?? [] }] } });
        return id;
      },
    } as unknown as PortworxClient;
  }
}

export interface MesosCall {
  type: 'ACCEPT' | 'DECLINE' | 'KILL';
  offerIds?: string[];
  operations?: OfferOperation[];
  refuseSeconds?: number;
  taskId?: string;
  agentId?: string;
}

/** A scheduler client that records ACCEPT / DECLINE / KILL; `failAccept` makes ACCEPT reject. */
export class FakeMesos {
  readonly calls: MesosCall[] = [];
  failAccept: Error | undefined;

  /** `subscribed: false` plays a client that has no framework id yet. */
  constructor(private readonly subscribed = true) {}

  get frameworkId(): string | undefined {
    return this.subscribed ? 'fw-test' : undefined;
  }

  of(type: MesosCall['type']): MesosCall[] {
    return this.calls.filter((c) => c.type === type);
  }

  asClient(): MesosSchedulerClient {
    const self = this;
    return {
      get frameworkId() {
        return self.frameworkId;
      },
      async accept(offerIds: string[], operations: OfferOperation[]) {
        self.calls.push({ type: 'ACCEPT', offerIds, operations });
        if (self.failAccept) throw self.failAccept;
      },
      async decline(offerIds: string[], refuseSeconds?: number) {
        self.calls.push({ type: 'DECLINE', offerIds, ...(refuseSeconds !== undefined ? { refuseSeconds } : {}) });
      },
      async kill(taskId: string, agentId?: string) {
        self.calls.push({ type: 'KILL', taskId, ...(agentId ? { agentId } : {}) });
      },
    } as unknown as MesosSchedulerClient;
  }
}

/** A Mesos offer from `host` with plenty of resources and ports 31000-31999. */
export function offerFrom(host: string, rack: string, id = `offer-${host}`): MesosOffer {
  return {
    id: { value: id },
    framework_id: { value: 'fw-test' },
    agent_id: { value: agentIdOf(host) },
    hostname: host,
    attributes: [{ name: 'rack', type: 'TEXT', text: { value: rack } }],
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 8 } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 32_768 } },
      { name: 'disk', type: 'SCALAR', scalar: { value: 100_000 } },
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31999 }] } },
    ],
  } as MesosOffer;
}

/** A logger whose lines the test can read (pino JSON, parsed). */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export function metrics() {
  return createMetrics('test');
}

/** A service `demo` with pod type `node`; volumes and constraints as given. */
export function demoSpec(
  opts: { count?: number; volumes?: string[]; repl?: number; placement?: string[]; extra?: string; service?: string; convergence?: 'soft' | 'hard' } = {},
): ServiceSpec {
  const volumes = (opts.volumes ?? ['data'])
    .map((v) => `      - name: ${v}\n        path: /${v}\n        size: 1\n        repl: ${opts.repl ?? 1}\n`)
    .join('');
  const placement = opts.placement ? `    placement: "${opts.placement.join(',')}"\n` : '';
  return parseSpec(
    `name: ${opts.service ?? 'demo'}\n${opts.convergence ? `convergence:\n  mode: ${opts.convergence}\n` : ''}pods:\n  node:\n    count: ${opts.count ?? 1}\n    cpus: 0.5\n    mem: 256\n    command: sleep 1000\n${placement}${opts.extra ?? ''}    volumes:\n${volumes}`,
  );
}
