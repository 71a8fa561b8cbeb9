import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { ConfigListView, StoredConfigView } from '../../src/api/config-views';
import { fakeConfigGet, fakeConfigList, fakeEndpoints, plan, refresh, TS } from './fake-parts';
import {
  InvalidRequestError,
  OperationConflictError,
  UnknownPlanError,
  UnknownPodError,
  UnknownSnapshotError,
} from '../../src/api/errors';
import type {
  EndpointView,
  OfferEvaluationView,
  OperationResult,
  PlanView,
  PodView,
  ServiceOperations,
  SnapshotView,
  StepView,
  ServiceStatusView,
} from '../../src/api/operations';

/**
 * An in-memory ServiceOperations: pods with states, plans with steps, scale, snapshots and
 * uninstall, throwing the typed errors of src/api/errors.ts as the scheduler runtime does.
 * With `progressOnPoll`, every planStatus call moves the first unfinished step forward
 * (PENDING → STARTING → COMPLETE), so --watch / --wait see progress.
 */
export interface FakeOptions {
  podTypes?: Record<string, number>;
  progressOnPoll?: boolean;
  /** Sidecar plans the fake spec declares, by name, with their parameters and defaults. */
  sidecars?: Record<string, Record<string, string>>;
}

interface FakePod extends PodView {
  history: { from: string; to: string; event: string }[];
}


export class FakeOperations implements ServiceOperations {
  readonly pods = new Map<string, FakePod>();
  readonly plans = new Map<string, PlanView>();
  readonly snapshots: SnapshotView[] = [];
  /** Incremented by every change; tests assert a rejected command left it alone. */
  mutations = 0;
  uninstalling = false;
  /** The next call throws this (to exercise the 500 path). */
  failNext: Error | undefined;
  private spec: Record<string, unknown>;
  /** The configurations stored by configUpdate, oldest first (ids cfg1, cfg2…); the last is the target. */
  readonly configIds = new Map<string, string>();
  /** The YAML as last given to configUpdate (comments included), as the scheduler stores it. */
  private yaml: string | undefined;
  private previousSpec: Record<string, unknown> | undefined;
  private taskSeq = 0;

  constructor(
    readonly service: string,
    private readonly options: FakeOptions = {},
  ) {
    const podTypes = options.podTypes ?? { node: 3 };
    this.spec = { name: service, pods: Object.fromEntries(Object.entries(podTypes).map(([t, count]) => [t, { count, cpus: 1, memory: 2048 }])) };
    const steps: StepView[] = [];
    for (const [type, count] of Object.entries(podTypes)) {
      for (let i = 0; i < count; i++) {
        this.addPod(type, i, 'running');
        steps.push({ name: `${type}-${i}`, status: 'COMPLETE' });
      }
    }
    this.plans.set('deploy', plan('deploy', 'COMPLETE', steps));
    this.plans.set('recovery', plan('recovery', 'COMPLETE', []));
  }

  private addPod(podType: string, index: number, state: string): FakePod {
    const name = `${podType}-${index}`;
    const running = state === 'running';
    const pod: FakePod = {
      name,
      podType,
      index,
      state,
      reason: null,
      taskId: running ? this.nextTask(name) : null,
      taskState: running ? 'TASK_RUNNING' : null,
      agentId: running ? `agent-${index}` : null,
      hostname: running ? `host-${index}` : null,
      volumes: [{ name: 'data', id: `${this.service}-${name}-data`, replicaHosts: [`host-${index}`, `host-${index + 1}`] }],
      history: [{ from: 'pending', to: state, event: 'xstate.init' }],
    };
    this.pods.set(name, pod);
    return pod;
  }

  private nextTask(pod: string): string {
    this.taskSeq += 1;
    return `${pod}__task-${this.taskSeq}`;
  }

  private check(): void {
    const err = this.failNext;
    this.failNext = undefined;
    if (err) throw err;
  }

  private mutate(): void {
    this.check();
    if (this.uninstalling) throw new OperationConflictError(`${this.service} is being uninstalled`);
    this.mutations += 1;
  }

  private pod(name: string): FakePod {
    const pod = this.pods.get(name);
    if (!pod) throw new UnknownPodError(`pod '${name}' does not exist (pods: ${[...this.pods.keys()].join(', ')})`);
    return pod;
  }

  private plan(name: string): PlanView {
    const p = this.plans.get(name);
    if (!p) throw new UnknownPlanError(`plan '${name}' does not exist (plans: ${[...this.plans.keys()].join(', ')})`);
    return p;
  }

  private view(p: PlanView): PlanView {
    return structuredClone(p);
  }

  private podView(p: FakePod): PodView {
    const { history: _history, ...view } = structuredClone(p);
    return view;
  }

  async planList(): Promise<PlanView[]> {
    this.check();
    return [...this.plans.values()].map((p) => this.view(p));
  }

  async planStatus(name: string): Promise<PlanView> {
    this.check();
    const p = this.plan(name);
    if (this.options.progressOnPoll && !p.paused) this.advance(p);
    return this.view(p);
  }

  /** Move the first unfinished step one state on, as the real plan executor would. */
  advance(p: PlanView): void {
    // A paused phase holds its steps and every phase after it.
    const held = p.phases.findIndex((ph) => this.pausedPhases.has(`${p.name}/${ph.name}`));
    const open = held === -1 ? p.phases : p.phases.slice(0, held);
    const step = open.flatMap((ph) => ph.steps).find((s) => s.status !== 'COMPLETE');
    if (step) {
      step.status = step.status === 'PENDING' ? 'STARTING' : 'COMPLETE';
      const pod = this.pods.get(step.name);
      if (pod && step.status === 'COMPLETE') {
        if (p.name === 'deploy') Object.assign(pod, { state: 'running', taskState: 'TASK_RUNNING', taskId: this.nextTask(pod.name), hostname: `host-${pod.index}` });
        if (p.name === 'decommission' || p.name === 'uninstall') this.pods.delete(pod.name);
      }
    }
    refresh(p);
  }

  /** Phases paused on their own (`plan/phase`): their steps hold and nothing after them moves. */
  readonly pausedPhases = new Set<string>();
  /** The parameters of each sidecar plan start, in order. */
  readonly starts: { plan: string; parameters: Record<string, string> }[] = [];

  async planPause(name: string, phase?: string): Promise<PlanView> {
    this.mutate();
    const p = this.plan(name);
    if (phase === undefined) p.paused = true;
    else {
      this.selectSteps(name, phase);
      this.pausedPhases.add(`${name}/${phase}`);
      for (const s of p.phases.find((ph) => ph.name === phase)!.steps) if (s.status === 'PENDING') s.status = 'WAITING';
      refresh(p);
    }
    return this.view(p);
  }

  async planResume(name: string, phase?: string): Promise<PlanView> {
    this.mutate();
    const p = this.plan(name);
    if (phase !== undefined) this.selectSteps(name, phase);
    if (phase === undefined) p.paused = false;
    for (const ph of p.phases) {
      if (phase !== undefined && ph.name !== phase) continue;
      this.pausedPhases.delete(`${name}/${ph.name}`);
      for (const s of ph.steps) if (s.status === 'WAITING') s.status = 'PENDING';
    }
    refresh(p);
    return this.view(p);
  }

  async planStart(name: string, parameters: Record<string, string>): Promise<PlanView> {
    const declared = this.options.sidecars?.[name];
    if (!declared) throw new UnknownPlanError(`no sidecar plan '${name}' in the spec (sidecar plans: ${Object.keys(this.options.sidecars ?? {}).join(', ') || 'none'})`);
    for (const key of Object.keys(parameters)) {
      if (!(key in declared)) throw new InvalidRequestError(`parameters.${key}: plan ${name} takes ${Object.keys(declared).join(', ') || 'no parameters'}`);
    }
    this.mutate();
    this.starts.push({ plan: name, parameters: { ...declared, ...parameters } });
    this.plans.set(name, plan(name, 'PENDING', [...this.pods.keys()].map((pod) => ({ name: `${pod}:[${name}]`, status: 'PENDING' as const }))));
    return this.view(this.plan(name));
  }

  async planStop(name: string): Promise<PlanView> {
    if (!this.options.sidecars?.[name]) throw new UnknownPlanError(`no sidecar plan '${name}' in the spec`);
    const p = this.plan(name);
    this.mutate();
    p.paused = true;
    return this.view(p);
  }

  private selectSteps(name: string, phase?: string, step?: string): { p: PlanView; steps: StepView[] } {
    const p = this.plan(name);
    const phases = phase ? p.phases.filter((ph) => ph.name === phase) : p.phases;
    if (phase && phases.length === 0) throw new UnknownPlanError(`plan '${name}' has no phase '${phase}'`);
    const steps = phases.flatMap((ph) => ph.steps).filter((s) => !step || s.name === step);
    if (step && steps.length === 0) throw new UnknownPlanError(`phase '${phase}' of plan '${name}' has no step '${step}'`);
    return { p, steps };
  }

  async planForceComplete(name: string, phase?: string, step?: string): Promise<PlanView> {
    this.check();
    const { p, steps } = this.selectSteps(name, phase, step);
    this.mutate();
    for (const s of steps) s.status = 'COMPLETE';
    refresh(p);
    return this.view(p);
  }

  async planRestart(name: string, phase?: string, step?: string): Promise<PlanView> {
    this.check();
    const { p, steps } = this.selectSteps(name, phase, step);
    this.mutate();
    for (const s of steps) s.status = 'PENDING';
    refresh(p);
    return this.view(p);
  }

  async podList(): Promise<PodView[]> {
    this.check();
    return [...this.pods.values()].map((p) => this.podView(p));
  }

  async podStatus(name?: string): Promise<PodView[]> {
    this.check();
    return name ? [this.podView(this.pod(name))] : this.podList();
  }

  async podInfo(name: string): Promise<PodView & { spec: unknown; history: unknown[] }> {
    this.check();
    const pod = this.pod(name);
    const types = this.spec.pods as Record<string, unknown>;
    return { ...this.podView(pod), spec: types[pod.podType], history: structuredClone(pod.history) };
  }

  async podRestart(name: string): Promise<OperationResult> {
    const pod = this.pod(name);
    this.mutate();
    pod.history.push({ from: pod.state, to: 'running', event: 'RESTART' });
    Object.assign(pod, { state: 'running', taskId: this.nextTask(name), taskState: 'TASK_RUNNING' });
    return { accepted: true, message: `pod ${name} is restarting in place on ${pod.hostname ?? 'its agent'}` };
  }

  async podReplace(name: string): Promise<OperationResult> {
    const pod = this.pod(name);
    this.mutate();
    const from = pod.hostname;
    pod.history.push({ from: pod.state, to: 're-attaching', event: 'REPLACE' });
    Object.assign(pod, { state: 're-attaching', reason: 'pod replace', taskId: null, taskState: null, agentId: null, hostname: null });
    const recovery = this.plan('recovery');
    recovery.phases = [{ name: 'recovery', strategy: 'serial', status: 'PENDING', steps: [{ name, status: 'PENDING' }] }];
    refresh(recovery);
    return { accepted: true, message: `pod ${name} is being replaced: its volumes are detached from ${from ?? 'its agent'} and it will start elsewhere` };
  }

  async scale(podType: string, count: number): Promise<OperationResult & { plan: PlanView | null }> {
    this.check();
    const current = [...this.pods.values()].filter((p) => p.podType === podType);
    if (!(podType in (this.spec.pods as object))) throw new InvalidRequestError(`podType: unknown pod type '${podType}'`);
    this.mutate();
    (this.spec.pods as Record<string, { count: number }>)[podType]!.count = count;
    if (count === current.length) return { accepted: false, message: `${podType} already has ${count} pods`, plan: null };
    if (count > current.length) {
      const steps: StepView[] = [];
      for (let i = current.length; i < count; i++) steps.push({ name: this.addPod(podType, i, 'pending').name, status: 'PENDING' });
      const deploy = plan('deploy', 'PENDING', steps);
      this.plans.set('deploy', deploy);
      return { accepted: true, message: `scaling ${podType} from ${current.length} to ${count}`, plan: this.view(deploy) };
    }
    const gone = current.filter((p) => p.index >= count).sort((a, b) => b.index - a.index);
    for (const p of gone) p.state = 'stopping';
    const decommission = plan('decommission', 'PENDING', gone.map((p) => ({ name: p.name, status: 'PENDING' as const })));
    this.plans.set('decommission', decommission);
    return { accepted: true, message: `scaling ${podType} from ${current.length} to ${count}: decommissioning ${gone.map((p) => p.name).join(', ')}`, plan: this.view(decommission) };
  }

  async snapshotCreate(opts: { name?: string; podType?: string }): Promise<SnapshotView> {
    this.check();
    if (opts.podType && !(opts.podType in (this.spec.pods as object))) throw new InvalidRequestError(`podType: unknown pod type '${opts.podType}'`);
    this.mutate();
    const n = this.snapshots.length + 1;
    const pods = [...this.pods.values()].filter((p) => !opts.podType || p.podType === opts.podType);
    const snap: SnapshotView = {
      id: `group-${n}`,
      name: opts.name ?? `snapshot-${n}`,
      createdAt: TS,
      podType: opts.podType ?? null,
      volumes: pods.flatMap((p) => p.volumes.map((v) => ({ volumeId: v.id ?? '', volumeName: v.name, snapshotId: `${v.id}.snap-${n}` }))),
    };
    this.snapshots.push(snap);
    return structuredClone(snap);
  }

  async snapshotList(): Promise<SnapshotView[]> {
    this.check();
    return structuredClone(this.snapshots);
  }

  async snapshotRestore(snapshot: string): Promise<OperationResult> {
    this.check();
    const snap = this.snapshots.find((s) => s.id === snapshot || s.name === snapshot);
    if (!snap) throw new UnknownSnapshotError(`snapshot '${snapshot}' does not exist`);
    this.mutate();
    return { accepted: true, message: `restoring ${snap.volumes.length} volumes from ${snap.name}: pods stop, volumes are restored, pods start again` };
  }

  async uninstall(opts: { deleteVolumes: boolean; deleteSnapshots: boolean }): Promise<OperationResult> {
    this.mutate();
    this.uninstalling = true;
    const steps = [...this.pods.keys()].map((name) => ({ name, status: 'PENDING' as const }));
    this.plans.set('uninstall', plan('uninstall', 'PENDING', steps));
    const keep = [opts.deleteVolumes ? 'deleting volumes' : 'keeping volumes', opts.deleteSnapshots ? 'deleting snapshots' : 'keeping snapshots'];
    return { accepted: true, message: `uninstalling ${this.service} (${keep.join(', ')})` };
  }

  /** Issue 10: after uninstall the scheduler stays up, uninstalled, until reinstall. */
  async status(): Promise<ServiceStatusView> {
    const message = this.uninstalling ? `${this.service} is uninstalled: \`pxfw ${this.service} reinstall --yes\` deploys it again` : `${this.service}: active`;
    return { service: this.service, state: this.uninstalling ? 'uninstalled' : 'active(plans=complete)', uninstalled: this.uninstalling, message, uninstall: null };
  }

  async reinstall(): Promise<OperationResult> {
    if (!this.uninstalling) throw new OperationConflictError(`${this.service} is not uninstalled: nothing to reinstall`);
    this.uninstalling = false;
    return { accepted: true, message: `reinstalling ${this.service}` };
  }

  async endpoints(name?: string): Promise<EndpointView[] | EndpointView> {
    this.check();
    return fakeEndpoints(this.service, [...this.pods.values()], name);
  }

  async configList(): Promise<ConfigListView> {
    this.check();
    return fakeConfigList(this.configIds);
  }

  async configGet(id: string): Promise<StoredConfigView> {
    this.check();
    return fakeConfigGet(this.configIds, id, () => toYaml(this.spec));
  }

  async debugOffers(pod?: string): Promise<OfferEvaluationView[]> {
    this.check();
    const pods = pod ? [this.pod(pod)] : [...this.pods.values()];
    return pods.map((p) => ({
      pod: p.name,
      evaluatedAt: TS,
      lines: [`offer O-1 on host-${p.index}: accepted (holds a replica of ${p.volumes[0]?.id})`, `offer O-2 on host-9: declined (constraint hostname:UNIQUE)`],
    }));
  }

  async configShow(): Promise<{ yaml: string; spec: unknown }> {
    this.check();
    return { yaml: this.yaml ?? toYaml(this.spec), spec: structuredClone(this.spec) };
  }

  async configUpdate(yaml: string): Promise<OperationResult & { changedPods: string[] }> {
    this.check();
    let next: unknown;
    try {
      next = parseYaml(yaml);
    } catch (cause) {
      throw new InvalidRequestError(`yaml: not valid YAML (${(cause as Error).message})`, { cause });
    }
    if (!next || typeof next !== 'object' || !('pods' in next)) throw new InvalidRequestError('yaml: the spec needs a pods section');
    this.mutate();
    const changed = JSON.stringify(next) !== JSON.stringify(this.spec);
    if (changed) this.previousSpec = this.spec;
    this.spec = next as Record<string, unknown>;
    this.yaml = yaml;
    this.configIds.set(`cfg${this.configIds.size + 1}`, yaml);
    // The update plan restarts every pod, one at a time (the scheduler's restarts only changed ones).
    if (changed) this.plans.set('update', plan('update', 'PENDING', [...this.pods.keys()].map((name) => ({ name, status: 'PENDING' as const }))));
    return { accepted: true, message: changed ? 'spec updated; the update plan rolls the pods' : 'spec unchanged', changedPods: changed ? [...this.pods.keys()] : [] };
  }

  async configRollback(): Promise<OperationResult & { changedPods: string[] }> {
    this.check();
    if (!this.previousSpec) throw new OperationConflictError('no previous configuration to roll back to');
    this.mutate();
    [this.spec, this.previousSpec] = [this.previousSpec, undefined];
    this.yaml = undefined;
    return { accepted: true, message: 'the previous configuration is the target again; the update plan rolls the pods', changedPods: [...this.pods.keys()] };
  }
}
