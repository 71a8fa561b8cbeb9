import { replicaHealth, type PortworxClient } from '../portworx';
import type { ClusterState } from './cluster-view';

/**
 * Replica hosts per volume name, for the locality stage. Replica sets change rarely (create,
 * node replacement), so they are cached and re-read only for volumes not seen yet or marked
 * stale (after a failover the runtime invalidates the pod's volumes).
 */
export class VolumeLocations {
  private readonly hosts = new Map<string, string[]>();
  /** Volumes with a replica still resyncing: read again on every refresh until in sync. */
  private readonly resyncing = new Set<string>();
  private readonly listeners = new Set<(volume: string) => void>();

  constructor(
    private readonly px: PortworxClient,
    private readonly cluster: ClusterState,
  ) {}

  /** The Portworx client the locations are read through (replica moves and repairs use it too). */
  get portworx(): PortworxClient {
    return this.px;
  }

  replicaHosts(name: string): string[] | undefined {
    return this.hosts.get(name);
  }

  invalidate(names: string[]): void {
    for (const n of names) if (this.hosts.delete(n)) this.changed(n);
  }

  /** Hear of every volume whose replica hosts (what replicaHosts answers) changed. Returns the unsubscribe. */
  onChange(fn: (volume: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(volume: string): void {
    for (const fn of this.listeners) fn(volume);
  }

  /** Read replica sets of the given volumes that are not cached yet. */
  async refresh(volumes: { name: string; id: string | null }[]): Promise<void> {
    for (const v of volumes) {
      if ((this.hosts.has(v.name) && !this.resyncing.has(v.name)) || !v.id) continue;
      const found = await this.px.inspectVolume(v.id).catch(() => undefined);
      if (!found) continue;
      // A replica still being resynced holds no usable copy yet: it is no holder until in sync.
      const health = replicaHealth(found.volume);
      const nodes = (found.volume.replica_sets ?? []).flatMap((rs) => rs.nodes ?? []).filter((n) => !health.resyncNodes.includes(n));
      if (health.resyncing) this.resyncing.add(v.name);
      else this.resyncing.delete(v.name);
      const hosts = nodes.map((n) => this.cluster.hostOfNode(n));
      // A node not known yet (storage not listed so far) must not freeze a partial answer.
      if (hosts.some((h) => h === undefined)) continue;
      this.hosts.set(v.name, [...new Set(hosts as string[])]);
      this.changed(v.name);
    }
  }
}
