import type { CompiledConstraint } from './constraints.stage';
import type { PlacementIndex } from './placement-index';
import type { Offer, PodRequest, StageOutcome } from './types';
import type { LocalityPlan } from './volume-locality.stage';

export interface HolderPlan {
  /** Up holders of all the pod's existing volumes that are known agents. */
  hosts: string[];
  /** Those among `hosts` where every constraint holds. */
  keeping: string[];
  /** Constraints yield on `hosts` (break policy, no holder keeps them). */
  breakOnHolders: boolean;
}

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
  /**
   * Hosts holding a replica of every existing volume whose storage is up, and whether any of them
   * keeps every constraint. Under the `break` policy with none keeping them, constraints yield on
   * these hosts (reported as broken).
   */
  holders: HolderPlan;
  /** Live counts of the pod's type by rack, zone and hostname, for the spread tie-break. */
  spread: { rack: ReadonlyMap<string, number>; zone: ReadonlyMap<string, number>; host: ReadonlyMap<string, number> };
}

/**
 * A pure evaluation stage, one object per rule so its two readings cannot drift apart:
 * `fits` is the hot path (no allocation, a boolean), `explain` the words for `debug offers`
 * and the chosen offer's reasons. `fits(o, c) === explain(o, c).pass` always (a property test
 * in test/placement/stage-objects.properties.test.ts holds every stage to it).
 */
export interface Stage<O extends StageOutcome = StageOutcome> {
  /** The stage's name as shown in outcomes (`StageOutcome.stage`). */
  readonly name: string;
  fits(offer: Offer, ctx: StageContext): boolean;
  explain(offer: Offer, ctx: StageContext): O;
}
