import { podInstanceName } from '../service-spec/names';
import type { DeferredExplainer } from './frozen-explainer';
import type { PlacementIndex } from './placement-index';
import type { RoundFacts } from './round-facts';
import { packedOf, type PackedEvaluations } from './packed-result';
import type { OfferEvaluation, PlacementChoice, PlacementResult, PodRequest } from './types';

/** A kept evaluation whose reasons are built when the placement is read (replaced in `get`). */
const PENDING = Object.freeze({ offerId: '', agentId: '', hostname: '', pass: false, score: 0, outcomes: [] }) as unknown as OfferEvaluation;

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
  /**
   * Evaluations kept per pod (default 25): 2,000 offers × 10,000 pods would not fit in memory.
   * In a serial deploy every pod is its own round: at 100 per pod the last 1,000 pods held ~53 MB
   * of a 320 MB heap (and every major GC marked it); at 25, ~17 MB.
   */
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

/** A remembered placement whose kept offers still carry no reasons: explained on first read. */
interface Entry {
  placement: RememberedPlacement;
  /**
   * The kept evaluations that still need their reasons: the k-th is worded by `explain(k)` into
   * slot `slots[k]` (slot k when `slots` is absent: every kept evaluation waits).
   */
  unexplained?: { slots?: number[]; count: number; explain: DeferredExplainer };
  /** The kept evaluations' racks: in the round's facts (kept from its index), as they were at `version`. */
  racks?: { facts: RoundFacts; version: number };
  /** The chosen offer's reasons are the kept chosen evaluation's (slot 0), worded on first read. */
  chosenFromSlot0?: boolean;
  /** When it was evaluated: `placement.at` is formatted from it on first read. */
  at?: Date;
}

/** How many offers `debug offers` shows per pod: the chosen one, the best others, then rejected ones. */
export const DEFAULT_OFFERS_PER_POD = 25;

export class PlacementMemory {
  private readonly entries = new Map<string, Entry>();
  private readonly spread = new Map<string, SpreadNote>();
  private readonly maxPods: number;
  private readonly maxOffers: number;
  private readonly now: () => Date;

  constructor(options: PlacementMemoryOptions = {}) {
    this.maxPods = Math.max(1, options.maxPods ?? 1000);
    this.maxOffers = Math.max(1, options.maxOffersPerPod ?? DEFAULT_OFFERS_PER_POD);
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
    const entry = this.entries.get(pod);
    if (!entry) return undefined;
    if (entry.unexplained) {
      // Explained only now that someone reads it (`debug offers`), from what was frozen then.
      const { slots, count, explain } = entry.unexplained;
      const evaluations = entry.placement.evaluations;
      if (slots) slots.forEach((slot, k) => (evaluations[slot] = explain(k)));
      else for (let k = 0; k < count; k++) evaluations[k] = explain(k);
      entry.unexplained = undefined;
    }
    if (entry.at) {
      entry.placement.at = entry.at.toISOString();
      entry.at = undefined;
    }
    if (entry.chosenFromSlot0) {
      entry.placement.chosen!.reasons = entry.placement.evaluations[0]!.outcomes.map((o) => `${o.stage}: ${o.reason}`);
      entry.chosenFromSlot0 = undefined;
    }
    if (entry.racks) {
      const racks = entry.placement.racks;
      const { facts, version } = entry.racks;
      for (const ev of entry.placement.evaluations) {
        const rack = facts.rackAt(version, ev.hostname);
        if (typeof rack === 'string') racks[ev.hostname] = rack;
      }
      entry.racks = undefined;
    }
    return entry.placement;
  }

  /**
   * Keep a pod's evaluation. The kept offers of a summary evaluation (outcomes empty) get their
   * reasons from `explainKept`: called now with their positions, it freezes what explaining them
   * reads (it must run before the index changes) and returns the explainer, which runs only when
   * the placement is read (`get`, `explain`).
   */
  remember(
    request: PodRequest,
    result: PlacementResult,
    index?: PlacementIndex,
    explainKept?: (positions: readonly number[]) => DeferredExplainer,
  ): void {
    const packed = packedOf(result);
    const positions = packed ? trimPacked(packed, this.maxOffers) : trim(result, this.maxOffers);
    const facts = index?.roundFacts();
    if (packed && explainKept) {
      // Every kept offer of a packed result, the chosen one included, is worded on first read:
      // nothing per kept offer is held now but what freezing it keeps (its host's rack too).
      const chosenFromSlot0 = result.chosen !== undefined && positions[0] === packed.chosenIndex;
      const placement = this.placementOf(request, [], packed.offers.length);
      if (result.chosen) placement.chosen = chosenFromSlot0 ? plainChoice(result.chosen) : result.chosen;
      const unexplained = positions.length > 0 ? { count: positions.length, explain: explainKept(positions) } : undefined;
      this.keep({
        placement,
        at: this.now(),
        ...(unexplained ? { unexplained } : {}),
        ...(facts && positions.length > 0 ? { racks: { facts, version: facts.version } } : {}),
        ...(chosenFromSlot0 ? { chosenFromSlot0 } : {}),
      });
      return;
    }
    // Kept evaluations without reasons (outcomes empty) wait for a reader.
    const kept: OfferEvaluation[] = new Array(positions.length);
    const slots: number[] = [];
    const pending: number[] = [];
    for (let slot = 0; slot < positions.length; slot++) {
      const i = positions[slot]!;
      // A packed result's kept offers, the chosen one included, are all worded on first read.
      const ev = packed ? undefined : result.evaluations[i]!;
      if (explainKept && (!ev || ev.outcomes.length === 0)) {
        // Freezing it for explanation keeps its host's rack in the round's facts too.
        kept[slot] = PENDING;
        slots.push(slot);
        pending.push(i);
        continue;
      }
      const evaluation = (kept[slot] = ev ?? packed!.at(i));
      if (facts && !facts.hasRack(evaluation.hostname)) facts.keepRack(evaluation.hostname, index!.domainOf(evaluation.hostname)?.rack);
    }
    const entry = this.placementOf(request, kept, packed ? packed.offers.length : result.evaluations.length);
    // A packed result's chosen offer words its reasons through the round's views: kept instead as
    // a plain copy whose reasons are the kept chosen evaluation's (the same frozen explanation).
    const chosenFromSlot0 = packed !== undefined && result.chosen !== undefined && slots[0] === 0 && positions[0] === packed.chosenIndex;
    if (result.chosen) entry.chosen = chosenFromSlot0 ? plainChoice(result.chosen) : result.chosen;
    const unexplained = slots.length > 0 && explainKept ? { ...(slots.length < kept.length ? { slots } : {}), count: slots.length, explain: explainKept(pending) } : undefined;
    this.keep({
      placement: entry,
      at: this.now(),
      ...(unexplained ? { unexplained } : {}),
      ...(facts && positions.length > 0 ? { racks: { facts, version: facts.version } } : {}),
      ...(chosenFromSlot0 ? { chosenFromSlot0 } : {}),
    });
  }

  private placementOf(request: PodRequest, evaluations: OfferEvaluation[], offersSeen: number): RememberedPlacement {
    return {
      pod: podInstanceName(request.podType, request.index),
      service: request.service,
      podType: request.podType,
      at: '',
      convergence: request.convergence,
      evaluations,
      offersSeen,
      // Filled from `racks` when the placement is read.
      racks: {},
    };
  }

  private keep(entry: Entry): void {
    this.entries.delete(entry.placement.pod);
    this.entries.set(entry.placement.pod, entry);
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
    const e = this.get(pod);
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

/**
 * The hot path's choice (offerId, agentId, hostname, score, breaks?, then its `reasons` getter) as
 * plain fields in the same key order, `reasons` left empty (filled on first read): no getter kept.
 */
function plainChoice(chosen: PlacementChoice): PlacementChoice {
  const { offerId, agentId, hostname, score, breaks } = chosen;
  return breaks === undefined ? { offerId, agentId, hostname, score, reasons: [] } : { offerId, agentId, hostname, score, breaks, reasons: [] };
}

/** trim() over packed verdicts: the same positions, from the passing list and the first failing ones. */
function trimPacked(packed: PackedEvaluations, max: number): number[] {
  const { passing, passingScores, chosenIndex } = packed;
  const out = chosenIndex >= 0 ? [chosenIndex] : [];
  // Other passing offers by score, highest first; equal scores in offer order (a stable sort).
  const others: number[] = [];
  for (let k = 0; k < passing.length; k++) if (passing[k] !== chosenIndex) others.push(k);
  others.sort((x, y) => passingScores[y]! - passingScores[x]!);
  for (const k of others) {
    if (out.length >= max) return out;
    out.push(passing[k]!);
  }
  // Then failing offers in offer order: walk the positions, stepping over the passing ones.
  let next = 0;
  for (let i = 0; i < packed.offers.length && out.length < max; i++) {
    if (next < passing.length && passing[next] === i) next++;
    else out.push(i);
  }
  return out;
}

/**
 * Positions of the evaluations to keep: chosen, other passing by score (stable), failing in offer
 * order; at most `max`. One pass; only the failing ones that can still be kept are collected.
 */
function trim(result: PlacementResult, max: number): number[] {
  const chosenId = result.chosen?.offerId;
  const evs = result.evaluations;
  const chosen: number[] = [];
  const passing: number[] = [];
  const failing: number[] = [];
  for (let i = 0; i < evs.length; i++) {
    const ev = evs[i]!;
    if (ev.offerId === chosenId) chosen.push(i);
    else if (ev.pass) passing.push(i);
    else if (failing.length < max) failing.push(i);
  }
  passing.sort((a, b) => evs[b]!.score - evs[a]!.score);
  return [...chosen, ...passing, ...failing].slice(0, max);
}
