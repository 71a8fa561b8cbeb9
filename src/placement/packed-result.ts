import type { StageContext } from './stage';
import type { Offer, OfferEvaluation, PlacementChoice, PlacementResult } from './types';
import { localityScore } from './volume-locality.stage';

/**
 * One pod's verdicts on a round's offers, packed: a byte and a number per offer instead of an
 * OfferEvaluation object per offer per pod (2,000 offers × 1,000 pods is two million objects a
 * round, most of them garbage at once). `evaluations` is built from it only when someone reads it.
 */
export interface PackedEvaluations {
  /** The offers as they were judged (the caller's array may shrink as pods land). */
  readonly offers: readonly Offer[];
  /** 1 where the offer passed every stage. */
  readonly pass: Uint8Array;
  /** Locality score of each passing offer; NaN where not scored yet (a failing offer). */
  readonly score: Float64Array;
  /** Positions of the passing offers, ascending (the chosen one included). */
  readonly passing: readonly number[];
  /** Position of the chosen offer, -1 when none fits. */
  readonly chosenIndex: number;
  /** The chosen offer's full evaluation (every stage with its reason). */
  readonly chosen: OfferEvaluation | undefined;
  /** The summary evaluation at a position (outcomes empty, except the chosen one's). */
  at(position: number): OfferEvaluation;
}

const PACKED = Symbol('packed evaluations');

/** The packed verdicts behind a fast (summary) result, if it is one. */
export function packedOf(result: PlacementResult): PackedEvaluations | undefined {
  return (result as { [PACKED]?: PackedEvaluations })[PACKED];
}

type PackedInput = Omit<PackedEvaluations, 'at'>;

export function packEvaluations(input: PackedInput, ctx: StageContext): PackedEvaluations {
  const { pass, score, chosenIndex, chosen } = input;
  const own = input.offers.slice();
  return {
    ...input,
    offers: own,
    at(position: number): OfferEvaluation {
      if (position === chosenIndex && chosen) return chosen;
      const offer = own[position]!;
      let s = score[position]!;
      // A failing offer's score is read off the same per-pod plan and the round's storage view.
      if (Number.isNaN(s)) s = score[position] = localityScore(offer, ctx);
      return { offerId: offer.offerId, agentId: offer.agentId, hostname: offer.hostname, pass: pass[position] === 1, score: s, outcomes: [] };
    },
  };
}

/** A PlacementResult over packed verdicts: `evaluations` (offer order) is materialized on first read. */
export function packedResult(packed: PackedEvaluations, chosen: PlacementChoice | undefined): PlacementResult {
  let cache: OfferEvaluation[] | undefined;
  const result = (chosen ? { chosen } : {}) as PlacementResult;
  Object.defineProperty(result, 'evaluations', {
    enumerable: true,
    get: () => (cache ??= Array.from({ length: packed.offers.length }, (_, i) => packed.at(i))),
  });
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
