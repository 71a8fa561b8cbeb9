import type { Runtime } from '../controller/runtime';
import { onActiveLeader } from '../workflows/leadership';
import { POD_TAGS } from '../../machines/pod-instance.logic';
import type { CommandTarget } from './run-command-effect';
import type { SidecarPlanSpec } from './sidecar-plan';
import { SidecarPlans } from './sidecar-plans';

/**
 * The sidecar plans of the spec a runtime runs. `spec.plans.sidecars` is parsed by src/service-spec
 * (requested from "followups"); until it is there, a spec has none.
 */
export function sidecarSpecs(spec: { plans: object }): Record<string, SidecarPlanSpec> {
  return (spec.plans as { sidecars?: Record<string, SidecarPlanSpec> }).sidecars ?? {};
}

/** The running task of a pod and its container, or why a command cannot run there now. */
function commandTarget(rt: Runtime, pod: string): CommandTarget | string {
  const e = rt.registry.get(pod);
  if (!e) return 'no such pod any more';
  const task = rt.registry.context(e).task;
  if (!task || !e.actor.getSnapshot().hasTag(POD_TAGS.running)) return `not running (${e.state})`;
  const container = rt.tasks.status(task.taskId)?.container_status?.container_id;
  if (!container) return `container of task ${task.taskId} not known yet (no status with container_status since the scheduler started)`;
  return { taskId: task.taskId, agentId: task.agentId, hostname: task.hostname, containerId: container as CommandTarget['containerId'] };
}

function podsByType(rt: Runtime): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const entries = [...rt.registry.all()].sort((a, b) => a.index - b.index);
  for (const e of entries) (out[e.podType] ??= []).push(e.name);
  return out;
}

/** SidecarPlans on the live runtime, resumed from KV each time this scheduler becomes the active leader. */
export function runtimeSidecars(rt: Runtime): SidecarPlans {
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
