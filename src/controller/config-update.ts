import { parseSpec, ServiceSpecError, type ServiceSpec } from '../service-spec';
import { InvalidRequestError, OperationConflictError } from '../api/errors';
import type { PlanView } from '../api/operations';
import { POD_TAGS } from '../../machines/pod-instance.logic';
import type { Runtime } from './runtime';
import { describeRefusals, diffSpecs } from './config-diff';
import { buildUpdatePlan, describePlan, planDone, updatePlanView, type PodRef, type UpdatePlanRecord } from './config-update-plan';
import { ConfigChangeRefusedError, UpdateInProgressError } from './config-update-errors';
import { ConfigUpdateRunner, type ConfigUpdateDeps, type UpdatePodView } from './config-update-runner';
import { replacementPolicy } from './failure-policy';

/**
 * `config update` on the live runtime: validate the new spec against the running one, refuse
 * what cannot be done (naming the fields), persist the update plan, make the new spec the
 * target, then carry the plan out. On a restart, `adopt` reads the stored plan, makes its spec
 * the target again and resumes it once the scheduler is active and leading.
 */
export class ConfigUpdates {
  readonly runner: ConfigUpdateRunner;
  private adopted: Promise<void> | undefined;

  constructor(private readonly rt: Runtime) {
    this.runner = new ConfigUpdateRunner(runtimeDeps(rt));
  }

  /** Adopt a stored update (once), and resume it whenever the scheduler becomes the active leader. */
  adopt(): Promise<void> {
    this.adopted ??= this.doAdopt().catch((err: unknown) => this.rt.logger.warn({ err }, 'could not read the stored update plan'));
    return this.adopted;
  }

  private async doAdopt(): Promise<void> {
    const rec = await this.runner.load();
    if (rec) {
      if (rec.yaml === this.rt.specYaml || rec.fromYaml === this.rt.specYaml) {
        this.rt.spec = parseSpec(rec.yaml);
        this.rt.specYaml = rec.yaml;
        this.rt.logger.info({ configuration: rec.id, done: planDone(rec) }, 'target configuration restored from the update plan');
      } else {
        // The scheduler was started with a third spec: the operator's file wins (issue 11 plans it).
        this.rt.logger.warn({ configuration: rec.id }, 'the stored update plan is for another spec than the one given: ignoring it');
        return;
      }
    }
    // On every entry into `active` as leader: re-read the plan (another instance may have driven
    // it meanwhile) and resume it.
    let wasReady = false;
    const kick = () => {
      const ready = this.rt.leading && this.rt.frameworkStateName.startsWith('active');
      if (ready && !wasReady && !this.runner.busy) {
        void this.runner
          .load()
          .then(() => this.runner.resume())
          .catch((err: unknown) => this.rt.logger.warn({ err }, 'could not resume the update plan'));
      }
      wasReady = ready;
    };
    this.rt.framework.subscribe(() => kick());
    kick();
  }

  view(): PlanView {
    return updatePlanView(this.runner.current);
  }

  async update(yaml: string): Promise<{ accepted: boolean; message: string; changedPods: string[] }> {
    await this.adopt();
    let next: ServiceSpec;
    try {
      next = parseSpec(yaml);
    } catch (err) {
      if (err instanceof ServiceSpecError) throw new InvalidRequestError(err.message);
      throw err;
    }
    if (next.name !== this.rt.service) throw new InvalidRequestError(`the spec names service '${next.name}', not '${this.rt.service}'`);
    const state = this.rt.frameworkStateName;
    if (!state.startsWith('active')) throw new OperationConflictError(`cannot config update while the scheduler is ${state || 'starting'}`);
    // Re-read: another instance may have written it, or the bucket may be new (a reinstall).
    const current = this.runner.busy ? this.runner.current : await this.runner.load();
    if (current && !planDone(current) && !current.error) {
      throw new UpdateInProgressError(`configuration ${current.id} is still being applied (pxfw ${this.rt.service} plan status update); wait for it, or pause it first`);
    }
    const pods = this.rt.registry.all();
    const diff = diffSpecs(this.rt.spec, next, (type) => pods.filter((e) => e.podType === type).length);
    if (diff.refused.length > 0) {
      throw new ConfigChangeRefusedError(diff.refused, `config update refused, nothing was changed: ${describeRefusals(diff.refused)}`);
    }
    const live: PodRef[] = pods.map((e) => ({ name: e.name, podType: e.podType, index: e.index }));
    const retained = diff.volumes.length > 0 ? await this.retainedIndexes(live, diff.volumes.map((v) => v.podType)) : [];
    const rec: UpdatePlanRecord = buildUpdatePlan(this.rt.service, diff, [...live, ...retained], yaml, this.rt.specYaml);
    // The plan (with the target spec) is stored before anything changes: a restart resumes it.
    await this.runner.start({ ...rec, paused: true });
    this.rt.spec = next;
    this.rt.specYaml = yaml;
    this.runner.pause(false);
    const changedPods = [...new Set(rec.phases.flatMap((p) => p.steps.map((s) => s.pod)).filter((pod) => !retained.some((r) => r.name === pod)))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    const maxUnavailable = (t: string) => replacementPolicy(next, t).maxUnavailable;
    const kept = retained.length > 0 ? ` (also the volumes kept for ${retained.map((r) => r.name).join(', ')})` : '';
    return { accepted: true, message: describePlan(this.rt.service, rec, diff, maxUnavailable).replace('; progress:', `${kept}; progress:`), changedPods };
  }

  /**
   * Pod indexes of the given types that have no pod but still have volumes in Portworx (kept by a
   * scale-down under `volume_policy: retain`), found by the labels every pxfw volume carries.
   */
  private async retainedIndexes(live: PodRef[], podTypes: string[]): Promise<PodRef[]> {
    const out: PodRef[] = [];
    for (const podType of [...new Set(podTypes)]) {
      const found = await this.rt.px.inspectVolumeWithFilters({ labels: { 'pxfw/service': this.rt.service, 'pxfw/pod-type': podType } });
      const indexes = new Set(found.map((v) => Number(v.labels?.['pxfw/pod-index'] ?? v.volume.locator?.volume_labels?.['pxfw/pod-index'])).filter((i) => Number.isInteger(i) && i >= 0));
      for (const index of [...indexes].sort((a, b) => a - b)) {
        const name = `${podType}-${index}`;
        if (!live.some((p) => p.name === name)) out.push({ name, podType, index, retainedOnly: true });
      }
    }
    return out;
  }
}

function runtimeDeps(rt: Runtime): ConfigUpdateDeps {
  const podView = (): UpdatePodView[] =>
    rt.registry.all().map((e) => {
      const ctx = rt.registry.context(e);
      return {
        name: e.name,
        podType: e.podType,
        state: e.state,
        taskId: ctx.task?.taskId ?? null,
        hostname: ctx.task?.hostname ?? null,
        blocked: e.actor.getSnapshot().hasTag(POD_TAGS.blocked),
        volumes: ctx.volumes.map((v) => ({ name: v.name, id: v.id })),
      };
    });
  return {
    px: rt.px,
    store: rt.store,
    pods: podView,
    restart: (pod) => {
      const e = rt.registry.get(pod);
      if (e) rt.registry.send(e, { type: 'RESTART' });
    },
    onPodChange: (listener) => rt.transitions.subscribe((t) => t.actor.startsWith('pod/') && listener()),
    invalidateLocations: (volume) => rt.volumes.invalidate([volume]),
    maxUnavailable: (podType) => replacementPolicy(rt.spec, podType).maxUnavailable,
    leading: () => rt.leading,
    ready: () => rt.leading && rt.frameworkStateName.startsWith('active'),
    logger: rt.logger.child({ module: 'update-plan' }),
    timeScale: rt.opts.timeScale ?? 1,
    spec: () => rt.spec,
    planningView: () => rt.cluster.view(rt.podsByAgent(true)),
    hostOfNode: (id) => rt.cluster.hostOfNode(id),
    nodeIdOfHost: (h) => rt.cluster.nodeIdOfHost(h),
    siblingReplicaHosts: (podType, pod) => {
      const out = new Set<string>();
      for (const e of rt.registry.all()) {
        if (e.podType !== podType || e.name === pod) continue;
        for (const v of rt.registry.context(e).volumes) for (const h of rt.volumes.replicaHosts(v.name) ?? []) out.add(h);
      }
      return out;
    },
  };
}
