import type { PlacementConstraint } from '../service-spec/constraints';

/**
 * Plain JSON inputs and outputs of placement. Producers (the Mesos offer adapter, the supervisor's
 * cluster view, the Portworx inventory) map their wire types onto these.
 */

export type { PlacementConstraint };
export type ConvergenceMode = 'soft' | 'hard';
/**
 * When no replica holder of a pod's data keeps every hard constraint (a replacement, typically):
 * keep (default): the constraint holds; the pod waits for a replica on a host the constraints allow.
 * break: the pod goes to a holder anyway, and the broken constraints are reported.
 */
export type SpreadPolicy = 'keep' | 'break';

/** Failure domains: rack from the agent's `rack` attribute, zone/region from its Mesos fault domain. */
export interface FailureDomain {
  rack?: string;
  zone?: string;
  region?: string;
}

export interface VolumeRequirement {
  /** The deterministic volume name (`<service>-<podType>-<index>-<volume>`). */
  name: string;
  /** False for a volume still to be created: it gets a replica wherever the pod lands. */
  exists: boolean;
  /** Hostnames of the nodes holding a replica (empty when the volume does not exist yet). */
  replicaHosts: string[];
}

/** What one pod instance needs from an offer. */
export interface PodRequest {
  service: string;
  podType: string;
  index: number;
  cpus: number;
  /** MiB. */
  mem: number;
  /** MiB. */
  disk: number;
  /** How many ports the pod needs from the offer's port ranges. */
  ports: number;
  /** Ports the pod needs by number (part of `ports`): each must be inside the offer's ranges. */
  fixedPorts?: number[];
  constraints: PlacementConstraint[];
  volumes: VolumeRequirement[];
  convergence: {
    mode: ConvergenceMode;
    /** Soft mode: true once the pod has waited max_wait for a replica holder's offer. */
    softWaitExpired: boolean;
  };
  /** What to do when no replica holder keeps every constraint (default keep). */
  spread?: SpreadPolicy;
}

export interface PortRange {
  begin: number;
  end: number;
}

export interface Offer {
  offerId: string;
  agentId: string;
  hostname: string;
  cpus: number;
  mem: number;
  disk: number;
  ports: PortRange[];
  /** Agent attributes as text (Mesos scalar/range/set attributes formatted as Mesos prints them). */
  attributes: Record<string, string>;
  domain: FailureDomain;
}

/** up: serving I/O; down: known but offline; absent: no Portworx node on that host. */
export type StorageHealth = 'up' | 'down' | 'absent';

export interface AgentView {
  agentId: string;
  hostname: string;
  domain: FailureDomain;
  attributes?: Record<string, string>;
  /** Pod instance names of this service running or placed on the agent, by pod type. */
  pods: Record<string, string[]>;
}

export interface ClusterView {
  /** Every known agent (not only the ones with offers this round). */
  agents: AgentView[];
  /** Portworx node health by hostname; a hostname missing here counts as absent. */
  storage: Record<string, StorageHealth>;
}

export interface StageOutcome {
  stage: string;
  pass: boolean;
  /** Why, in words a person reads in `debug offers`; present on pass too. */
  reason: string;
}

export interface OfferEvaluation {
  offerId: string;
  agentId: string;
  hostname: string;
  pass: boolean;
  score: number;
  outcomes: StageOutcome[];
  /** Constraints this placement breaks under the `break` spread policy (texts, e.g. `@zone:GROUP_BY`). */
  breaks?: string[];
}

export interface PlacementChoice {
  offerId: string;
  agentId: string;
  hostname: string;
  score: number;
  /** The reasons of every stage for the chosen offer. */
  reasons: string[];
  /** Constraints the choice breaks (only under the `break` spread policy). */
  breaks?: string[];
}

export interface PlacementResult {
  chosen?: PlacementChoice;
  /** Every offer: passing ones first in rank order, then failing ones in offer order. */
  evaluations: OfferEvaluation[];
}
