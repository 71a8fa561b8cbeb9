import type { PlacementIndex } from './placement-index';
import type { StageContext } from './stage';
import type { Offer, OfferEvaluation } from './types';

/** Re-evaluates the kept offers with reasons, later, exactly as they were judged at decision time. */
export type DeferredExplainer = (position: number) => OfferEvaluation;

/**
 * Freeze what explaining the offers at `positions` reads, so the words can be produced later
 * (only when `debug offers` asks) and still say what held when the pod was judged.
 *
 * Of everything the stages read, only the index's pod counts change during a round (each placed
 * pod is recorded); the pod's compiled constraints already hold their group limit and cluster
 * start, its locality and holder plans are its own, the storage view is the round's. So this copies
 * each kept offer (a caller may shrink offers, or take resources off one, as pods land) and takes a
 * mark in the index's history: the counts are read back as they were at the mark (`countAt`) only
 * when explained. O(kept) now, no count looked up.
 */
export function freezeExplainer(
  offers: readonly Offer[],
  ctx: StageContext,
  evaluate: (offer: Offer, ctx: StageContext) => OfferEvaluation,
): (positions: readonly number[]) => DeferredExplainer {
  return (positions) => {
    // Copies: a caller may take resources off an offer once a pod lands on it.
    const kept = positions.slice();
    const frozenOffers = kept.map((i) => copyOffer(offers[i]!));
    const index = frozenIndex(ctx.index, ctx.index.mark());
    // Without live `counts`, the constraint checks read the frozen index instead.
    const constraints = ctx.constraints.map(({ counts: _live, ...c }) => c);
    const frozen: StageContext = { ...ctx, index, constraints };
    return (position) => {
      const offer = frozenOffers[kept.indexOf(position)];
      if (!offer) throw new Error(`offer position ${position} was not kept for explanation`);
      return evaluate(offer, frozen);
    };
  };
}

/** The index as it was at `mark`: its counts read back through the changes since; nothing else changes in a round. */
function frozenIndex(live: PlacementIndex, mark: number): PlacementIndex {
  const frozen = Object.create(live) as PlacementIndex;
  frozen.count = (type: string, field: string, value: string): number => live.countAt(mark, type, field, value);
  return frozen;
}

/**
 * The last copy of each offer: the pods of a round keep mostly the same offers (the first failing
 * ones in offer order), so a copy is shared while the offer still reads the same. Copies are
 * never written (explanations only read them).
 */
const copies = new WeakMap<Offer, Offer>();

/** Marks offers made immutable by `immutableOffer`: one property read tells them apart. */
const IMMUTABLE = Symbol('immutable offer');

/**
 * Freeze an offer (its port list and ranges too) for a round that never changes its offers (the
 * offer handler: a used offer leaves its list, nothing is taken off it). `debug offers` then keeps
 * the offer itself instead of a copy per pod. Returns the same object.
 */
export function immutableOffer<T extends Offer>(offer: T): Readonly<T> {
  for (const range of offer.ports) Object.freeze(range);
  Object.freeze(offer.ports);
  Object.defineProperty(offer, IMMUTABLE, { value: true, enumerable: false });
  return Object.freeze(offer);
}

/** What a stage reads of an offer, copied (one literal shape), or the last copy if nothing changed since. */
function copyOffer(o: Offer): Offer {
  // An immutable offer cannot change: kept as it is.
  if ((o as { [IMMUTABLE]?: true })[IMMUTABLE] === true) return o;
  const last = copies.get(o);
  if (last && sameResources(last, o)) return last;
  const ports = new Array<Offer['ports'][number]>(o.ports.length);
  for (let k = 0; k < o.ports.length; k++) ports[k] = { begin: o.ports[k]!.begin, end: o.ports[k]!.end };
  const copy = { offerId: o.offerId, agentId: o.agentId, hostname: o.hostname, cpus: o.cpus, mem: o.mem, disk: o.disk, ports, attributes: o.attributes, domain: o.domain };
  copies.set(o, copy);
  return copy;
}

/** Everything a caller may take off an offer (the rest of it is the agent's and never changes). */
function sameResources(a: Offer, b: Offer): boolean {
  if (a.cpus !== b.cpus || a.mem !== b.mem || a.disk !== b.disk || a.ports.length !== b.ports.length) return false;
  for (let k = 0; k < a.ports.length; k++) if (a.ports[k]!.begin !== b.ports[k]!.begin || a.ports[k]!.end !== b.ports[k]!.end) return false;
  return a.offerId === b.offerId && a.agentId === b.agentId && a.hostname === b.hostname && a.attributes === b.attributes && a.domain === b.domain;
}
