/**
 * Placement throughput: 10,000 pods (5 pod types × 2,000) on 2,000 agents in 20 racks, 4 zones,
 * with hostname:UNIQUE and @zone:GROUP_BY, one Portworx volume per pod (half already existing with
 * two replica holders, half new and pinned with pinReplicas). One offer per agent, one shared index,
 * offers shrink as pods land; the scheduler's hot-path mode (`detail: 'summary'`). Prints `{"placement_pods_per_s": N}` on stdout; details on stderr.
 *
 *   node --import tsx bench/placement.bench.ts
 */
import {
  buildPlacementIndex,
  evaluateOffers,
  pinReplicas,
  type AgentView,
  type ClusterView,
  type Offer,
  type PodRequest,
  type StorageHealth,
} from '../src/placement';
import { volumeName } from '../src/service-spec/names';

const AGENTS = 2_000;
const POD_TYPES = ['journal', 'name', 'data', 'broker', 'node'];
const PODS_PER_TYPE = Number(process.env.BENCH_PODS_PER_TYPE ?? 2_000);
const RACKS = 20;
const ZONES = 4;

function cluster(): { view: ClusterView; offers: Offer[] } {
  const agents: AgentView[] = [];
  const storage: Record<string, StorageHealth> = {};
  const offers: Offer[] = [];
  for (let i = 0; i < AGENTS; i++) {
    const hostname = `agent-${i}`;
    const rack = `rack-${i % RACKS}`;
    const zone = `zone-${i % ZONES}`;
    const agentId = `id-${String(i).padStart(5, '0')}`;
    agents.push({ agentId, hostname, domain: { rack, zone, region: 'r1' }, attributes: { rack }, pods: {} });
    storage[hostname] = 'up';
    offers.push({
      offerId: `o-${i}`,
      agentId,
      hostname,
      cpus: 8,
      mem: 65_536,
      disk: 1_000_000,
      ports: [{ begin: 31_000, end: 32_000 }],
      attributes: { rack },
      domain: { zone, region: 'r1' },
    });
  }
  return { view: { agents, storage }, offers };
}

function request(podType: string, index: number): PodRequest {
  const exists = index % 2 === 0;
  const holders = exists ? [`agent-${(index * 7) % AGENTS}`, `agent-${(index * 13 + 1) % AGENTS}`] : [];
  return {
    service: 'bench',
    podType,
    index,
    cpus: 1,
    mem: 4_096,
    disk: 100,
    ports: 2,
    constraints: [
      { field: 'hostname', operator: 'UNIQUE' },
      { field: '@zone', operator: 'GROUP_BY' },
    ],
    volumes: [{ name: volumeName('bench', podType, index, 'data'), exists, replicaHosts: holders }],
    convergence: { mode: 'soft', softWaitExpired: true },
  };
}

function main(): void {
  const { view, offers } = cluster();
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const index = buildPlacementIndex(view);
  const byId = new Map(offers.map((o) => [o.offerId, o]));
  let placed = 0;
  let unplaced = 0;
  for (let i = 0; i < PODS_PER_TYPE; i++) {
    for (const podType of POD_TYPES) {
      const req = request(podType, i);
      const result = evaluateOffers(req, offers, index, { detail: 'summary' });
      if (!result.chosen) {
        unplaced++;
        continue;
      }
      const offer = byId.get(result.chosen.offerId)!;
      offer.cpus -= req.cpus;
      offer.mem -= req.mem;
      offer.disk -= req.disk;
      index.recordPlacement(podType, `${podType}-${i}`, offer);
      for (const v of req.volumes) if (!v.exists) pinReplicas(offer.hostname, 2, index, { salt: v.name });
      placed++;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  // Wall time is the figure; CPU time shows how much of it a busy machine took away.
  process.stderr.write(
    `placed ${placed}, unplaced ${unplaced} pods on ${AGENTS} agents in ${seconds.toFixed(2)} s (cpu ${cpuSeconds.toFixed(2)} s)\n`,
  );
  process.stdout.write(`${JSON.stringify({ placement_pods_per_s: Math.round(placed / seconds) })}\n`);
}

main();
