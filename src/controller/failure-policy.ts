import type { ServiceSpec } from '../spec';
import type { PodInstanceContext } from '../../machines/pod-instance.types';
import { replacementPhase } from '../../machines/pod-instance.logic';
import type { ReplacementPhase, ReplacementPolicy, StorageOutagePolicy } from './replacement-governor';

/**
 * The failure policy fields of issue 9 as the runtime reads them, with their defaults. The spec
 * schema (src/spec) declares them; reading them through optional fields keeps the runtime working
 * with a spec parsed before they existed (e.g. one restored from KV).
 */
interface FailurePolicyFields {
  /** Seconds of probation before evidence that a host is down is confirmed. */
  probation?: number;
  maxConcurrentReplacements?: number;
  maxUnavailable?: number;
  storageOutage?: { share?: number; minNodes?: number; window?: number };
}

export const FAILURE_POLICY_DEFAULTS = {
  probationSeconds: 10,
  maxConcurrentReplacements: 1,
  maxUnavailable: 1,
  storageOutage: { share: 0.33, minNodes: 2, windowSeconds: 60 },
} as const;

function fields(spec: ServiceSpec): FailurePolicyFields {
  return spec.failurePolicy as unknown as FailurePolicyFields;
}

/** Probation in ms, divided by the time scale like every other interval. */
export function probationMs(spec: ServiceSpec, timeScale = 1): number {
  return ((fields(spec).probation ?? FAILURE_POLICY_DEFAULTS.probationSeconds) * 1000) / timeScale;
}

/** Per pod type: a pod type may override max_unavailable. */
export function replacementPolicy(spec: ServiceSpec, podType: string): ReplacementPolicy {
  const fp = fields(spec);
  const pod = spec.pods[podType] as unknown as { maxUnavailable?: number } | undefined;
  return {
    maxConcurrentReplacements: fp.maxConcurrentReplacements ?? FAILURE_POLICY_DEFAULTS.maxConcurrentReplacements,
    maxUnavailable: pod?.maxUnavailable ?? fp.maxUnavailable ?? FAILURE_POLICY_DEFAULTS.maxUnavailable,
  };
}

export function storageOutagePolicy(spec: ServiceSpec, timeScale = 1): StorageOutagePolicy {
  const o = fields(spec).storageOutage ?? {};
  const d = FAILURE_POLICY_DEFAULTS.storageOutage;
  return { share: o.share ?? d.share, minNodes: o.minNodes ?? d.minNodes, windowMs: ((o.window ?? d.windowSeconds) * 1000) / timeScale };
}

/** What the runtime tells the replacement governor about a pod, from its actor snapshot. */
export function podReplacementPhase(snapshot: {
  status: string;
  context: PodInstanceContext;
  hasTag(tag: string): boolean;
}): ReplacementPhase {
  if (snapshot.status === 'done') return 'done';
  return replacementPhase((tag) => snapshot.hasTag(tag), snapshot.context);
}
