import type { StageContext } from './stage';
import type { Offer, OfferEvaluation, PlacementChoice, PlacementResult } from './types';
import { localityScore } from './volume-locality.stage';

/**
 * One pod's verdicts on a round's offers, packed: the passing positions and their scores, instead
 * of an OfferEvaluation object per offer per pod (2,000 offers × 1,000 pods is two million objects
 * a round, most of them garbage at once). Nothing is kept per failing offer either (no array the
 * size of the round per pod): a pod that may only go to its replica holders judges a handful of
 * offers, and its verdicts cost that much. `evaluations` is built from it only when someone reads it.
 */
export interface PackedEvaluations {
  /**
   * The offers as they were judged: the caller's array itself, not a copy (2,000 offers per pod
   * judged would be a copy of the round per pod). Only an offer's ids and host are read from it
   * after the judgement (the chosen offer's reasons are frozen), so a caller may replace an offer
   * in it by what is left of it once a pod took its part; one that reorders or removes offers in
   * place reads the result first.
   */
  readonly offers: readonly Offer[];
  /** Positions of the passing offers, ascending (the chosen one included). */
  readonly passing: readonly number[];
  /** The locality score of each passing offer, in the order of `passing`. */
  readonly passingScores: readonly number[];
  /** Position of the chosen offer, -1 when none fits. */
  readonly chosenIndex: number;
  /** The chosen offer's full evaluation (every stage with its reason), worded on first read. */
  readonly chosen: OfferEvaluation | undefined;
  /** Did the offer at `position` pass every stage? O(log passing). */
  passes(position: number): boolean;
  /** The summary evaluation at a position (outcomes empty, except the chosen one's). */
  at(position: number): OfferEvaluation;
}

const PACKED = Symbol('packed evaluations');

/** The packed verdicts behind a fast (summary) result, if it is one. */
export function packedOf(result: PlacementResult): PackedEvaluations | undefined {
  return (result as { [PACKED]?: PackedEvaluations })[PACKED];
}

type PackedInput = Pick<PackedEvaluations, 'offers' | 'passing' | 'passingScores' | 'chosenIndex'> & {
  /** The chosen offer's full evaluation as it was at decision time: a frozen explainer of it alone (`explainChosen(0)`). */
  explainChosen?: (k: 0) => OfferEvaluation;
};

/** Where `position` is in the ascending `passing`, or -1. */
function passingSlot(passing: readonly number[], position: number): number {
  let lo = 0;
  let hi = passing.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = passing[mid]!;
    if (p === position) return mid;
    if (p < position) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

export function packEvaluations(input: PackedInput, ctx: StageContext): PackedEvaluations {
  const { passing, passingScores, chosenIndex, explainChosen } = input;
  const own = input.offers;
  let chosen: OfferEvaluation | undefined;
  return {
    offers: own,
    passing,
    passingScores,
    chosenIndex,
    get chosen() {
      if (chosenIndex >= 0 && explainChosen) chosen ??= explainChosen(0);
      return chosen;
    },
    passes(position: number): boolean {
      return passingSlot(passing, position) >= 0;
    },
    at(position: number): OfferEvaluation {
      if (position === chosenIndex && explainChosen) return this.chosen!;
      const offer = own[position]!;
      const slot = passingSlot(passing, position);
      // A failing offer's score is read off the same per-pod plan and the round's storage view.
      const score = slot >= 0 ? passingScores[slot]! : localityScore(offer, ctx);
      return { offerId: offer.offerId, agentId: offer.agentId, hostname: offer.hostname, pass: slot >= 0, score, outcomes: [] };
    },
  };
}

/** The packed verdicts with the evaluations materialized from them, once read. */
type Materialized = PackedEvaluations & { evaluations?: OfferEvaluation[] };

/** `evaluations` of a packed result: one getter for every result (no closure per pod). */
function materializedEvaluations(this: PlacementResult): OfferEvaluation[] {
  const packed = packedOf(this) as Materialized;
  return (packed.evaluations ??= Array.from({ length: packed.offers.length }, (_, i) => packed.at(i)));
}

/** A PlacementResult over packed verdicts: `evaluations` (offer order) is materialized on first read. */
export function packedResult(packed: PackedEvaluations, chosen: PlacementChoice | undefined): PlacementResult {
  const result = (chosen ? { chosen } : {}) as PlacementResult;
  Object.defineProperty(result, 'evaluations', { enumerable: true, get: materializedEvaluations });
  Object.defineProperty(result, PACKED, { value: packed, enumerable: false });
  return result;
}

/** The first passing offer (in offer order) that `test` accepts, without materializing the rest. */
export function findPassing(result: PlacementResult, test: (offer: Pick<Offer, 'agentId' | 'hostname'>) => boolean): OfferEvaluation | undefined {
  const packed = packedOf(result);
  if (!packed) return result.evaluations.find((e) => e.pass && test(e));
  const i = packed.passing.find((p) => test(packed.offers[p]!));
  return i === undefined ? undefined : packed.at(i);
}
