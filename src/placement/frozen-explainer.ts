import type { CompiledConstraint } from './constraints.stage';
import { fieldValue } from './fields';
import type { PlacementIndex } from './placement-index';
import type { StageContext } from './stage';
import type { Offer, OfferEvaluation, StorageHealth } from './types';

/** Re-evaluates the kept offers with reasons, later, exactly as they were judged at decision time. */
export type DeferredExplainer = (position: number) => OfferEvaluation;

const SEP = '\u0000';
const NO_COUNTS: ReadonlyMap<string, number> = new Map();

/**
 * Freeze what explaining the offers at `positions` reads, so the words can be produced later
 * (only when `debug offers` asks) and still say what held when the pod was judged.
 *
 * What the stages' explanations read of the round: the kept offers themselves, the pod's own
 * plan (request, compiled constraints with their group limit and cluster start, locality, holders)
 * and, from the index, only two facts per kept offer: its host's storage health and the count of
 * the pod's type at the offer's value of each constraint field. Those are copied now (O(kept ×
 * constraints) lookups), so the explainer holds nothing of the round's index: a remembered pod
 * costs what it explains (at most maxOffersPerPod offers), not a cluster view.
 */
export function freezeExplainer(
  offers: readonly Offer[],
  ctx: StageContext,
  evaluate: (offer: Offer, ctx: StageContext) => OfferEvaluation,
): (positions: readonly number[]) => DeferredExplainer {
  return (positions) => {
    const kept = positions.slice();
    // Copies: a caller may take resources off an offer once a pod lands on it.
    const frozenOffers = kept.map((i) => copyOffer(offers[i]!));
    // Without live `counts`, the constraint checks read the frozen facts instead.
    const constraints = ctx.constraints.map(({ counts: _live, ...c }) => c);
    const index = frozenFacts(frozenOffers, ctx.request.podType, constraints, ctx.index);
    const spread = { rack: NO_COUNTS, zone: NO_COUNTS, host: NO_COUNTS };
    const frozen: StageContext = { request: ctx.request, instance: ctx.instance, index, constraints, locality: ctx.locality, holders: ctx.holders, spread };
    return explainerOver(kept, frozenOffers, frozen, evaluate);
  };
}

/**
 * The explainer, built outside freezeExplainer's scope: a closure keeps its whole enclosing
 * scope alive, and that one holds the round's offers and live context.
 */
function explainerOver(
  kept: readonly number[],
  frozenOffers: readonly Offer[],
  frozen: StageContext,
  evaluate: (offer: Offer, ctx: StageContext) => OfferEvaluation,
): DeferredExplainer {
  return (position) => {
    const offer = frozenOffers[kept.indexOf(position)];
    if (!offer) throw new Error(`offer position ${position} was not kept for explanation`);
    return evaluate(offer, frozen);
  };
}

/**
 * The facts of the index an explanation of these offers reads, as they are now, in an object
 * answering the same questions (`count`, `storageHealth`). Asking it anything else is a bug: the
 * compiled constraints already carry their group limit and cluster start.
 */
function frozenFacts(offers: readonly Offer[], podType: string, constraints: readonly CompiledConstraint[], live: PlacementIndex): PlacementIndex {
  const counts = new Map<string, number>();
  const health = new Map<string, StorageHealth>();
  for (const offer of offers) {
    if (!health.has(offer.hostname)) health.set(offer.hostname, live.storageHealth(offer.hostname));
    for (const c of constraints) {
      const v = fieldValue(offer, c.field);
      if (v === undefined) continue;
      const key = c.field + SEP + v;
      if (counts.has(key)) continue;
      counts.set(key, live.count(podType, c.field, v));
    }
  }
  return factsOver(podType, counts, health);
}

/** Answers from the frozen maps only (its own scope: nothing of the live index is reachable). */
function factsOver(podType: string, counts: ReadonlyMap<string, number>, health: ReadonlyMap<string, StorageHealth>): PlacementIndex {
  const notFrozen = (what: string) => (): never => {
    throw new Error(`frozen placement facts: ${what} was not frozen for explanation`);
  };
  const facts = {
    count(type: string, field: string, value: string): number {
      if (type !== podType) return notFrozen(`count of ${type}`)();
      const n = counts.get(field + SEP + value);
      return n === undefined ? notFrozen(`count at ${field}=${value}`)() : n;
    },
    storageHealth(hostname: string): StorageHealth {
      return health.get(hostname) ?? notFrozen(`storage health of ${hostname}`)();
    },
    distinctValues: notFrozen('distinctValues'),
    minGroupCount: notFrozen('minGroupCount'),
    fieldTotal: notFrozen('fieldTotal'),
  };
  return facts as unknown as PlacementIndex;
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
