import type { StorageHealth } from './types';

/** [version, value, version, value, ...]: from each version on, the value it had. */
type Timeline<T> = (number | T)[];

/** The value at `version`: the last entry no newer than it, undefined if the first is newer. O(log entries). */
function valueAt<T>(timeline: Timeline<T> | undefined, version: number): T | undefined {
  if (!timeline || (timeline[0] as number) > version) return undefined;
  let lo = 0;
  let hi = timeline.length / 2 - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((timeline[2 * mid] as number) <= version) lo = mid;
    else hi = mid - 1;
  }
  return timeline[2 * lo + 1] as T;
}

/**
 * What `debug offers` explanations read of one round's PlacementIndex, kept as the round goes on,
 * shared by every pod remembered from the round: per (pod type, field, value) the counts it had
 * since it was first kept, and per host its storage health and rack. A pod remembered at version
 * V reads them as they were at V; nothing is copied per pod, and nothing here refers to the
 * index or its cluster view (a remembered pod keeps only this, not the round).
 *
 * Only what some pod kept is tracked: a count enters when first kept (with its live value) and
 * from then on every change the index makes to it is appended (`changed`), so a count read at a
 * version no older than the one it was kept at is exact. A host's health is the index's view's,
 * which does not change under the index; its rack changes only when the index learns the host's
 * agent (`hostLearned`).
 */
export class RoundFacts {
  /** Moves on with every placement recorded or removed in the index (and a rack learnt). */
  version = 0;
  private readonly counts = new Map<string, Map<string, Map<string, Timeline<number>>>>();
  private readonly health = new Map<string, StorageHealth>();
  private readonly racks = new Map<string, Timeline<string | null>>();
  /** The offers the last pod kept for explanation (frozen), with its pod type and constraint fields. */
  private last: { podType: string; fields: readonly string[]; offers: readonly object[] } = { podType: '', fields: [], offers: [] };

  /**
   * The offers (frozen) the last pod of this type with constraints on these fields kept for
   * explanation, in their places: their facts are tracked for such a pod. None otherwise.
   */
  lastKept(podType: string, constraints: readonly { field: string }[]): readonly object[] {
    const last = this.last;
    if (last.podType !== podType || last.fields.length !== constraints.length) return [];
    for (let k = 0; k < constraints.length; k++) if (last.fields[k] !== constraints[k]!.field) return [];
    return last.offers;
  }

  setLastKept(podType: string, constraints: readonly { field: string }[], offers: readonly object[]): void {
    this.last = { podType, fields: constraints.map((c) => c.field), offers };
  }

  /** The index is about to record or remove a placement (its count changes follow). */
  tick(): void {
    this.version += 1;
  }

  /** The index changed a count: appended if the count is tracked. O(1). */
  changed(podType: string, field: string, value: string, count: number): void {
    const timeline = this.counts.get(podType)?.get(field)?.get(value);
    if (timeline) timeline.push(this.version, count);
  }

  /** Is the count of (pod type, canonical field, value) tracked? */
  hasCount(podType: string, field: string, value: string): boolean {
    return this.counts.get(podType)?.get(field)?.has(value) ?? false;
  }

  /** Track a count from now on, starting at its live value (a no-op if already tracked). */
  keepCount(podType: string, field: string, value: string, live: number): void {
    let byField = this.counts.get(podType);
    if (!byField) this.counts.set(podType, (byField = new Map()));
    let byValue = byField.get(field);
    if (!byValue) byField.set(field, (byValue = new Map()));
    if (!byValue.has(value)) byValue.set(value, [this.version, live]);
  }

  /** The count at `version`, or undefined if it was not tracked by then. */
  countAt(version: number, podType: string, field: string, value: string): number | undefined {
    return valueAt(this.counts.get(podType)?.get(field)?.get(value), version);
  }

  hasHealth(hostname: string): boolean {
    return this.health.has(hostname);
  }

  keepHealth(hostname: string, health: StorageHealth): void {
    if (!this.health.has(hostname)) this.health.set(hostname, health);
  }

  healthOf(hostname: string): StorageHealth | undefined {
    return this.health.get(hostname);
  }

  hasRack(hostname: string): boolean {
    return this.racks.has(hostname);
  }

  /** Track a host's rack from now on (undefined: none, or the host is unknown to the index). */
  keepRack(hostname: string, rack: string | undefined): void {
    if (!this.racks.has(hostname)) this.racks.set(hostname, [this.version, rack ?? null]);
  }

  /** The index learnt the agent on a host: a tracked rack that changed moves on from a new version. */
  hostLearned(hostname: string, rack: string | undefined): void {
    const timeline = this.racks.get(hostname);
    if (!timeline || timeline[timeline.length - 1] === (rack ?? null)) return;
    this.tick();
    timeline.push(this.version, rack ?? null);
  }

  /** The host's rack at `version`: a string, null when it had none, undefined if not kept by then. */
  rackAt(version: number, hostname: string): string | null | undefined {
    return valueAt(this.racks.get(hostname), version);
  }
}
