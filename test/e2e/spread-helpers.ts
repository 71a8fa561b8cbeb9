import { PortworxClient } from '../../src/portworx';
import type { Sandbox } from '../../src/sandbox/sandbox';
import type { SimTaskSummary } from '../../src/sim/mesos';
import type { SimVolumeView } from '../../src/sim/portworx';
import { eventually } from './helpers';
import { dataVolume, liveTasks } from './helpers-recovery';

/** The Mesos fault-domain zone of a host, as the simulator knows it. */
export function zoneOf(sb: Sandbox, hostname: string): string {
  return sb.mesos.agents().find((a) => a.hostname === hostname)!.zone;
}

/**
 * Polls the simulators every 20 ms and notes every moment two live tasks of the service ran in
 * one zone (a task on a dead host does not count: it no longer runs).
 */
export class ZoneWatch {
  private readonly seen: string[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly sb: Sandbox,
    private readonly service: string,
  ) {
    this.timer = setInterval(() => this.check(), 20);
  }

  private check(): void {
    const live = liveTasks(this.sb.mesos.tasks(), this.sb).filter((t) => t.taskId.startsWith(`${this.service}__`));
    const byZone = new Map<string, string[]>();
    for (const t of live) {
      const zone = zoneOf(this.sb, t.hostname);
      byZone.set(zone, [...(byZone.get(zone) ?? []), `${t.taskId.split('__')[1]}@${t.hostname}`]);
    }
    for (const [zone, pods] of byZone) {
      const line = `${zone}: ${pods.sort().join(', ')}`;
      if (pods.length > 1 && !this.seen.includes(line)) this.seen.push(line);
    }
  }

  violations(): string[] {
    this.check();
    return [...this.seen];
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * A host of another zone than `hostname`'s that runs no task of the service (first by name).
 * With the shipped Cassandra spec on six agents in three zones, that is another pod's failover
 * replica holder: its zone already runs a pod.
 */
export function freeHostInAnotherZone(sb: Sandbox, service: string, hostname: string): string {
  const busy = new Set(liveTasks(sb.mesos.tasks(), sb).filter((t) => t.taskId.startsWith(`${service}__`)).map((t) => t.hostname));
  const zone = zoneOf(sb, hostname);
  const free = sb.mesos
    .agents()
    .filter((a) => a.zone !== zone && !busy.has(a.hostname))
    .map((a) => a.hostname)
    .sort();
  if (free.length === 0) throw new Error(`no host without a ${service} pod outside ${zone}`);
  return free[0]!;
}

/**
 * Moves one replica of a volume from host `from` to host `to` through the Portworx SDK, as an
 * operator would: VolumeUpdate ha_level 3 with `to` pinned, wait until Portworx has resynced it,
 * then ha_level 2 keeping every replica but `from`. The scheduler's cached replica locations
 * are invalidated so its next round sees the new holder. The client records nothing: the
 * recordings hold only the scheduler's own traffic.
 */
export async function movePinnedReplica(sb: Sandbox, volumeName: string, from: string, to: string): Promise<void> {
  const px = new PortworxClient({ url: sb.portworx.url });
  const nodeOf = (h: string) => {
    const node = sb.portworx.nodes().find((n) => n.hostname === h);
    if (!node) throw new Error(`no Portworx node on ${h}`);
    return node.id;
  };
  const v = sb.portworx.volumes().find((x) => x.name === volumeName);
  if (!v) throw new Error(`no volume ${volumeName}`);
  if (!v.replicaHosts.includes(from)) throw new Error(`${volumeName} has no replica on ${from} (holders: ${v.replicaHosts.join(', ')})`);
  await px.updateVolume(v.id, { spec: { ha_level: 3, replica_set: { nodes: [...v.replicaHosts, to].map(nodeOf) } } });
  await eventually(
    `${volumeName}: the replica on ${to} synced`,
    async () => !/resync/i.test(JSON.stringify((await px.inspectVolume(v.id)).volume.runtime_state ?? [])),
    30_000,
  );
  const kept = v.replicaHosts.filter((h) => h !== from).concat(to);
  await px.updateVolume(v.id, { spec: { ha_level: 2, replica_set: { nodes: kept.map(nodeOf) } } });
  await eventually(`${volumeName}: replicas on ${kept.join(' and ')}`, () => {
    const now = sb.portworx.volumes().find((x) => x.id === v.id)!.replicaHosts;
    return now.length === 2 && kept.every((h) => now.includes(h));
  });
  sb.scheduler.runtime.volumes.invalidate([volumeName]);
}

/**
 * Replica pinning puts the failover replica of the victim's pod on its zone mate, which keeps
 * every constraint. Move it to a free host of another zone (that holds another pod's failover
 * replica), so that the surviving holder's zone already runs a pod. Returns that holder and the
 * volume as it is now.
 */
export async function moveFailoverReplicaToAnotherZone(sb: Sandbox, service: string, pod: string, victim: SimTaskSummary): Promise<{ holder: string; volume: SimVolumeView }> {
  const before = dataVolume(sb, service, pod);
  const zoneMate = before.replicaHosts.find((h) => h !== victim.hostname)!;
  const holder = freeHostInAnotherZone(sb, service, victim.hostname);
  await movePinnedReplica(sb, before.name, zoneMate, holder);
  return { holder, volume: sb.portworx.volumes().find((v) => v.id === before.id)! };
}
