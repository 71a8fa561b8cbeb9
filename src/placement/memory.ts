import { podInstanceName } from '../service-spec/names';
import type { PlacementIndex } from './placement-index';
import type { OfferEvaluation, PlacementChoice, PlacementResult, PodRequest } from './types';

/** One pod's last placement decision, as kept for `debug offers` (plain JSON). */
export interface RememberedPlacement {
  pod: string;
  service: string;
  podType: string;
  at: string;
  convergence: PodRequest['convergence'];
  chosen?: PlacementChoice;
  /** Chosen first, then other passing offers by score, then failing ones; at most maxOffersPerPod. */
  evaluations: OfferEvaluation[];
  offersSeen: number;
  /** hostname → rack, for labels. */
  racks: Record<string, string>;
}

export interface PlacementMemoryOptions {
  /** Pods remembered; the least recently evaluated is dropped first. */
  maxPods?: number;
  /** Evaluations kept per pod: 2,000 offers × 10,000 pods would not fit in memory. */
  maxOffersPerPod?: number;
  now?: () => Date;
}

/** The last evaluation of each pod instance, bounded in pods and in offers per pod. */
/** A pod's standing spread decision: a constraint broken by policy, or a replica being added to keep it. */
export interface SpreadNote {
  pod: string;
  kind: 'broken' | 'syncing' | 'waiting' | 'kept';
  /** The constraints concerned (texts, e.g. `@zone:GROUP_BY`). */
  constraints: string[];
  /** One line a person reads in `debug offers` and `plan status`. */
  message: string;
  at: string;
}

export class PlacementMemory {
  private readonly entries = new Map<string, RememberedPlacement>();
  private readonly spread = new Map<string, SpreadNote>();
  private readonly maxPods: number;
  private readonly maxOffers: number;
  private readonly now: () => Date;

  constructor(options: PlacementMemoryOptions = {}) {
    this.maxPods = Math.max(1, options.maxPods ?? 1000);
    this.maxOffers = Math.max(1, options.maxOffersPerPod ?? 100);
    this.now = options.now ?? (() => new Date());
  }

  get size(): number {
    return this.entries.size;
  }

  /** Pod instance names, least recently evaluated first. */
  pods(): string[] {
    return [...this.entries.keys()];
  }

  get(pod: string): RememberedPlacement | undefined {
    return this.entries.get(pod);
  }

  /**
   * Keep a pod's evaluation. `explainOffer(i)` re-evaluates offer i with reasons; it fills in the
   * kept offers of a summary evaluation (outcomes empty), and must run before the index changes.
   */
  remember(
    request: PodRequest,
    result: PlacementResult,
    index?: PlacementIndex,
    explainOffer?: (position: number) => OfferEvaluation,
  ): void {
    const pod = podInstanceName(request.podType, request.index);
    const kept = trim(result, this.maxOffers).map((i) => {
      const ev = result.evaluations[i]!;
      return ev.outcomes.length === 0 && explainOffer ? explainOffer(i) : ev;
    });
    const racks: Record<string, string> = {};
    for (const ev of kept) {
      const rack = index?.domainOf(ev.hostname)?.rack;
      if (rack !== undefined) racks[ev.hostname] = rack;
    }
    const entry: RememberedPlacement = {
      pod,
      service: request.service,
      podType: request.podType,
      at: this.now().toISOString(),
      convergence: request.convergence,
      evaluations: kept,
      offersSeen: result.evaluations.length,
      racks,
    };
    if (result.chosen) entry.chosen = result.chosen;
    this.entries.delete(pod);
    this.entries.set(pod, entry);
    if (this.entries.size > this.maxPods) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** Record (or with `undefined`, clear) a pod's spread decision; returns true when it changed. */
  noteSpread(pod: string, note: Omit<SpreadNote, 'pod' | 'at'> | undefined): boolean {
    const prev = this.spread.get(pod);
    if (!note) return this.spread.delete(pod);
    if (prev && prev.kind === note.kind && prev.message === note.message) return false;
    this.spread.set(pod, { pod, at: this.now().toISOString(), ...note });
    return true;
  }

  spreadNote(pod: string): SpreadNote | undefined {
    return this.spread.get(pod);
  }

  /** Every pod's standing spread decision (broken constraints, replicas syncing), by pod name. */
  spreadNotes(): SpreadNote[] {
    return [...this.spread.values()].sort((a, b) => a.pod.localeCompare(b.pod));
  }

  /** Lines a person reads: the decision, then each offer with its failing stages (or its score). */
  explain(pod: string): string[] {
    const e = this.entries.get(pod);
    const note = this.spread.get(pod);
    const spreadLine = note ? [`spread (${note.kind}): ${note.message}`] : [];
    if (!e) return [`${pod}: no placement evaluated yet`, ...spreadLine];
    const label = (host: string) => (e.racks[host] ? `${host} (${e.racks[host]})` : host);
    const lines = [
      e.chosen
        ? `${e.service} ${pod} at ${e.at}: chose ${label(e.chosen.hostname)} score ${e.chosen.score} of ${e.offersSeen} offer(s); ${e.convergence.mode} convergence`
        : `${e.service} ${pod} at ${e.at}: no offer fits among ${e.offersSeen} offer(s); ${e.convergence.mode} convergence`,
      ...spreadLine,
    ];
    for (const ev of e.evaluations) {
      if (ev.pass) {
        const tag = e.chosen?.offerId === ev.offerId ? 'CHOSEN' : 'PASS';
        const locality = ev.outcomes.find((o) => o.stage === 'volume-locality');
        const breaks = ev.breaks ? `; BREAKS ${ev.breaks.join(', ')} (spread policy break: no replica holder keeps it)` : '';
        lines.push(`${label(ev.hostname)}: ${tag} score ${ev.score}${locality ? `: ${locality.reason}` : ''}${breaks}`);
        continue;
      }
      for (const o of ev.outcomes) if (!o.pass) lines.push(`${label(ev.hostname)}: FAIL ${o.stage}: ${o.reason}`);
    }
    const hidden = e.offersSeen - e.evaluations.length;
    if (hidden > 0) lines.push(`… ${hidden} more offer(s) not kept`);
    return lines;
  }
}

/** Positions of the evaluations to keep: chosen, other passing by score, failing in offer order. */
function trim(result: PlacementResult, max: number): number[] {
  const chosenId = result.chosen?.offerId;
  const positions = result.evaluations.map((_, i) => i);
  const evs = result.evaluations;
  const chosen = positions.filter((i) => evs[i]!.offerId === chosenId);
  const passing = positions.filter((i) => evs[i]!.pass && evs[i]!.offerId !== chosenId).sort((a, b) => evs[b]!.score - evs[a]!.score);
  const failing = positions.filter((i) => !evs[i]!.pass);
  return [...chosen, ...passing, ...failing].slice(0, max);
}
