import type { CompiledConstraint } from './constraints.stage';
import type { PlacementIndex } from './placement-index';
import type { Offer, PodRequest, StageOutcome } from './types';
import type { LocalityPlan } from './volume-locality.stage';

/**
 * What every stage may read while judging one offer for one pod. Built once per pod
 * (`prepareStageContext`), so the per-offer work stays O(stages) lookups.
 */
export interface StageContext {
  request: PodRequest;
  /** `<podType>-<index>`: the instance being placed, excluded from its own counts. */
  instance: string;
  index: PlacementIndex;
  constraints: CompiledConstraint[];
  locality: LocalityPlan;
  /** Live counts of the pod's type by rack, zone and hostname, for the spread tie-break. */
  spread: { rack: ReadonlyMap<string, number>; zone: ReadonlyMap<string, number>; host: ReadonlyMap<string, number> };
}

/** A pure evaluation stage: one offer in, one outcome out (with a reason either way). */
export type Stage = (offer: Offer, ctx: StageContext) => StageOutcome;
