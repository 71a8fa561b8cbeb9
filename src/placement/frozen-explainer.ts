import type { CompiledConstraint } from './constraints.stage';
import { canonicalField, fieldValue } from './fields';
import type { PlacementIndex } from './placement-index';
import type { RoundFacts } from './round-facts';
import type { StageContext } from './stage';
import type { Offer, OfferEvaluation, StorageHealth } from './types';

/**
 * Re-evaluates the kept offers with reasons, later, exactly as they were judged at decision time:
 * `explain(k)` is the k-th of the positions the explainer was frozen for.
 */
export type DeferredExplainer = (k: number) => OfferEvaluation;

const NO_COUNTS: ReadonlyMap<string, number> = new Map();

/**
 * Freeze what explaining the offers at `positions` reads, so the words can be produced later
 * (only when `debug offers` asks) and still say what held when the pod was judged.
 *
 * What the stages' explanations read of the round: the kept offers themselves, the pod's own
 * plan (request, compiled constraints with their group limit and cluster start, locality, holders)
 * and, from the index, only two facts per kept offer: its host's storage health and the count of
 * the pod's type at the offer's value of each constraint field. Those are kept in the round's
 * facts (RoundFacts: O(kept × constraints) lookups, shared by the round's pods, read at this
 * pod's version), so the explainer holds nothing of the round's index: a remembered pod costs
 * what it explains (at most maxOffersPerPod offers) and its share of the round's facts, not a
 * cluster view.
 */
export function freezeExplainer(
  offers: readonly Offer[],
  ctx: StageContext,
  evaluate: (offer: Offer, ctx: StageContext) => OfferEvaluation,
): (positions: readonly number[]) => DeferredExplainer {
  return (positions) => {
    const constraints = withoutLiveCounts(ctx.constraints);
    const frozenOffers = freezeOffers(offers, positions, ctx, constraints);
    const facts = ctx.index.roundFacts();
    const index = new FrozenFacts(ctx.request.podType, facts, facts.version) as unknown as PlacementIndex;
    const spread = { rack: NO_COUNTS, zone: NO_COUNTS, host: NO_COUNTS };
    const frozen: StageContext = { request: ctx.request, instance: ctx.instance, index, constraints, locality: ctx.locality, holders: ctx.holders, spread };
    return explainerOver(frozenOffers, frozen, evaluate);
  };
}

/** The pod's compiled constraints without live `counts`: the checks read the frozen facts instead (one copy per pod). */
const frozenConstraints = new WeakMap<readonly CompiledConstraint[], CompiledConstraint[]>();

function withoutLiveCounts(constraints: readonly CompiledConstraint[]): CompiledConstraint[] {
  let out = frozenConstraints.get(constraints);
  if (!out) frozenConstraints.set(constraints, (out = constraints.map(({ counts: _live, ...c }) => c)));
  return out;
}

/**
 * The explainer, built outside freezeExplainer's scope: a closure keeps its whole enclosing
 * scope alive, and that one holds the round's offers and live context.
 */
function explainerOver(frozenOffers: readonly Offer[], frozen: StageContext, evaluate: (offer: Offer, ctx: StageContext) => OfferEvaluation): DeferredExplainer {
  return (k) => {
    const offer = frozenOffers[k];
    if (!offer) throw new Error(`kept offer ${k} was not frozen for explanation`);
    return evaluate(offer, frozen);
  };
}

/**
 * The kept offers, frozen (copies: a caller may take resources off an offer once a pod lands on
 * it; an immutable offer is kept as it is), with what explaining them reads of the index kept in
 * the round's facts (tracked from now on, read at this pod's version: nothing copied per pod).
 * The round's next pods mostly keep the offers the last one kept, in the same places: such an
 * offer is frozen and its facts tracked already (one comparison), for a pod of the same type with
 * constraints on the same fields.
 */
function freezeOffers(offers: readonly Offer[], positions: readonly number[], ctx: StageContext, constraints: readonly CompiledConstraint[]): Offer[] {
  const live = ctx.index;
  const facts = live.roundFacts();
  const { podType } = ctx.request;
  const last = facts.lastKept(podType, constraints);
  const frozen = new Array<Offer>(positions.length);
  for (let k = 0; k < positions.length; k++) {
    const offer = offers[positions[k]!]!;
    if (last[k] === offer) {
      frozen[k] = offer;
      continue;
    }
    const copy = (frozen[k] = copyOffer(offer));
    const host = copy.hostname;
    if (!facts.hasHealth(host)) facts.keepHealth(host, live.storageHealth(host));
    // The host's rack labels it in `debug offers`.
    if (!facts.hasRack(host)) facts.keepRack(host, live.domainOf(host)?.rack);
    for (const c of constraints) {
      const v = fieldValue(copy, c.field);
      if (v !== undefined && !facts.hasCount(podType, c.field, v)) facts.keepCount(podType, c.field, v, live.count(podType, c.field, v));
    }
  }
  // A single offer (the chosen one, frozen on its own) does not replace the list.
  if (frozen.length > 1) facts.setLastKept(podType, constraints, frozen);
  return frozen;
}

function notFrozen(what: string): never {
  throw new Error(`frozen placement facts: ${what} was not frozen for explanation`);
}

/** Answers from the round's facts at `version` only (nothing of the live index is reachable). */
class FrozenFacts {
  constructor(
    private readonly podType: string,
    private readonly facts: RoundFacts,
    private readonly version: number,
  ) {}

  count(type: string, field: string, value: string): number {
    if (type !== this.podType) return notFrozen(`count of ${type}`);
    const n = this.facts.countAt(this.version, this.podType, canonicalField(field), value);
    return n === undefined ? notFrozen(`count at ${field}=${value}`) : n;
  }

  storageHealth(hostname: string): StorageHealth {
    return this.facts.healthOf(hostname) ?? notFrozen(`storage health of ${hostname}`);
  }

  distinctValues(): never {
    return notFrozen('distinctValues');
  }

  minGroupCount(): never {
    return notFrozen('minGroupCount');
  }

  fieldTotal(): never {
    return notFrozen('fieldTotal');
  }
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
