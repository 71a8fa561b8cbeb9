import { fieldValue } from './fields';
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
 * each kept offer (a caller may shrink offers as pods land) and the count of the pod's type for the
 * value each kept offer has of each constraint field: O(kept × constraints), no reasons built.
 */
export function freezeExplainer(
  offers: readonly Offer[],
  ctx: StageContext,
  evaluate: (offer: Offer, ctx: StageContext) => OfferEvaluation,
): (positions: readonly number[]) => DeferredExplainer {
  return (positions) => {
    const podType = ctx.request.podType;
    const counts = new Map<string, number>();
    const copies = new Map<number, Offer>();
    for (const i of positions) {
      const offer = offers[i]!;
      copies.set(i, { ...offer, ports: offer.ports.map((r) => ({ ...r })) });
      for (const c of ctx.constraints) {
        const v = fieldValue(offer, c.field);
        if (v === undefined) continue;
        const key = countKey(c.field, v);
        if (!counts.has(key)) counts.set(key, ctx.index.count(podType, c.field, v));
      }
    }
    const index = frozenIndex(ctx.index, podType, counts);
    // Without live `counts`, the constraint checks read the frozen index instead.
    const constraints = ctx.constraints.map(({ counts: _live, ...c }) => c);
    const frozen: StageContext = { ...ctx, index, constraints };
    return (position) => {
      const offer = copies.get(position);
      if (!offer) throw new Error(`offer position ${position} was not kept for explanation`);
      return evaluate(offer, frozen);
    };
  };
}

function countKey(field: string, value: string): string {
  return `${field}\u0000${value}`;
}

/** The index as it was: the frozen counts of the pod's type; everything else does not change in a round. */
function frozenIndex(live: PlacementIndex, podType: string, counts: ReadonlyMap<string, number>): PlacementIndex {
  const frozen = Object.create(live) as PlacementIndex;
  frozen.count = (type: string, field: string, value: string): number => {
    const key = countKey(field === '@hostname' ? 'hostname' : field, value);
    if (type === podType && counts.has(key)) return counts.get(key)!;
    return live.count(type, field, value);
  };
  return frozen;
}
