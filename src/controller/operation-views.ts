import { POD_TAGS, recoveryStage } from '../../machines/pod-instance.logic';
import { recoveryPlanView, type RecoveringPod } from './recovery-plan';
import { endpointNamed, endpointViews } from '../api/endpoint-views';
import type { EndpointView, OfferEvaluationView, PlanView } from '../api/operations';
import { placementStallReason } from '../api/placement-summary';
import type { PlacementMemory } from '../placement/memory';
import type { NetworkSpec } from '../service-spec';
import type { PodRegistry } from './pod-registry';
import type { ReplacementGovernor } from './replacement-governor';

/** What the views read of the runtime (a narrow port: only operations.ts knows the Runtime). */
export interface OperationViewsPort {
  readonly service: string;
  readonly spec: { pods: Record<string, { ports?: readonly { name: string; port?: number | undefined }[] | undefined }>; network?: NetworkSpec | undefined };
  readonly registry: PodRegistry;
  readonly memory: PlacementMemory;
  readonly governor: Pick<ReplacementGovernor, 'status'>;
}

/**
 * Read-only views of the live runtime for RuntimeOperations (kept apart so operations.ts stays
 * about commands): endpoints, recent offer evaluations, and why plan steps wait.
 */

/** Every endpoint (addresses and DC/OS DNS names of the running pods), or the one named. */
export function runtimeEndpoints(rt: OperationViewsPort, name?: string): EndpointView[] | EndpointView {
  const pods = rt.registry.all().map((e) => {
    const task = rt.registry.context(e).task;
    return { name: e.name, podType: e.podType, hostname: task?.hostname ?? '', running: !!task && e.actor.getSnapshot().hasTag(POD_TAGS.running) };
  });
  // On a virtual network without port mapping the address is the pod's own (its name), not the agent's.
  const list = endpointViews(rt.service, rt.spec.pods, pods, rt.spec.network);
  return name === undefined ? list : endpointNamed(list, name);
}

export function runtimeOfferEvaluations(rt: OperationViewsPort, names: string[]): OfferEvaluationView[] {
  return names.map((name) => ({
    pod: name,
    evaluatedAt: rt.memory.get(name)?.at ?? '',
    lines: rt.memory.get(name) ? rt.memory.explain(name) : [`${name}: no offer evaluated yet (state ${rt.registry.get(name)?.state ?? 'unknown'})`],
  }));
}

/**
 * A step that cannot progress says why (issue 13): a step not complete whose pod has no running
 * task and whose last placement found no fitting offer gets the summary of why, e.g. `no offer
 * fits: no agent offers port 9042`. Steps with a message of their own keep it.
 */
export function withStallReasons(rt: OperationViewsPort, view: PlanView): PlanView {
  const phases = view.phases.map((ph) => ({
    ...ph,
    steps: ph.steps.map((s) => {
      if (s.message || s.status === 'COMPLETE' || s.status === 'PENDING') return s;
      const e = rt.registry.get(s.name);
      if (!e || e.actor.getSnapshot().hasTag(POD_TAGS.running)) return s;
      const why = placementStallReason(rt.memory.get(s.name));
      return why ? { ...s, message: why } : s;
    }),
  }));
  return { ...view, phases };
}

/** Pods on probation, relaunching, waiting for a replacement slot or being replaced; why nothing moves. */
export function runtimeRecoveryPlan(rt: OperationViewsPort): PlanView {
  const pods: RecoveringPod[] = [];
  for (const e of rt.registry.all()) {
    const snap = e.actor.getSnapshot();
    const stage = recoveryStage((tag) => snap.hasTag(tag), rt.registry.context(e));
    if (!stage) continue;
    // The spread decision of its placement (a constraint kept by syncing a replica, or broken).
    const note = rt.memory.spreadNote(e.name);
    const reason = rt.registry.context(e).reason;
    pods.push({ name: e.name, stage, reason: note ? `${reason}; spread: ${note.message}` : reason });
  }
  const view = recoveryPlanView(pods, rt.governor.status());
  const broken = rt.memory.spreadNotes().filter((n) => n.kind === 'broken');
  return broken.length === 0 ? view : { ...view, errors: [...view.errors, ...broken.map((n) => `${n.pod}: ${n.message}`)] };
}
