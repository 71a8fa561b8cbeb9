import { planStatus } from '../../machines/plan';
import { PlanInErrorError, planView } from '../workflows/plan-views';
import { FRAMEWORK_TAGS } from '../../machines/framework.types';
import { POD_TAGS } from '../../machines/pod-instance.logic';
import { podIsReady } from '../workflows/pod-view';
import type {
  EndpointView,
  OfferEvaluationView,
  OperationResult,
  PlanView,
  PodView,
  ServiceOperations,
  SnapshotView,
} from '../api/operations';
import {
  InvalidRequestError,
  OperationConflictError,
  UnknownPlanError,
  UnknownPodError,
  UnknownSnapshotError,
} from '../api/errors';
import type { Runtime } from './runtime';
import type { PodEntry } from './pod-registry';
import { SnapshotRestores } from './restore';
import { RESTORE_PLAN } from '../workflows/restore-workflow';
import { UNINSTALL_PLAN, uninstallPlanView } from './uninstall-plan';
import { RECOVERY_PLAN } from './recovery-plan';
import { awaitDurable } from './persist-queue';
import { FRAMEWORK_KEY } from './framework-effects';
import { ConfigUpdates, type ConfigShowView } from './config-update';
import { UPDATE_PLAN } from './config-update-plan';
import { runtimeEndpoints, runtimeOfferEvaluations, runtimeRecoveryPlan, withStallReasons } from './operation-views';
import { configById, configList, type ConfigListView, type StoredConfigView } from '../api/config-views';
import { runtimeSidecars } from '../sidecar/runtime-sidecars';
import type { SidecarPlans } from '../sidecar/sidecar-plans';

const PLANS = ['deploy', 'decommission'] as const;
/** Longest a `snapshot create` request waits (pre-commands, snapshot, post-commands). */
const SNAPSHOT_WAIT_MS = 15 * 60_000;
/** Longest `scale` waits for its new count to be in KV before answering that it was not saved. */
const SCALE_SAVE_TIMEOUT_MS = 4_000;
type PlanName = (typeof PLANS)[number];

/** The operator's verbs implemented on the live runtime (validation happens in src/api). */
export { PlanInErrorError } from '../workflows/plan-views';

export class RuntimeOperations implements ServiceOperations {
  /** `config update` and its persisted `update` plan (adopted and resumed after a restart). */
  private readonly configUpdates: ConfigUpdates;
  /** `snapshot restore` as the persisted `restore` plan (resumed after a restart). */
  private readonly restores: SnapshotRestores;
  /** The spec's sidecar plans (`plan start repair -p KEYSPACE=ks`), each persisted as `plans.<name>`. */
  private readonly sidecars: SidecarPlans;

  constructor(private readonly rt: Runtime) {
    this.configUpdates = new ConfigUpdates(rt);
    void this.configUpdates.adopt();
    this.restores = new SnapshotRestores(rt);
    this.restores.watch();
    this.sidecars = runtimeSidecars(rt);
  }

  /** The configuration every launch is stamped with (the offer handler's `targetConfigId`). */
  targetConfigId(): string {
    return this.configUpdates.targetConfigId();
  }

  get service(): string {
    return this.rt.service;
  }

  async planList(): Promise<PlanView[]> {
    const uninstall = uninstallPlanView(this.rt.frameworkContext, (s) => this.rt.frameworkIs(s));
    const restore = this.restores.workflow.view();
    const sidecars = this.sidecars.names().map((n) => this.sidecars.view(n));
    return [...PLANS.map((p) => this.plan(p)), this.configUpdates.view(), this.recoveryPlan(), ...(restore ? [restore] : []), ...sidecars, ...(uninstall ? [uninstall] : [])];
  }

  /** Pods on probation, relaunching, waiting for a replacement slot or being replaced; why nothing moves. */
  private recoveryPlan(): PlanView {
    return runtimeRecoveryPlan(this.rt);
  }

  async planStatus(plan: string): Promise<PlanView> {
    if (plan === UNINSTALL_PLAN) {
      const view = uninstallPlanView(this.rt.frameworkContext, (s) => this.rt.frameworkIs(s));
      if (!view) throw new UnknownPlanError(`no uninstall was requested for ${this.service} (pxfw ${this.service} uninstall --yes starts one)`);
      return view;
    }
    if (plan === RECOVERY_PLAN) return this.recoveryPlan();
    if (plan === UPDATE_PLAN) return this.configUpdates.view();
    if (plan === RESTORE_PLAN) return this.restoreView();
    if (this.sidecars.has(plan)) return this.sidecars.view(plan);
    return this.plan(this.planName(plan));
  }

  async planPause(plan: string, phase?: string): Promise<PlanView> {
    const wf = this.workflowPlan(plan);
    if (!wf) return this.framePlanCommand('PLAN_PAUSE', plan, phase);
    this.assertPhase(wf.view(), phase);
    wf.pause(phase);
    return wf.view();
  }

  async planResume(plan: string, phase?: string): Promise<PlanView> {
    const wf = this.workflowPlan(plan);
    if (!wf) return this.framePlanCommand('PLAN_RESUME', plan, phase);
    this.assertPhase(wf.view(), phase);
    wf.resume(phase);
    return wf.view();
  }

  /** The persisted workflow plans (update, restore, sidecar plans) behind one port; undefined for the others. */
  private workflowPlan(plan: string): { view(): PlanView; pause(phase?: string): void; resume(phase?: string): void } | undefined {
    if (plan === UPDATE_PLAN) {
      // A stopped plan tries its failed step again; a paused one goes on.
      const r = this.configUpdates.runner;
      return { view: () => this.configUpdates.view(), pause: (ph) => r.pause(true, ph), resume: (ph) => r.pause(false, ph) };
    }
    const runner = plan === RESTORE_PLAN ? this.restores.workflow.runner : this.sidecars.has(plan) ? this.sidecars.runnerOf(plan) : undefined;
    if (!runner) return undefined;
    const resume = (ph?: string) => {
      if (!runner.running && runner.current) runner.run();
      runner.resume(ph);
    };
    return { view: plan === RESTORE_PLAN ? () => this.restoreView() : () => this.sidecars.view(plan), pause: (ph) => runner.pause(ph), resume };
  }

  async planStart(plan: string, parameters: Record<string, string>): Promise<PlanView> {
    this.assertActive(`start plan ${plan}`);
    return this.sidecars.start(plan, parameters);
  }

  async planStop(plan: string): Promise<PlanView> {
    return this.sidecars.stop(plan);
  }

  /** PLAN_PAUSE/PLAN_RESUME of deploy or decommission: the whole plan, or one phase of it. */
  private framePlanCommand(type: 'PLAN_PAUSE' | 'PLAN_RESUME', plan: string, phase?: string): PlanView {
    const name = this.planName(plan);
    this.assertPhase(this.plan(name), phase);
    this.rt.sendFramework({ type, plan: name, ...(phase !== undefined ? { phase } : {}) });
    return this.plan(name);
  }

  /** A phase the plan has, or 404 naming its phases. */
  private assertPhase(view: PlanView, phase: string | undefined): void {
    if (phase === undefined || view.phases.some((p) => p.name === phase)) return;
    throw new UnknownPlanError(`plan ${view.name} has no phase '${phase}' (phases: ${view.phases.map((p) => p.name).join(', ') || 'none'})`);
  }

  async planForceComplete(plan: string, phase?: string, step?: string): Promise<PlanView> {
    return this.planCommand('PLAN_FORCE_COMPLETE', plan, phase, step);
  }

  async planRestart(plan: string, phase?: string, step?: string): Promise<PlanView> {
    return this.planCommand('PLAN_RESTART', plan, phase, step);
  }

  async podList(): Promise<PodView[]> {
    return this.rt.registry.all().map((e) => this.podView(e)).sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  }

  async podStatus(pod?: string): Promise<PodView[]> {
    return pod ? [this.podView(this.pod(pod))] : this.podList();
  }

  async podInfo(pod: string): Promise<PodView & { spec: unknown; history: unknown[] }> {
    const e = this.pod(pod);
    const history = this.rt.transitions.latest().filter((t) => t.actor === `pod/${e.name}`);
    return { ...this.podView(e), spec: this.rt.spec.pods[e.podType], history: [...history] };
  }

  async podRestart(pod: string): Promise<OperationResult> {
    const e = this.pod(pod);
    // A parked pod (it needs an operator) is retried: RESTART means nothing to it.
    if (e.actor.getSnapshot().hasTag(POD_TAGS.blocked)) {
      this.rt.registry.send(e, { type: 'RETRY' });
      return { accepted: true, message: `retrying ${e.name}` };
    }
    this.assertMayDisrupt(e, 'restart');
    this.rt.registry.send(e, { type: 'RESTART' });
    return { accepted: true, message: `restarting ${e.name} in place` };
  }

  async podReplace(pod: string): Promise<OperationResult> {
    const e = this.pod(pod);
    this.assertMayDisrupt(e, 'replace');
    this.rt.registry.send(e, { type: 'REPLACE' });
    return { accepted: true, message: `replacing ${e.name}: fencing its volumes, then relaunching on another replica holder` };
  }

  async scale(podType: string, count: number): Promise<OperationResult & { plan: PlanView | null }> {
    if (!this.rt.spec.pods[podType]) {
      throw new InvalidRequestError(`unknown pod type '${podType}' (pod types: ${Object.keys(this.rt.spec.pods).join(', ')})`);
    }
    this.assertActive('scale');
    this.assertNoPlanInError(`scale ${podType} to ${count}`);
    this.rt.sendFramework({ type: 'SCALE', podType, count });
    const rejected = this.rt.frameworkContext.rejected;
    if (rejected?.event === 'SCALE') throw new InvalidRequestError(rejected.reason);
    this.rt.setSpec({ ...this.rt.spec, pods: { ...this.rt.spec.pods, [podType]: { ...this.rt.spec.pods[podType]!, count } } });
    // Persist before answering: OK only once the new count is in KV; else 503 STATE_NOT_SAVED (retry).
    await awaitDurable(this.rt.store, { keys: [FRAMEWORK_KEY], timeoutMs: SCALE_SAVE_TIMEOUT_MS });
    const ctx = this.rt.frameworkContext;
    const deco = ctx.decommission.phases.some((p) => p.steps.length > 0);
    return {
      accepted: true,
      message: `scaling ${podType} to ${count}`,
      plan: deco ? planView(ctx.decommission) : planView(ctx.deploy),
    };
  }

  async snapshotCreate(opts: { name?: string; podType?: string }): Promise<SnapshotView> {
    this.assertActive('snapshot');
    if (opts.podType && !this.rt.spec.pods[opts.podType]) throw new InvalidRequestError(`unknown pod type '${opts.podType}'`);
    const name = opts.name ?? `snap-${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 14)}`;
    if (await this.rt.snapshots.find(name)) throw new OperationConflictError(`a snapshot named '${name}' exists already`);
    this.rt.snapshots.setScope(name, opts.podType ?? null);
    this.rt.sendFramework({ type: 'SNAPSHOT_CREATE', name });
    const result = await this.waitSnapshot(name);
    if (result.status === 'failed') throw new OperationConflictError(`snapshot '${name}' failed: ${result.error ?? 'unknown error'}`);
    const view = await this.rt.snapshots.find(name);
    if (!view) throw new OperationConflictError(`snapshot '${name}' was taken but not recorded`);
    if (result.postCommandsError) this.rt.logger.warn({ snapshot: name, error: result.postCommandsError }, 'post-snapshot commands failed');
    return { ...view, postCommandsError: result.postCommandsError };
  }

  async snapshotList(): Promise<SnapshotView[]> {
    return this.rt.snapshots.list();
  }

  async snapshotRestore(snapshot: string): Promise<OperationResult> {
    const view = await this.rt.snapshots.find(snapshot);
    if (!view) throw new UnknownSnapshotError(`no snapshot '${snapshot}' (pxfw ${this.service} snapshot list)`);
    this.assertActive('restore');
    await this.restores.restore(view);
    return { accepted: true, message: `restored ${view.volumes.length} volumes from '${view.name}'; pods restarted` };
  }

  async uninstall(opts: { deleteVolumes: boolean; deleteSnapshots: boolean }): Promise<OperationResult> {
    this.rt.sendFramework({ type: 'UNINSTALL', ...opts });
    return {
      accepted: true,
      message: `uninstalling ${this.service}: killing tasks, detaching volumes, ${opts.deleteVolumes ? 'deleting' : 'retaining'} volumes, tearing down the framework`,
    };
  }

  /**
   * Taking a running pod down on purpose must not leave more pods of its type down than
   * `max_unavailable` allows (a pod that is down already may always be restarted or replaced).
   */
  private assertMayDisrupt(e: PodEntry, verb: 'restart' | 'replace'): void {
    const ready = (p: PodEntry) => podIsReady(p.actor.getSnapshot());
    if (!ready(e)) return;
    const down = this.rt.registry.all().filter((p) => p.podType === e.podType && p.name !== e.name && !ready(p));
    if (this.rt.governor.mayDisrupt(e.podType, down.length)) return;
    throw new OperationConflictError(
      `cannot ${verb} ${e.name}: ${down.map((p) => `${p.name} (${p.state})`).join(', ')} of pod type ${e.podType} ` +
        `${down.length === 1 ? 'is' : 'are'} down already and failure_policy.max_unavailable allows ` +
        `${this.rt.governor.maxUnavailable(e.podType)}; wait until ${down.length === 1 ? 'it runs' : 'they run'} again`,
    );
  }

  async endpoints(name?: string): Promise<EndpointView[] | EndpointView> {
    return runtimeEndpoints(this.rt, name);
  }

  async debugOffers(pod?: string): Promise<OfferEvaluationView[]> {
    return runtimeOfferEvaluations(this.rt, pod ? [this.pod(pod).name] : this.rt.memory.pods());
  }

  async configList(): Promise<ConfigListView> {
    await this.configUpdates.adopt();
    return configList(this.configUpdates.targets, this.configUpdates.targetConfigId());
  }

  async configGet(id: string): Promise<StoredConfigView> {
    await this.configUpdates.adopt();
    return configById(this.configUpdates.targets, id, { id: this.configUpdates.targetConfigId(), yaml: this.rt.specYaml });
  }

  async configShow(): Promise<ConfigShowView> {
    await this.configUpdates.adopt();
    await this.configUpdates.targets.read();
    return this.configUpdates.show();
  }

  /** The previous configuration becomes the target again; refused when there is none. */
  async configRollback(): Promise<OperationResult & { changedPods: string[] }> {
    return this.configUpdates.rollback();
  }

  private restoreView(): PlanView {
    // No restore was ever made: COMPLETE with no phases, like the update plan.
    return this.restores.workflow.view() ?? { name: RESTORE_PLAN, status: 'COMPLETE', paused: false, phases: [], errors: [] };
  }

  /** Validated against the running spec; refused changes name their field; the rest is the `update` plan. */
  async configUpdate(yaml: string): Promise<OperationResult & { changedPods: string[] }> {
    return this.configUpdates.update(yaml);
  }

  private plan(name: PlanName): PlanView {
    const ctx = this.rt.frameworkContext;
    return withStallReasons(this.rt, planView(ctx[name], ctx.rejected ? [`${ctx.rejected.event}: ${ctx.rejected.reason}`] : []));
  }

  private planName(plan: string): PlanName {
    if ((PLANS as readonly string[]).includes(plan)) return plan as PlanName;
    if (plan === UPDATE_PLAN) {
      throw new UnknownPlanError(`the update plan takes pause and resume only (pxfw ${this.service} plan resume update retries a failed step); a new config update replaces it`);
    }
    if (plan === RESTORE_PLAN) {
      throw new UnknownPlanError(`the restore plan takes pause and resume only (pxfw ${this.service} plan resume restore retries a failed step)`);
    }
    if (plan === RECOVERY_PLAN || plan === UNINSTALL_PLAN) {
      throw new UnknownPlanError(`the ${plan} plan is driven by the scheduler and only shows progress (pxfw ${this.service} plan status ${plan}); commands take: ${PLANS.join(', ')}`);
    }
    throw new UnknownPlanError(`no plan '${plan}' (plans: ${[...PLANS, UPDATE_PLAN, RECOVERY_PLAN, RESTORE_PLAN, ...this.sidecars.names(), UNINSTALL_PLAN].join(', ')})`);
  }

  private planCommand(type: 'PLAN_FORCE_COMPLETE' | 'PLAN_RESTART', plan: string, phase?: string, step?: string): PlanView {
    const name = this.planName(plan);
    this.rt.sendFramework({ type, plan: name, ...(phase ? { phase } : {}), ...(step ? { step } : {}) });
    const rejected = this.rt.frameworkContext.rejected;
    if (rejected?.event === type) throw new UnknownPlanError(`${plan} ${phase ?? ''} ${step ?? ''}: ${rejected.reason}`.replace(/\s+/g, ' '));
    return this.plan(name);
  }

  private pod(name: string): PodEntry {
    const e = this.rt.registry.get(name);
    if (!e) {
      const known = this.rt.registry.all().map((p) => p.name).sort();
      throw new UnknownPodError(`no pod '${name}' in ${this.service} (pods: ${known.join(', ') || 'none'})`);
    }
    return e;
  }

  private podView(e: PodEntry): PodView {
    const ctx = this.rt.registry.context(e);
    return {
      name: e.name,
      podType: e.podType,
      index: e.index,
      state: e.state,
      reason: ctx.reason,
      taskId: ctx.task?.taskId ?? null,
      taskState: ctx.taskState ?? null,
      agentId: ctx.task?.agentId ?? null,
      hostname: ctx.task?.hostname ?? null,
      volumes: ctx.volumes.map((v) => ({ name: v.name, id: v.id, replicaHosts: this.rt.volumes.replicaHosts(v.name) ?? [] })),
    };
  }

  private assertNoPlanInError(what: string): void {
    const ctx = this.rt.frameworkContext;
    for (const name of PLANS) {
      const plan = ctx[name];
      if (plan.phases.length === 0 || planStatus(plan) !== 'ERROR') continue;
      const steps = plan.phases.flatMap((p) => p.steps).filter((s) => s.status === 'ERROR').map((s) => {
        const e = this.rt.registry.get(s.name);
        const reason = e ? `${e.state}: ${this.rt.registry.context(e).reason ?? 'no reason recorded'}` : 'pod not found';
        return { name: s.name, reason };
      });
      const why = steps.map((s) => `${s.name} (${s.reason})`).join('; ');
      throw new PlanInErrorError(
        name,
        steps,
        `cannot ${what}: the ${name} plan is in ERROR at ${why}. Nothing new would start behind it. ` +
          `See \`pxfw ${this.service} plan status ${name}\`; fix the pod (e.g. \`pod replace\`) or \`plan force-complete ${name}\`, then scale again`,
      );
    }
  }

  private assertActive(what: string): void {
    if (!this.rt.frameworkIs('active')) throw new OperationConflictError(`cannot ${what} while the scheduler is ${this.rt.frameworkStateName || 'starting'}`);
  }

  private async waitSnapshot(name: string) {
    // The supervisor ignores SNAPSHOT_CREATE while another snapshot runs.
    const started = this.rt.frameworkContext.snapshot;
    if (started.current?.name !== name && started.lastResult?.name !== name) {
      throw new OperationConflictError(`snapshot '${name}' did not start: ${started.current ? `snapshot '${started.current.name}' is still running` : 'the scheduler is busy'}`);
    }
    const finished = (c: typeof started) => c.lastResult?.name === name && c.current === null;
    const snap = await this.rt
      .waitForFramework((f) => finished(f.context.snapshot) || !f.hasTag(FRAMEWORK_TAGS.active), SNAPSHOT_WAIT_MS)
      .catch((cause: unknown) => {
        throw new OperationConflictError(`snapshot '${name}' still running after ${SNAPSHOT_WAIT_MS / 1000} s`, { cause });
      });
    if (!finished(snap.context.snapshot)) {
      throw new OperationConflictError(`snapshot '${name}' interrupted: the scheduler left the active state (${this.rt.frameworkStateName})`);
    }
    return snap.context.snapshot.lastResult!;
  }
}
