import { agentFields, canonicalField, rackOf, type AgentLike } from './fields';
import { RoundFacts } from './round-facts';
import type { ClusterView, FailureDomain, StorageHealth } from './types';

/** Counts of one pod type over the values of one field, with the minimum kept up to date. */
interface GroupStats {
  /** How many values currently have each count. */
  histogram: Map<number, number>;
  min: number;
}

interface Location {
  podType: string;
  agent: AgentLike;
}

const SEP = '\u0000';

/**
 * Everything the stages look up, precomputed once per offer round from the cluster view so each
 * lookup is O(1): pod counts by (pod type, field, value), agents by hostname, storage health.
 * Placing a pod updates it incrementally (`recordPlacement`), so one index serves every pod of a
 * round without rebuilding.
 */
export class PlacementIndex {
  private readonly agentsByHost = new Map<string, AgentLike>();
  /** podType → field → value → pods. Nested maps: no key strings built in the hot path. */
  private readonly counts = new Map<string, Map<string, Map<string, number>>>();
  /** Pods of a type on agents that have the field at all (CLUSTER without a value needs it). */
  private readonly fieldTotals = new Map<string, number>();
  private readonly locations = new Map<string, Location>();
  /** Distinct values of each field over all known agents, built on first use. */
  private readonly knownValues = new Map<string, Set<string>>();
  private readonly groups = new Map<string, GroupStats>();
  private readonly typeKeys = new Map<string, Map<string, string>>();
  private upHostsCache: string[] | undefined;
  private readonly domains = new Map<string, FailureDomain | null>();
  /** What explanations of this round read, kept as the counts change (`roundFacts`), once asked for. */
  private facts: RoundFacts | undefined;

  constructor(readonly view: ClusterView) {
    for (const agent of view.agents) this.agentsByHost.set(agent.hostname, agent);
    for (const agent of view.agents) {
      for (const podType of Object.keys(agent.pods)) {
        for (const instance of agent.pods[podType] ?? []) this.recordPlacement(podType, instance, agent);
      }
    }
  }

  /**
   * The round's facts for explanations (one per index, made on first use): from then on every
   * count change the index makes is passed on to it, so a pod remembered now can be explained
   * later as it was judged, without the index.
   */
  roundFacts(): RoundFacts {
    return (this.facts ??= new RoundFacts());
  }

  /**
   * An index kept across offer rounds starts each round with new facts: pods remembered from
   * earlier rounds keep theirs, and no timeline grows round after round.
   */
  freshFacts(): void {
    this.facts = undefined;
  }

  storageHealth(hostname: string): StorageHealth {
    return this.view.storage[hostname] ?? 'absent';
  }

  /** The known agent on a hostname (from the view or from a recorded placement). */
  agentByHostname(hostname: string): AgentLike | undefined {
    return this.agentsByHost.get(hostname);
  }

  /** The agent's failure domain with its rack resolved (attribute or fault domain); cached. */
  domainOf(hostname: string): FailureDomain | undefined {
    let d = this.domains.get(hostname);
    if (d === undefined) {
      const agent = this.agentsByHost.get(hostname);
      const rack = agent && rackOf(agent);
      d = !agent ? null : rack === undefined ? agent.domain : { ...agent.domain, rack };
      this.domains.set(hostname, d);
    }
    return d ?? undefined;
  }

  /** Pods of `podType` on agents whose `field` equals `value`. */
  count(podType: string, field: string, value: string): number {
    return this.counts.get(podType)?.get(canonicalField(field))?.get(value) ?? 0;
  }

  /**
   * The live value → count map of (`podType`, `field`), created empty if need be so the reference
   * stays valid as placements are recorded. Lets a pod's evaluation skip two lookups per offer.
   */
  valueCounts(podType: string, field: string): ReadonlyMap<string, number> {
    return this.valueMap(podType, canonicalField(field));
  }

  private valueMap(podType: string, field: string): Map<string, number> {
    let byField = this.counts.get(podType);
    if (!byField) this.counts.set(podType, (byField = new Map()));
    let byValue = byField.get(field);
    if (!byValue) byField.set(field, (byValue = new Map()));
    return byValue;
  }

  /** Pods of `podType` on agents that have `field` at all. */
  fieldTotal(podType: string, field: string): number {
    return this.fieldTotals.get(this.typeKey(podType, canonicalField(field))) ?? 0;
  }

  /** Number of distinct values of `field` among known agents. */
  distinctValues(field: string): number {
    return this.valuesOf(canonicalField(field)).size;
  }

  /** The smallest count of `podType` over every known value of `field` (0 when none known). */
  minGroupCount(podType: string, field: string): number {
    return this.groupStats(podType, canonicalField(field)).min;
  }

  /** Where a pod instance is recorded, if anywhere. */
  locationOf(instance: string): { podType: string; agentId: string; hostname: string } | undefined {
    const loc = this.locations.get(instance);
    return loc && { podType: loc.podType, agentId: loc.agent.agentId, hostname: loc.agent.hostname };
  }

  /** Hostnames whose Portworx node is up, sorted; cached for the round. */
  storageUpHosts(): readonly string[] {
    this.upHostsCache ??= Object.keys(this.view.storage)
      .filter((h) => this.view.storage[h] === 'up')
      .sort();
    return this.upHostsCache;
  }

  /** Count a pod instance on an agent (moving it if it was recorded elsewhere). O(fields). */
  recordPlacement(podType: string, instance: string, agent: AgentLike): void {
    if (this.locations.has(instance)) this.removePlacement(instance);
    if (!this.agentsByHost.has(agent.hostname)) this.learnAgent(agent);
    this.locations.set(instance, { podType, agent });
    this.facts?.tick();
    for (const [field, value] of agentFields(agent)) this.bump(podType, field, value, +1);
  }

  /** Forget a pod instance (killed, decommissioned, or about to be placed again). O(fields). */
  removePlacement(instance: string): void {
    const loc = this.locations.get(instance);
    if (!loc) return;
    this.locations.delete(instance);
    this.facts?.tick();
    for (const [field, value] of agentFields(loc.agent)) this.bump(loc.podType, field, value, -1);
  }

  private bump(podType: string, field: string, value: string, delta: 1 | -1): void {
    const byValue = this.valueMap(podType, field);
    const before = byValue.get(value) ?? 0;
    const after = before + delta;
    byValue.set(value, after);
    this.facts?.changed(podType, field, value, after);
    const tk = this.typeKey(podType, field);
    this.fieldTotals.set(tk, (this.fieldTotals.get(tk) ?? 0) + delta);
    const stats = this.groups.get(tk);
    if (stats) moveInHistogram(stats, before, after);
  }

  /** `<podType>\0<field>`, built once per pair (no string built per placement and field). */
  private typeKey(podType: string, field: string): string {
    let byField = this.typeKeys.get(podType);
    if (!byField) this.typeKeys.set(podType, (byField = new Map()));
    let key = byField.get(field);
    if (key === undefined) byField.set(field, (key = podType + SEP + field));
    return key;
  }

  private learnAgent(agent: AgentLike): void {
    this.agentsByHost.set(agent.hostname, agent);
    this.domains.delete(agent.hostname);
    this.facts?.hostLearned(agent.hostname, this.domainOf(agent.hostname)?.rack);
    // A new value joins every group already tracked for its field with a count of zero.
    for (const [field, value] of agentFields(agent)) {
      const values = this.knownValues.get(field);
      if (!values || values.has(value)) continue;
      values.add(value);
      for (const [tk, stats] of this.groups) {
        if (tk.slice(tk.indexOf(SEP) + 1) !== field) continue;
        const podType = tk.slice(0, tk.indexOf(SEP));
        const c = this.count(podType, field, value);
        stats.histogram.set(c, (stats.histogram.get(c) ?? 0) + 1);
        stats.min = Math.min(stats.min, c);
      }
    }
  }

  private valuesOf(field: string): Set<string> {
    let values = this.knownValues.get(field);
    if (!values) {
      values = new Set();
      for (const agent of this.agentsByHost.values()) {
        for (const [f, v] of agentFields(agent)) if (f === field) values.add(v);
      }
      this.knownValues.set(field, values);
    }
    return values;
  }

  private groupStats(podType: string, field: string): GroupStats {
    const tk = this.typeKey(podType, field);
    let stats = this.groups.get(tk);
    if (!stats) {
      stats = { histogram: new Map(), min: Number.POSITIVE_INFINITY };
      for (const value of this.valuesOf(field)) {
        const c = this.count(podType, field, value);
        stats.histogram.set(c, (stats.histogram.get(c) ?? 0) + 1);
        stats.min = Math.min(stats.min, c);
      }
      if (stats.min === Number.POSITIVE_INFINITY) stats.min = 0;
      this.groups.set(tk, stats);
    }
    return stats;
  }
}

/** Move one value from count `before` to `after` (±1), keeping the minimum exact in O(1). */
function moveInHistogram(stats: GroupStats, before: number, after: number): void {
  const left = (stats.histogram.get(before) ?? 0) - 1;
  if (left > 0) stats.histogram.set(before, left);
  else stats.histogram.delete(before);
  stats.histogram.set(after, (stats.histogram.get(after) ?? 0) + 1);
  if (after < stats.min) stats.min = after;
  else if (before === stats.min && left <= 0) stats.min = after;
}

/** Build the round's index from a cluster view (O(agents + pods)). */
export function buildPlacementIndex(view: ClusterView): PlacementIndex {
  return new PlacementIndex(view);
}
