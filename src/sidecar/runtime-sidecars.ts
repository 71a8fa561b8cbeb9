import type { PodRegistry } from '../controller/pod-registry';
import type { TaskTracker } from '../controller/task-tracker';
import type { SupervisorListener } from '../controller/ports/supervisor';
import type { Logger } from '../log/logger';
import type { PlanStore } from '../workflows/workflow-runner';
import { onActiveLeader } from '../workflows/leadership';
import { POD_TAGS } from '../../machines/pod-instance.logic';
import type { CommandTarget, SidecarCommandDeps } from './run-command-effect';
import type { SidecarPlanSpec } from './sidecar-plan';
import { SidecarPlans } from './sidecar-plans';

/**
 * The sidecar plans of the spec a runtime runs. `spec.plans.sidecars` is parsed by src/service-spec
 * (requested from "followups"); until it is there, a spec has none.
 */
export function sidecarSpecs(spec: { plans: object }): Record<string, SidecarPlanSpec> {
  return (spec.plans as { sidecars?: Record<string, SidecarPlanSpec> }).sidecars ?? {};
}

/** What the sidecar plans read of the runtime (a narrow port: only the operator verbs know the Runtime). */
export interface SidecarRuntimePort {
  readonly store: PlanStore;
  readonly logger: Logger;
  readonly spec: { plans: object };
  readonly registry: PodRegistry;
  readonly tasks: Pick<TaskTracker, 'status'>;
  readonly opts: { commandRunner?: SidecarCommandDeps['runner'] };
  readonly leading: boolean;
  frameworkIs(state: 'active'): boolean;
  onFramework(listener: SupervisorListener): () => void;
}

/** The running task of a pod and its container, or why a command cannot run there now. */
function commandTarget(rt: SidecarRuntimePort, pod: string): CommandTarget | string {
  const e = rt.registry.get(pod);
  if (!e) return 'no such pod any more';
  const task = rt.registry.context(e).task;
  if (!task || !e.actor.getSnapshot().hasTag(POD_TAGS.running)) return `not running (${e.state})`;
  const container = rt.tasks.status(task.taskId)?.container_status?.container_id;
  if (!container) return `container of task ${task.taskId} not known yet (no status with container_status since the scheduler started)`;
  return { taskId: task.taskId, agentId: task.agentId, hostname: task.hostname, containerId: container as CommandTarget['containerId'] };
}

function podsByType(rt: SidecarRuntimePort): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const entries = [...rt.registry.all()].sort((a, b) => a.index - b.index);
  for (const e of entries) (out[e.podType] ??= []).push(e.name);
  return out;
}

/** SidecarPlans on the live runtime, resumed from KV each time this scheduler becomes the active leader. */
export function runtimeSidecars(rt: SidecarRuntimePort): SidecarPlans {
  const plans = new SidecarPlans({
    store: rt.store,
    logger: rt.logger.child({ module: 'sidecar-plans' }),
    specs: () => sidecarSpecs(rt.spec),
    podsByType: () => podsByType(rt),
    target: (pod) => commandTarget(rt, pod),
    runner: rt.opts.commandRunner,
  });
  const activeLeader = () => rt.leading && rt.frameworkIs('active');
  onActiveLeader(
    { subscribe: (o) => ({ unsubscribe: rt.onFramework({ next: () => o.next(), error: () => undefined, complete: () => o.complete() }) }), activeLeader },
    () => void plans.resumeStored().catch((err: unknown) => rt.logger.warn({ err }, 'could not resume the sidecar plans')),
    () => plans.stopAll(),
  );
  return plans;
}
