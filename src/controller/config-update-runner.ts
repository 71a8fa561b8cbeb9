import type { Logger } from '../log/logger';
import type { UpdateVolumeInput, VolumeInspection } from '../portworx';
import { replicaHealth } from '../portworx';
import { allSteps, planDone, UPDATE_PLAN_KEY, type UpdatePlanRecord, type UpdateStep } from './config-update-plan';
import { UpdateStepFailedError } from './config-update-errors';
import { chooseAddedReplica, chooseKeptReplicas, type ReplicaChoiceDeps } from './config-replicas';

const GIB = 1024 ** 3;

/** The pod facts the update plan needs (a read-only view of the registry). */
export interface UpdatePodView {
  name: string;
  podType: string;
  state: string;
  taskId: string | null;
  hostname: string | null;
  /** Needs an operator (blocked tag): a restart step waiting for it fails. */
  blocked: boolean;
  volumes: { name: string; id: string | null }[];
}

/** The narrow port the update plan runs against (issue 11: a state-store port, a scheduler port). */
export interface ConfigUpdateDeps extends ReplicaChoiceDeps {
  px: {
    inspectVolume(id: string): Promise<VolumeInspection>;
    findVolumeByName(name: string): Promise<VolumeInspection | undefined>;
    updateVolume(id: string, update: UpdateVolumeInput): Promise<void>;
  };
  /** Compare-and-set writes: a runner whose write conflicts was superseded and stops. */
  store: {
    get<T>(key: string): Promise<{ value: T; revision: number } | undefined>;
    put<T>(key: string, value: T, expectedRevision: number): Promise<number>;
  };
  pods(): UpdatePodView[];
  /** Send RESTART to a pod (relaunch in place with the current spec). */
  restart(pod: string): void;
  /** Called on every pod state change; returns an unsubscribe. */
  onPodChange(listener: () => void): () => void;
  /** Replica hosts of a volume changed: drop cached locations. */
  invalidateLocations(volume: string): void;
  maxUnavailable(podType: string): number;
  /** Only the leader acts; a runner of a deposed leader stops at its next step. */
  leading(): boolean;
  /** The scheduler is the active leader with its pods restored: steps may run. */
  ready(): boolean;
  logger: Logger;
  /** Divides the timeouts and polling intervals (the sandbox runs time faster). */
  timeScale: number;
}


/** The loop was told to stop (paused, not leading, superseded) in the middle of a step: not a failure. */
class Interrupted extends Error {}

const RESTART_TIMEOUT_S = 600;
const RESYNC_TIMEOUT_S = 6 * 3600;
const POLL_S = 5;

/**
 * Runs the persisted update plan: one loop at a time, every step's intent saved before it acts,
 * resumable from KV at the step where it stopped.
 */
export class ConfigUpdateRunner {
  private record: UpdatePlanRecord | undefined;
  private running: Promise<void> | undefined;
  private writes: Promise<unknown> = Promise.resolve();
  private wake: (() => void) | undefined;
  /** KV revision of `plans.update` as last read or written (0: absent). */
  private revision = 0;
  /** Set when another writer changed the plan under us: this runner does nothing more. */
  private superseded = false;

  constructor(private readonly deps: ConfigUpdateDeps) {}

  get current(): UpdatePlanRecord | undefined {
    return this.record;
  }

  get active(): boolean {
    return !!this.record && !planDone(this.record) && !this.record.error;
  }

  /** The loop is running. */
  get busy(): boolean {
    return !!this.running;
  }

  /** Read the stored plan (after a restart, or on leading again). */
  async load(): Promise<UpdatePlanRecord | undefined> {
    const got = await this.deps.store.get<UpdatePlanRecord>(UPDATE_PLAN_KEY);
    this.record = got?.value;
    this.revision = got?.revision ?? 0;
    this.superseded = false;
    return this.record;
  }

  /** Persist a new plan, then run it. Resolves once it is stored (the steps run on). */
  async start(rec: UpdatePlanRecord): Promise<void> {
    this.record = rec;
    await this.save();
    this.resume();
  }

  /** Run the loop if there is work and it is not running already. */
  resume(): void {
    if (this.running || this.superseded || !this.record || planDone(this.record) || this.record.error || this.record.paused) return;
    // Not before the pods are restored and we lead: the framework's next state change resumes it.
    if (!this.deps.ready()) return;
    this.running = this.loop()
      .catch((err: unknown) => this.deps.logger.error({ err }, 'update plan loop failed'))
      .finally(() => {
        this.running = undefined;
        // Stopped because the scheduler was briefly not ready (and is again): carry on shortly.
        if (this.deps.ready()) setTimeout(() => this.resume(), (POLL_S * 1000) / this.deps.timeScale).unref?.();
      });
  }

  pause(paused: boolean): void {
    if (!this.record) return;
    this.record.paused = paused;
    void this.save();
    if (!paused) this.resume();
  }

  /** `plan resume update` after a failed step: the failed steps are tried again. */
  retry(): void {
    const rec = this.record;
    if (!rec) return;
    for (const s of allSteps(rec)) if (s.status === 'ERROR') Object.assign(s, { status: 'PENDING', message: 'retrying' });
    rec.error = null;
    rec.paused = false;
    void this.save();
    this.resume();
  }

  /**
   * One write in flight, in order, each compare-and-set against the last one. Resolves true when
   * this state is stored: an act that follows (a RESTART, a Portworx update) happens only then.
   */
  private save(): Promise<boolean> {
    const snapshot = structuredClone(this.record);
    const write = this.writes.then(async () => {
      if (this.superseded || !snapshot) return false;
      try {
        this.revision = await this.deps.store.put(UPDATE_PLAN_KEY, snapshot, this.revision);
        return true;
      } catch (err) {
        if ((err as { code?: string }).code === 'STATE_CONFLICT') {
          this.superseded = true;
          this.deps.logger.warn({ err }, 'the update plan was changed by another scheduler instance: this one stops driving it');
        } else this.deps.logger.warn({ err }, 'could not persist the update plan');
        return false;
      }
    });
    this.writes = write;
    return write;
  }

  private async loop(): Promise<void> {
    const rec = this.record!;
    const unsubscribe = this.deps.onPodChange(() => this.wake?.());
    try {
      for (const phase of rec.phases) {
        const ok = phase.name === 'restart' ? await this.rollingRestart(rec, phase.steps) : await this.serial(rec, phase.steps);
        if (!ok) return;
      }
      this.deps.logger.info({ configuration: rec.id }, 'update plan complete');
    } finally {
      unsubscribe();
      await this.save();
    }
  }

  private stopped(rec: UpdatePlanRecord): boolean {
    return rec !== this.record || this.superseded || rec.paused || !!rec.error || !this.deps.leading() || !this.deps.ready();
  }

  private async serial(rec: UpdatePlanRecord, steps: UpdateStep[]): Promise<boolean> {
    for (const step of steps) {
      if (step.status === 'COMPLETE') continue;
      if (this.stopped(rec)) return false;
      try {
        step.status = 'STARTING';
        step.startedAt ??= Date.now();
        // Intent before the act: not stored, not done (the next leader or attempt does it).
        if (!(await this.save())) return false;
        if (step.kind === 'volume-spec') await this.volumeSpec(step);
        else await this.replication(rec, step);
        step.status = 'COMPLETE';
      } catch (err) {
        if (err instanceof Interrupted) return false; // resumed later at this step
        this.fail(rec, step, err);
        return false;
      }
      await this.save();
    }
    return true;
  }

  private fail(rec: UpdatePlanRecord, step: UpdateStep, err: unknown): void {
    const why = err instanceof Error ? err.message : String(err);
    step.status = 'ERROR';
    step.message = why;
    rec.error = `stopped at step ${step.name}: ${why}`;
    this.deps.logger.warn({ step: step.name, err }, 'update plan stopped at a failed step');
  }

  private async volumeOf(step: UpdateStep): Promise<{ id: string; found: VolumeInspection }> {
    const pod = this.deps.pods().find((p) => p.name === step.pod);
    const id = pod?.volumes.find((v) => v.name === step.volume)?.id ?? undefined;
    const found = id ? await this.deps.px.inspectVolume(id) : await this.deps.px.findVolumeByName(step.volume!);
    const vid = found?.volume.id;
    if (!found || !vid) throw new UpdateStepFailedError(`volume ${step.volume} not found in Portworx`);
    return { id: vid, found };
  }

  /** VolumeUpdate of size (grown online, filesystem included), cos and io_profile; confirmed by a re-read. */
  private async volumeSpec(step: UpdateStep): Promise<void> {
    const { id, found } = await this.volumeOf(step);
    const want = step.sizeGiB !== undefined ? step.sizeGiB * GIB : undefined;
    const have = Number(found.volume.spec?.size ?? 0);
    const spec: NonNullable<UpdateVolumeInput['spec']> = {};
    if (want !== undefined && have < want) spec.size = want;
    if (step.cos && found.volume.spec?.cos !== step.cos) spec.cos = step.cos as never;
    if (step.ioProfile && found.volume.spec?.io_profile !== step.ioProfile) spec.io_profile = step.ioProfile as never;
    if (Object.keys(spec).length > 0) {
      step.message = `updating ${Object.keys(spec).join(', ')} of ${step.volume}`;
      await this.deps.px.updateVolume(id, { spec });
    }
    const after = (await this.deps.px.inspectVolume(id)).volume;
    if (want !== undefined && Number(after.spec?.size ?? 0) < want) {
      throw new UpdateStepFailedError(`Portworx accepted the resize of ${step.volume} but reports ${Number(after.spec?.size ?? 0) / GIB} GiB`);
    }
    const size = `${Number(after.spec?.size ?? 0) / GIB} GiB`;
    step.message = after.fs_resize_required
      ? `${size}; the filesystem grows when the volume is next attached`
      : `${size}${want !== undefined ? ', filesystem grown online' : ''}`;
  }

  /** ha_level with the new replica pinned by the failure-domain rules; done once the resync ends. */
  private async replication(rec: UpdatePlanRecord, step: UpdateStep): Promise<void> {
    const { id, found } = await this.volumeOf(step);
    const target = step.repl!;
    const nodes = (found.volume.replica_sets ?? []).flatMap((r) => r.nodes ?? []);
    const haLevel = Number(found.volume.spec?.ha_level ?? nodes.length);
    if (haLevel !== target || nodes.length !== target) {
      const hosts = nodes.map((n) => this.deps.hostOfNode(n) ?? n);
      let keep: string[];
      if (target > nodes.length) {
        step.addedHost ??= chooseAddedReplica(this.deps, step, hosts);
        keep = [...hosts, step.addedHost];
        step.message = `adding a replica of ${step.volume} on ${step.addedHost}`;
      } else {
        const podHost = this.deps.pods().find((p) => p.name === step.pod)?.hostname ?? null;
        keep = chooseKeptReplicas(hosts, target, podHost);
        step.message = `removing the replica of ${step.volume} on ${hosts.filter((h) => !keep.includes(h)).join(', ')}`;
      }
      if (!(await this.save())) throw new UpdateStepFailedError('the replica choice could not be stored; not changing the volume');
      const ids = keep.map((h) => this.deps.nodeIdOfHost(h) ?? h);
      await this.deps.px.updateVolume(id, { spec: { ha_level: target, replica_set: { nodes: ids } } });
      this.deps.invalidateLocations(step.volume!);
    }
    await this.waitResync(rec, step, id, target);
    this.deps.invalidateLocations(step.volume!);
  }

  private async waitResync(rec: UpdatePlanRecord, step: UpdateStep, id: string, target: number): Promise<void> {
    const end = (step.startedAt ?? Date.now()) + (RESYNC_TIMEOUT_S * 1000) / this.deps.timeScale;
    for (;;) {
      const v = (await this.deps.px.inspectVolume(id)).volume;
      const health = replicaHealth(v);
      if (health.replicas >= target && !health.resyncing && v.status === 'VOLUME_STATUS_UP') {
        step.message = `${health.replicas} replicas in sync${step.addedHost ? ` (new replica on ${step.addedHost})` : ''}`;
        return;
      }
      step.message = health.resyncing
        ? `resync of the new replica on ${step.addedHost ?? health.resyncNodes.join(', ')}${health.progress !== undefined ? `: ${health.progress}%` : ''} (volume ${v.status ?? 'status unknown'})`
        : `waiting for ${target} replicas in sync (Portworx reports ${health.replicas}, ${v.status ?? 'status unknown'})`;
      await this.save();
      if (Date.now() > end) throw new UpdateStepFailedError(`${step.volume} not in sync after ${RESYNC_TIMEOUT_S} s: ${step.message}`);
      if (this.stopped(rec)) throw new Interrupted(step.message);
      await this.sleep((POLL_S * 1000) / this.deps.timeScale);
    }
  }

  /**
   * Restart the changed pods in place, never more than `max_unavailable` pods of a type down at
   * once, whatever their failure domains: a pod down for any reason counts.
   */
  private async rollingRestart(rec: UpdatePlanRecord, steps: UpdateStep[]): Promise<boolean> {
    const timeoutMs = (RESTART_TIMEOUT_S * 1000) / this.deps.timeScale;
    for (;;) {
      if (this.stopped(rec)) return false;
      const all = this.deps.pods();
      // No pods at all: the scheduler is stepping down or restoring; the next start resumes.
      if (all.length === 0) return false;
      const pods = new Map(all.map((p) => [p.name, p]));
      let changed = false;
      for (const step of steps.filter((s) => s.status === 'STARTING')) {
        const pod = pods.get(step.pod);
        if (!pod) {
          Object.assign(step, { status: 'COMPLETE', message: `${step.pod} no longer exists (scaled down)` });
          changed = true;
          continue;
        }
        if (pod.state === 'running.up' && pod.taskId !== step.taskAtStart) {
          Object.assign(step, { status: 'COMPLETE', message: `running again as ${pod.taskId}` });
          changed = true;
        } else if (pod.state === 'running.up' && !this.sentRestart.has(step.pod)) {
          // Saved as STARTING but the scheduler stopped before the RESTART went out: send it now.
          this.sentRestart.add(step.pod);
          this.deps.restart(step.pod);
        } else if (pod.blocked) {
          this.fail(rec, step, new UpdateStepFailedError(`${step.pod} did not come back: ${pod.state}`));
          return false;
        } else if (Date.now() - (step.startedAt ?? Date.now()) > timeoutMs) {
          this.fail(rec, step, new UpdateStepFailedError(`${step.pod} not running ${RESTART_TIMEOUT_S} s after its restart (state ${pod.state})`));
          return false;
        } else if (step.message !== `restarting (${pod.state})`) {
          step.message = `restarting (${pod.state})`;
          changed = true;
        }
      }
      const pending = steps.filter((s) => s.status === 'PENDING' || s.status === 'WAITING');
      if (pending.length === 0 && steps.every((s) => s.status === 'COMPLETE')) {
        await this.save();
        return true;
      }
      for (const step of pending) {
        const sameType = [...pods.values()].filter((p) => p.podType === step.podType);
        const down = sameType.filter((p) => p.state !== 'running.up');
        const limit = this.deps.maxUnavailable(step.podType);
        if (down.length >= limit) {
          const msg = `waiting: ${down.map((p) => `${p.name} (${p.state})`).join(', ')} down, failure_policy.max_unavailable is ${limit}`;
          if (step.message !== msg) Object.assign(step, { status: 'WAITING', message: msg });
          changed = true;
          continue;
        }
        const pod = pods.get(step.pod);
        if (!pod) {
          Object.assign(step, { status: 'COMPLETE', message: `${step.pod} no longer exists (scaled down)` });
          changed = true;
          continue;
        }
        if (pod.state !== 'running.up') {
          // A pod that is down is not taken down further: the step waits for it to run.
          const msg = `waiting for ${pod.name} to run (${pod.state})`;
          if (step.message !== msg) Object.assign(step, { status: 'WAITING', message: msg });
          continue;
        }
        Object.assign(step, { status: 'STARTING', taskAtStart: pod.taskId, startedAt: Date.now(), message: 'restarting' });
        if (!(await this.save())) return false; // intent before the act
        this.sentRestart.add(step.pod);
        this.deps.restart(step.pod);
        pod.state = 'restarting';
        changed = true;
      }
      if (changed) await this.save();
      await this.sleep((POLL_S * 1000) / this.deps.timeScale);
    }
  }

  private readonly sentRestart = new Set<string>();

  /** Until a pod changes state or the interval passes. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}
