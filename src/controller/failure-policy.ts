import type { ServiceSpec } from '../service-spec';
import type { FailurePolicy, StorageOutagePolicy as StorageOutage } from '../service-spec/types';
import type { PodInstanceContext } from '../../machines/pod-instance.types';
import { replacementPhase } from '../../machines/pod-instance.logic';
import { MesosAgentClient } from '../mesos';
import type { Logger } from '../log/logger';
import type { Metrics } from '../observe/metrics';
import type { TransitionLog } from '../observe/transition-log';
import { ReplacementGovernor, type ReplacementPhase, type ReplacementPolicy, type StorageOutagePolicy } from './replacement-governor';

/**
 * The failure policy fields of issue 9 as the runtime reads them. The spec parser fills every
 * default; the fallbacks here only serve a spec object built before those fields existed (a
 * test fixture, an old record), so a missing field never turns into NaN or a zero limit.
 */
export const FAILURE_POLICY_DEFAULTS = {
  probationSeconds: 10,
  maxConcurrentReplacements: 1,
  maxUnavailable: 1,
  storageOutage: { share: 0.4, minNodes: 2, windowSeconds: 60 },
} as const;

function fields(spec: ServiceSpec): Partial<FailurePolicy> {
  return spec.failurePolicy;
}

/** Probation in ms, divided by the time scale like every other interval. */
export function probationMs(spec: ServiceSpec, timeScale = 1): number {
  return ((fields(spec).probation ?? FAILURE_POLICY_DEFAULTS.probationSeconds) * 1000) / timeScale;
}

/** Per pod type (`max_unavailable` is kept per pod type, overrides already applied). */
export function replacementPolicy(spec: ServiceSpec, podType: string): ReplacementPolicy {
  const fp = fields(spec);
  return {
    maxConcurrentReplacements: fp.maxConcurrentReplacements ?? FAILURE_POLICY_DEFAULTS.maxConcurrentReplacements,
    maxUnavailable: fp.maxUnavailable?.[podType] ?? FAILURE_POLICY_DEFAULTS.maxUnavailable,
  };
}

export function storageOutagePolicy(spec: ServiceSpec, timeScale = 1): StorageOutagePolicy {
  const o: Partial<StorageOutage> = fields(spec).storageOutage ?? {};
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

/**
 * The service's replacement governor: limits from the spec. Its decisions are logged and counted;
 * a pause and its end are transitions of the `replacement` actor, so they reach the transition
 * log, the recording and `pxfw.<service>.events.transition` like any other state change.
 */
export function createReplacementGovernor(deps: {
  spec: () => ServiceSpec;
  timeScale: number;
  logger: Logger;
  metrics: Metrics;
  transitions: TransitionLog;
  grant: (pod: string) => void;
}): ReplacementGovernor {
  return new ReplacementGovernor({
    policy: (podType) => replacementPolicy(deps.spec(), podType),
    outage: storageOutagePolicy(deps.spec(), deps.timeScale),
    grant: deps.grant,
    emit: (e) => {
      if (e.kind === 'queued' || e.kind === 'granted') {
        deps.metrics.replacements.inc({ outcome: e.kind });
        deps.logger.info({ governor: e }, e.reason);
        return;
      }
      const paused = e.kind === 'paused';
      deps.metrics.replacementPaused.set(paused ? 1 : 0);
      deps.logger.warn({ governor: e }, e.reason);
      deps.transitions.emit({ actor: 'replacement', from: paused ? 'active' : 'paused', to: paused ? 'paused' : 'active', event: 'STORAGE_NODES', reason: e.reason });
    },
    now: () => Date.now(),
  });
}

/**
 * Does a task's agent answer its own v1 API (GET_HEALTH)? Resolves true on any answer; rejects
 * (read as "silent") when it cannot be reached in time. The default URL is the agent's port on
 * its host; the sandbox maps agents to its simulator (scheduler-service's `agentUrl`).
 */
export function agentHealthProbe(opts: { agentUrl: ((agentId: string, hostname: string) => string) | undefined; timeScale: number; logger: Logger }) {
  const url = opts.agentUrl ?? ((_id: string, host: string) => `http://${host}:5051`);
  const timeoutMs = Math.max(200, Math.round(2_000 / opts.timeScale));
  const logger = opts.logger.child({ module: 'mesos-agent' });
  // Any answer counts, healthy or not: an agent that answers still runs its tasks.
  return async (agentId: string, hostname: string): Promise<boolean> => {
    await new MesosAgentClient({ url: url(agentId, hostname), timeoutMs, logger }).getHealth();
    return true;
  };
}
