import { parseSpec, ServiceSpecError, type ParseSpecOptions, type ServiceSpec } from '../service-spec';
import { InvalidRequestError, OperationConflictError } from '../api/errors';
import type { PlanView } from '../api/operations';
import type { Runtime } from './runtime';
import type { RuntimeOptions } from './runtime-options';
import { describeRefusals, diffSpecs } from './config-diff';
import { buildUpdatePlan, configId, describePlan, planDone, UPDATE_PLAN_KEY, updatePlanView, type PodRef, type UpdatePlanRecordV1 } from './config-update-plan';
import { ConfigChangeRefusedError, NoPreviousConfigError, UpdateInProgressError } from './config-update-errors';
import { ConfigUpdateRunner, type ConfigUpdateDeps } from './config-update-runner';
import { podViews } from './restore';
import { replacementPolicy } from './failure-policy';
import { ConfigTargets } from '../workflows/config-target';
import { podConfigId } from '../workflows/pod-view';
import { POD_TAGS } from '../../machines/pod-instance.logic';
import { onActiveLeader } from '../workflows/leadership';
import { isIdOf, legacyConfigId } from '../workflows/config-id';
import type { WorkflowPlan } from '../../machines/workflow.types';

export interface ConfigShowView {
  yaml: string;
  spec: unknown;
  /** The target configuration id (what every pod converges to). */
  target: string;
  /** The id `config rollback` returns to (null: none). */
  previous: string | null;
  /** The configuration id each pod's current task was launched with (null: not recorded). */
  pods: { name: string; configId: string | null }[];
}

/**
 * `config update` and `config rollback` on the live runtime: validate the new spec against the
 * running one, refuse what cannot be done (naming the fields), store it under its id
 * (`configs.<id>`), store the update plan, make the new id the target (`config.target`), then run
 * the plan. A scheduler that starts adopts the target, and runs the plan only when it is for the
 * target (a plan stored by a request that died before its target was set is not).
 */
export class ConfigUpdates {
  readonly runner: ConfigUpdateRunner;
  readonly targets: ConfigTargets;
  private adopted: Promise<void> | undefined;

  constructor(private readonly rt: Runtime) {
    this.runner = new ConfigUpdateRunner(runtimeDeps(rt));
    this.targets = new ConfigTargets({ store: rt.store });
  }

  /** The configuration the offer handler stamps on every launch. */
  targetConfigId(): string {
    return configId(this.rt.specYaml);
  }

  /** Adopt the stored target (once), and drive the plan whenever the scheduler becomes the active leader. */
  adopt(): Promise<void> {
    this.adopted ??= this.doAdopt().catch((err: unknown) => this.rt.logger.warn({ err }, 'could not read the stored configuration target'));
    return this.adopted;
  }

  private async doAdopt(): Promise<void> {
    await this.migrateV1();
    const target = await this.targets.read();
    const started = this.rt.specYaml;
    if (target && !isIdOf(target.id, started)) {
      const known = target.history.some((h) => isIdOf(h, started));
      const stored = known ? await this.targets.config(target.id) : undefined;
      if (stored) {
        this.rt.setSpec(parseSpec(stored.yaml), stored.yaml);
        this.rt.logger.info({ configuration: target.id }, 'target configuration adopted from KV');
      } else {
        // Started with a third spec: the operator's file wins, the stored plan is not driven.
        this.rt.logger.warn({ configuration: target.id, started }, 'the stored target is for another spec than the one given: ignoring it');
      }
    }
    await this.targets.migrateLegacy(this.rt.specYaml);
    await this.runner.load();
    onActiveLeader(
      { subscribe: (o) => ({ unsubscribe: this.rt.onFramework({ next: () => o.next(), error: () => undefined, complete: () => o.complete() }) }), activeLeader: () => this.rt.leading && this.rt.frameworkIs('active') },
      () => void this.resumeStored(),
      () => this.runner.stop(),
    );
  }

  /** Re-read the plan (another instance may have driven it meanwhile) and run it if it is for the target. */
  private async resumeStored(): Promise<void> {
    try {
      const rec = await this.runner.load();
      if (!rec || !isIdOf(String(rec.params.configId), this.rt.specYaml)) return;
      if (rec.params.configId !== this.targetConfigId()) await this.runner.write(canonicalPlan(rec, this.targetConfigId()));
      this.runner.resume();
    } catch (err) {
      this.rt.logger.warn({ err }, 'could not resume the update plan');
    }
  }

  /** A version-1 update plan held the specs itself: store them by id and make its target the target. */
  private async migrateV1(): Promise<void> {
    const got = await this.rt.store.get<UpdatePlanRecordV1 | { version?: undefined }>(UPDATE_PLAN_KEY);
    if (got?.value.version !== 1 || (await this.targets.read())) return;
    const rec = got.value;
    const from = await this.targets.storeConfig(rec.fromYaml);
    await this.targets.storeConfig(rec.yaml);
    await this.targets.setTarget(rec.id, from);
  }

  view(): PlanView {
    return updatePlanView(this.runner.current);
  }

  show(): ConfigShowView {
    const pods = this.rt.registry
      .all()
      .map((e) => ({ name: e.name, configId: this.canonical(podConfigId(this.rt.registry.context(e))) }))
      .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
    return { yaml: this.rt.specYaml, spec: this.rt.spec, target: this.targetConfigId(), previous: this.targets.previousId ?? null, pods };
  }

  /** A pod launched before ids were canonical carries the raw-YAML id of the same configuration. */
  private canonical(id: string | null): string | null {
    return id !== null && id === legacyConfigId(this.rt.specYaml) ? this.targetConfigId() : id;
  }

  update(yaml: string): Promise<{ accepted: boolean; message: string; changedPods: string[] }> {
    return this.apply(yaml, false);
  }

  /** Make the configuration the target replaced the target again, and run the update plan to it. */
  async rollback(): Promise<{ accepted: boolean; message: string; changedPods: string[] }> {
    await this.adopt();
    await this.targets.read();
    const previous = this.targets.previousId;
    if (!previous) throw new NoPreviousConfigError(`no previous configuration of ${this.rt.service} to roll back to: the target ${this.targetConfigId()} is the first one (config update makes a new one)`);
    const stored = await this.targets.config(previous);
    if (!stored) throw new NoPreviousConfigError(`the previous configuration ${previous} is not stored in KV (configs.${previous}); nothing was changed`);
    const r = await this.apply(stored.yaml, true);
    return { ...r, message: `rolling back to ${r.message}` };
  }

  private async apply(yaml: string, rollback: boolean): Promise<{ accepted: boolean; message: string; changedPods: string[] }> {
    await this.adopt();
    const next = this.validate(yaml);
    const state = this.rt.frameworkStateName;
    if (!this.rt.frameworkIs('active')) throw new OperationConflictError(`cannot config ${rollback ? 'rollback' : 'update'} while the scheduler is ${state || 'starting'}`);
    // Re-read: another instance may have written it, or the bucket may be new (a reinstall).
    const current = this.runner.busy ? this.runner.current : await this.runner.load();
    if (current && !planDone(current) && !current.error && isIdOf(String(current.params.configId), this.rt.specYaml)) {
      throw new UpdateInProgressError(`configuration ${current.id} is still being applied (pxfw ${this.rt.service} plan status update); wait for it, or pause it first`);
    }
    const pods = this.rt.registry.all();
    const diff = diffSpecs(this.rt.spec, next, (type) => pods.filter((e) => e.podType === type).length);
    if (diff.refused.length > 0) {
      throw new ConfigChangeRefusedError(diff.refused, `config ${rollback ? 'rollback' : 'update'} refused, nothing was changed: ${describeRefusals(diff.refused)}`);
    }
    const live: PodRef[] = pods.map((e) => ({ name: e.name, podType: e.podType, index: e.index }));
    const retained = diff.volumes.length > 0 ? await this.retainedIndexes(live, diff.volumes.map((v) => v.podType)) : [];
    const maxUnavailable = (t: string) => replacementPolicy(next, t).maxUnavailable;
    const rec = buildUpdatePlan(this.rt.service, diff, [...live, ...retained], yaml, this.rt.specYaml, new Date(), maxUnavailable);
    // Stored, then the target, then acted on: a restart at any point adopts a consistent pair.
    const from = await this.targets.storeConfig(this.rt.specYaml);
    const id = await this.targets.storeConfig(yaml);
    this.runner.stop();
    await this.runner.write(rec);
    await this.targets.setTarget(id, from, rollback);
    this.rt.setSpec(next, yaml);
    this.retryParked(next);
    this.runner.resume();
    const changedPods = [...new Set(rec.phases.flatMap((p) => p.steps.map((s) => String(s.params.pod))).filter((pod) => !retained.some((r) => r.name === pod)))].sort((a, b) =>
      a.localeCompare(b, undefined, { numeric: true }),
    );
    const kept = retained.length > 0 ? ` (also the volumes kept for ${retained.map((r) => r.name).join(', ')})` : '';
    return { accepted: true, message: describePlan(this.rt.service, rec, diff, maxUnavailable).replace('; progress:', `${kept}; progress:`), changedPods };
  }

  /** Pods parked (blocked) whose pod type the new target has (back): they try again on it. */
  private retryParked(next: ServiceSpec): void {
    for (const e of this.rt.registry.all()) {
      if (next.pods[e.podType] && e.actor.getSnapshot().hasTag(POD_TAGS.blocked)) this.rt.registry.send(e, { type: 'RETRY' });
    }
  }

  /** The new spec, parsed with the rules the running one was (`pxfw run`: the cluster rules too). */
  private validate(yaml: string): ServiceSpec {
    let next: ServiceSpec;
    try {
      next = parseSpec(yaml, undefined, parseRules(this.rt.opts));
    } catch (err) {
      if (err instanceof ServiceSpecError) throw new InvalidRequestError(err.message);
      throw err;
    }
    if (next.name !== this.rt.service) throw new InvalidRequestError(`the spec names service '${next.name}', not '${this.rt.service}'`);
    return next;
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

/**
 * An update plan stored for the raw-YAML id of the target: the same plan for its canonical id.
 * Pods its steps relaunched before carry the old id (`legacyConfigId`): they count as on the target.
 */
function canonicalPlan(rec: WorkflowPlan, id: string): WorkflowPlan {
  return { ...rec, id, params: { ...rec.params, configId: id, legacyConfigId: String(rec.params.configId) } };
}

/**
 * The parse rules of the runtime's own spec: a scheduler started with the cluster rules (`pxfw run`,
 * RuntimeOptions.clusterRules) refuses an update it would refuse at start (e.g. an absolute volume
 * path without an image); the sandbox and tests run without them, for their short specs.
 */
export function parseRules(opts: Pick<RuntimeOptions, 'clusterRules'>): ParseSpecOptions {
  return opts.clusterRules === true ? { clusterRules: true } : {};
}

function runtimeDeps(rt: Runtime): ConfigUpdateDeps {
  return {
    px: rt.px,
    store: rt.store,
    pods: () => podViews(rt),
    restart: (pod) => {
      const e = rt.registry.get(pod);
      if (e) rt.registry.send(e, { type: 'RESTART' });
    },
    onPodChange: (listener) => rt.transitions.subscribe((t) => t.actor.startsWith('pod/') && listener()),
    invalidateLocations: (volume) => rt.volumes.invalidate([volume]),
    maxUnavailable: (podType) => replacementPolicy(rt.spec, podType).maxUnavailable,
    ready: () => rt.leading && rt.frameworkIs('active'),
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
