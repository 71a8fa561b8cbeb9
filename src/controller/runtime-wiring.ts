import { frameworkPrincipal } from '../mesos/service-account-env';
import type { FrameworkInput } from '../../machines/framework.types';
import { podInstanceMachine } from '../../machines/pod-instance.machine';
import { migratePodSnapshot } from '../../machines/pod-instance.migrate';
import { MesosSchedulerClient } from '../mesos';
import type { ServiceSpec } from '../service-spec';
import type { Logger } from '../log/logger';
import type { RuntimeOptions } from './runtime-options';
import { podEffectActors, type PodEffectDeps } from './pod-effects';
import { WorkSlices } from './work-slices';

/** At most this many pod starts per slice, and at most this long (ms), before yielding. */
export const POD_ACTIONS_PER_SLICE = 50;
const POD_ACTIONS_BUDGET_MS = 10;

/**
 * The supervisor's pod actions (start, decommission), run after its transition and in order, in
 * slices: a parallel plan of N pods never starts all N actors in one macrotask. `cancel` drops
 * what is queued (stepping down, stopping: the next leader starts the pods from KV).
 */
export class PodActions {
  private readonly slices = new WorkSlices({ budgetMs: POD_ACTIONS_BUDGET_MS, maxJobs: POD_ACTIONS_PER_SLICE });
  private generation = 0;

  constructor(private readonly logger: Pick<Logger, 'error'>) {}

  post(action: () => void): void {
    const generation = this.generation;
    this.slices
      .run(() => {
        if (generation === this.generation) action();
      })
      .catch((err: unknown) => this.logger.error({ err }, 'pod action failed'));
  }

  cancel(): void {
    this.generation += 1;
  }
}

/**
 * The pod machine with its effects provided; pod records written before the probation model are
 * brought up to date as they are restored.
 */
export function providePodMachine(deps: PodEffectDeps) {
  const podMachine = podInstanceMachine.provide({ actors: podEffectActors(deps) });
  const restoreSnapshot = podMachine.restoreSnapshot;
  podMachine.restoreSnapshot = (snapshot, scope) => restoreSnapshot(migratePodSnapshot(snapshot), scope);
  return podMachine;
}

/** The supervisor's input: every pod instance of the spec and the deploy plan. */
export function frameworkInput(spec: ServiceSpec, timing: RuntimeOptions['frameworkTiming']): FrameworkInput {
  const podInstances = Object.values(spec.pods).flatMap((p) => Array.from({ length: p.count }, (_, index) => ({ podType: p.type, index })));
  return {
    service: spec.name,
    podInstances,
    plans: { deploy: { strategy: spec.plans.deploy.strategy, phases: spec.plans.deploy.phases.map((p) => ({ name: p.name, podType: p.pod, strategy: p.strategy, dependsOn: p.dependsOn })) } },
    ...(timing ? { timing } : {}),
  };
}

/** The service's Mesos scheduler client (not started), re-using the framework id when we have one. */
export function schedulerClient(opts: RuntimeOptions, service: string, frameworkId: string | undefined, logger: Logger): MesosSchedulerClient {
  return new MesosSchedulerClient({
    master: opts.mesosUrl,
    framework: { name: service, roles: [`${service}-role`], principal: frameworkPrincipal(process.env, service), failoverTimeoutSeconds: 4 * 7 * 24 * 3600 },
    ...(frameworkId ? { frameworkId } : {}),
    ...(opts.mesosAuth ? { auth: opts.mesosAuth } : {}),
    ...(opts.recorder ? { recorder: opts.recorder } : {}),
    ...(opts.mesosBackoff ? { backoff: opts.mesosBackoff } : {}),
    logger: logger.child({ module: 'mesos-scheduler' }),
  });
}
