import type { ServiceSpec } from '../spec';
import type { PodInstanceContext } from '../../machines/pod-instance.types';
import { replacementPhase } from '../../machines/pod-instance.logic';
import { MesosAgentClient } from '../mesos';
import type { Logger } from '../log/logger';
import { ReplacementGovernor, type ReplacementPhase, type ReplacementPolicy, type StorageOutagePolicy } from './replacement-governor';

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

/** The service's replacement governor: limits from the spec, events to the log. */
export function createReplacementGovernor(deps: { spec: () => ServiceSpec; timeScale: number; logger: Logger; grant: (pod: string) => void }): ReplacementGovernor {
  return new ReplacementGovernor({
    policy: (podType) => replacementPolicy(deps.spec(), podType),
    outage: storageOutagePolicy(deps.spec(), deps.timeScale),
    grant: deps.grant,
    emit: (e) => (e.kind === 'paused' ? deps.logger.warn({ governor: e }, e.reason) : deps.logger.info({ governor: e }, e.reason)),
    now: () => Date.now(),
  });
}

/**
 * Does a task's agent answer its own v1 API (GET_HEALTH)? The default URL is the agent's port on
 * its host; the sandbox maps agents to its simulator (scheduler-service's `agentUrl`).
 */
export function agentHealthProbe(opts: { agentUrl: ((agentId: string, hostname: string) => string) | undefined; timeScale: number; logger: Logger }) {
  const url = opts.agentUrl ?? ((_id: string, host: string) => `http://${host}:5051`);
  const timeoutMs = Math.max(200, Math.round(2_000 / opts.timeScale));
  const logger = opts.logger.child({ module: 'mesos-agent' });
  return (agentId: string, hostname: string): Promise<boolean> => new MesosAgentClient({ url: url(agentId, hostname), timeoutMs, logger }).getHealth();
}
