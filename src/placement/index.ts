export * from './types';
export { bestOffer, evaluateOffer, evaluateOffers, offersByHost, planHolders, prepareStageContext, STAGES, type EvaluateOptions, type OffersByHost } from './evaluate';
export { PlacementIndex, buildPlacementIndex } from './placement-index';
export { findPassing, packedOf, type PackedEvaluations } from './packed-result';
export { immutableOffer } from './frozen-explainer';
export { pinReplicas, type PinOptions } from './pin-replicas';
export { pinPodReplicas, type FailoverPod, type FailoverChoice, type PodPinning } from './failover-pinning';
export { PlacementMemory, type PlacementMemoryOptions, type RememberedPlacement, type SpreadNote } from './memory';
export { InsufficientReplicaHostsError, PlacementInputError, UnknownPodTypeError } from './errors';
export { podRequestFor, type PodRequestState } from './request';
export { resourcesStage, RESOURCES_STAGE, portCount } from './resources.stage';
export {
  constraintsStage,
  constraintHolds,
  strictlyHold,
  brokenConstraints,
  checkConstraint,
  compileConstraints,
  CONSTRAINTS_STAGE,
  type CompiledConstraint,
} from './constraints.stage';
export { storageHealthStage, STORAGE_HEALTH_STAGE } from './storage-health.stage';
export {
  volumeLocalityStage,
  prepareLocality,
  LOCALITY_SCORES,
  VOLUME_LOCALITY_STAGE,
  type LocalityPlan,
  type LocalityJudgement,
  type LocalityOutcome,
  type ScoringStage,
} from './volume-locality.stage';
export { fieldValue, canonicalField, rackOf, type AgentLike } from './fields';
export { validateOffers, validateClusterView, validatePodRequest } from './validate';
export { podRequestSchema, offerSchema, clusterViewSchema } from './schemas';
export type { HolderPlan, Stage, StageContext } from './stage';
