/**
 * The real offer handler (src/controller/offer-handler.ts) with everything around it in memory:
 * 2,000 agents in 20 racks and 4 zones, 1,000 pods of one service waiting for offers with their
 * volumes provisioned (pod i's one replica pinned on host i mod agents), a Mesos client that
 * answers ACCEPT/DECLINE at once, a state store in a Map. Only the handler and placement cost time.
 * With more pods than agents the spec allows ceil(pods / agents) pods per host (a deploy that
 * takes several rounds: one pod per offer per round).
 */
import pino from 'pino';
import { fromPromise } from 'xstate';
import { podInstanceMachine } from '../../machines/pod-instance.machine';
import type { CheckVolumesInput, CheckVolumesOutput, EnsureVolumesInput, EnsureVolumesOutput, KillTaskInput, KillTaskOutput } from '../../machines/pod-instance.types';
import { ClusterState } from '../../src/controller/cluster-view';
import type { OfferHandlerDeps } from '../../src/controller/offer-handler';
import { ReplicaMoves } from '../../src/controller/replica-moves';
import { PodRegistry } from '../../src/controller/pod-registry';
import { VolumeLocations } from '../../src/controller/volume-locations';
import type { MesosSchedulerClient, Offer as MesosOffer } from '../../src/mesos';
import { TransitionLog } from '../../src/observe/transition-log';
import { createMetrics } from '../../src/observe/metrics';
import { PlacementMemory } from '../../src/placement';
import type { PortworxClient, VolumeInspection } from '../../src/portworx';
import { parseSpec } from '../../src/service-spec';
import { memoryStore } from '../../test/helpers/memory-kv';

export const AGENTS = Number(process.env.BENCH_AGENTS ?? 2_000);
export const PODS = Number(process.env.BENCH_PENDING_PODS ?? 1_000);
const RACKS = 20;
const ZONES = 4;

const host = (i: number) => `host-${i}`;
const agentId = (i: number) => `agent-${String(i).padStart(5, '0')}`;


/** Portworx answering inspects from a Map by id; volume `i` has its replica on host i. */
function portworx(agents: number): PortworxClient {
  const byId = new Map<string, VolumeInspection>();
  return {
    async inspectVolume(id: string) {
      let v = byId.get(id);
      if (!v) {
        const i = Number(/-(\d+)-data$/.exec(id)?.[1] ?? 0);
        v = { name: id.slice(4), labels: {}, volume: { id, locator: { name: id.slice(4) }, replica_sets: [{ nodes: [`node-${host(i % agents)}`] }] } } as VolumeInspection;
        byId.set(id, v);
      }
      return v;
    },
  } as unknown as PortworxClient;
}

const podMachine = podInstanceMachine.provide({
  actors: {
    ensureVolumes: fromPromise<EnsureVolumesOutput, EnsureVolumesInput>(async ({ input }) => ({
      volumes: input.volumes.map((v) => ({ name: v.name, id: `vol-${v.name}` })),
    })),
    killTask: fromPromise<KillTaskOutput, KillTaskInput>(async () => ({ terminal: true })),
    checkVolumes: fromPromise<CheckVolumesOutput, CheckVolumesInput>(async () => ({ replicaHosts: [] })),
  },
});

/** The Mesos offer of agent `i`: 8 cpus, 32 GiB, ports 31000-31999, rack and zone. */
export function offerOf(i: number, round: number): MesosOffer {
  return {
    id: { value: `offer-${round}-${i}` },
    framework_id: { value: 'fw-bench' },
    agent_id: { value: agentId(i) },
    hostname: host(i),
    attributes: [{ name: 'rack', type: 'TEXT', text: { value: `rack-${i % RACKS}` } }],
    domain: { fault_domain: { region: { name: 'region-1' }, zone: { name: `zone-${i % ZONES}` } } },
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 8 } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 32_768 } },
      { name: 'disk', type: 'SCALAR', scalar: { value: 100_000 } },
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31999 }] } },
    ],
  } as MesosOffer;
}

/** The bench service: `pods` pods spread over the racks, at most ceil(pods / agents) per host. */
const specOf = (pods: number, agents: number): string => `name: bench
pods:
  node:
    count: ${pods}
    cpus: 1
    mem: 1024
    command: sleep 1000
    placement: "${pods <= agents ? 'hostname:UNIQUE' : `hostname:MAX_PER:${Math.ceil(pods / agents)}`},rack:MAX_PER:${Math.ceil(pods / RACKS) + 1}"
    volumes:
      - name: data
        path: /data
        size: 1
        repl: 1
`;

export interface OfferRig {
  deps: OfferHandlerDeps;
  registry: PodRegistry;
  accepts: () => number;
  waiting: () => number;
}

/** Build the rig and wait until every pod waits for an offer. */
export async function offerRig(shape: { agents?: number; pods?: number } = {}): Promise<OfferRig> {
  const agents = shape.agents ?? AGENTS;
  const pods = shape.pods ?? PODS;
  const spec = parseSpec(specOf(pods, agents));
  const logger = pino({ level: 'silent' });
  const metrics = createMetrics('bench');
  const registry = new PodRegistry({ spec: () => spec, machine: podMachine, store: memoryStore(), logger, transitions: new TransitionLog(spec.name, logger), metrics, onPodState: () => undefined });
  const cluster = new ClusterState();
  for (let i = 0; i < agents; i++) {
    cluster.learnOffer(offerOf(i, -1));
    cluster.learnStorageNode({ id: `node-${host(i)}`, hostname: host(i), scheduler_node_name: host(i), status: 'STATUS_OK' });
  }
  let accepted = 0;
  const mesos = {
    frameworkId: 'fw-bench',
    // One ACCEPT may launch several pods on one offer: count the LAUNCH_GROUP operations.
    async accept(_offerIds: string[], operations: unknown[]) {
      accepted += operations.length;
    },
    async decline() {},
    async reconcile() {},
  } as unknown as MesosSchedulerClient;
  const volumes = new VolumeLocations(portworx(agents), cluster);
  const memory = new PlacementMemory();
  const deps: OfferHandlerDeps = {
    spec: () => spec,
    registry,
    cluster,
    volumes,
    memory,
    replicaMoves: new ReplicaMoves({ px: volumes.portworx, cluster, volumes, memory, logger }),
    mesos: () => mesos,
    podsByAgent: () => new Map(),
    launching: () => true,
    logger,
    metrics,
  };
  for (let i = 0; i < pods; i++) registry.ensure('node', i);
  const waiting = () => registry.all().filter((e) => e.state.startsWith('volume-provisioned') && registry.context(e).task === null).length;
  for (let t = 0; waiting() < pods; t++) {
    if (t > 4_000) throw new Error(`only ${waiting()} of ${pods} pods came to wait for an offer`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return { deps, registry, accepts: () => accepted, waiting };
}
