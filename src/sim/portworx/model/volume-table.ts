import type { SimVolume } from './types';

/**
 * The cluster's volumes and snapshots by id, with the volumes (not snapshots) also indexed by
 * name: a lookup by name (every create, every InspectWithFilters by name) is O(1), not a scan of
 * every volume, which at 10,000 volumes made a deploy's creates quadratic. A volume's name and
 * `parentId` never change once stored.
 */
export class VolumeTable extends Map<string, SimVolume> {
  private named: Map<string, Set<string>> | undefined;

  override set(id: string, volume: SimVolume): this {
    const previous = super.get(id);
    if (previous) this.unindex(id, previous);
    super.set(id, volume);
    if (!volume.parentId) {
      this.named ??= new Map();
      let ids = this.named.get(volume.name);
      if (!ids) this.named.set(volume.name, (ids = new Set()));
      ids.add(id);
    }
    return this;
  }

  override delete(id: string): boolean {
    const previous = super.get(id);
    if (previous) this.unindex(id, previous);
    return super.delete(id);
  }

  override clear(): void {
    this.named?.clear();
    super.clear();
  }

  /** The volumes (not snapshots) called `name`, in the order they were stored. */
  byName(name: string): SimVolume[] {
    const ids = this.named?.get(name);
    return ids ? [...ids].map((id) => super.get(id)!) : [];
  }

  private unindex(id: string, volume: SimVolume): void {
    const ids = this.named?.get(volume.name);
    if (!ids) return;
    ids.delete(id);
    if (ids.size === 0) this.named!.delete(volume.name);
  }
}
