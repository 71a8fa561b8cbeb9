import { createHash } from 'node:crypto';
import type { PlanStatusValue, PlanView, StepStatus } from '../api/operations';
import type { ConfigDiff } from './config-diff';

/**
 * The `update` plan: what `config update` accepted, as steps, persisted in the service's KV
 * bucket under `plans.update` before anything is changed and after every step's progress, so a
 * restarted scheduler adopts the new spec and resumes at the first step not done. (Issue 11 turns
 * every workflow into such a persisted plan; `plans.<name>` is the key space for them.)
 *
 * Two phases, in order:
 * - `volumes` (serial): per pod and volume, a VolumeUpdate of the spec (size, cos, io_profile)
 *   and a replication change (ha_level with the new replica pinned), each confirmed by Portworx;
 * - `restart` (serial, at most `max_unavailable` pods of a type down at once, counted over every
 *   failure domain): pods whose task-level fields changed restart in place.
 * The plan stops at the first failed step; `plan status update` names it and why.
 */
export const UPDATE_PLAN = 'update';
export const UPDATE_PLAN_KEY = 'plans.update';

export type UpdateStepKind = 'volume-spec' | 'replication' | 'restart';

export interface UpdateStep {
  /** Unique in the plan: `node-0-data-size`, `node-0-data-repl`, `node-0`. */
  name: string;
  kind: UpdateStepKind;
  pod: string;
  podType: string;
  /** Portworx volume name (volume steps). */
  volume?: string;
  /** Target size in GiB (volume-spec). */
  sizeGiB?: number;
  /** Portworx `cos` and `io_profile` enum names to set (volume-spec). */
  cos?: string;
  ioProfile?: string;
  /** Target replica count (replication). */
  repl?: number;
  /** The host chosen for the new replica, kept so a resumed step pins the same one. */
  addedHost?: string;
  /** The pod's task when the restart was sent: done once a new task runs (restart). */
  taskAtStart?: string | null;
  /** When the step started (ms since epoch), for its timeout. */
  startedAt?: number;
  status: StepStatus;
  message?: string;
}

export interface UpdatePhase {
  name: 'volumes' | 'restart';
  strategy: 'serial';
  steps: UpdateStep[];
}

export interface UpdatePlanRecord {
  version: 1;
  /** Configuration id: the first 12 hex digits of the SHA-256 of the target YAML. */
  id: string;
  createdAt: string;
  /** The target spec and the one it replaced (a restart adopts `yaml` if its own file is either). */
  yaml: string;
  fromYaml: string;
  paused: boolean;
  /** Set when a step failed: the plan stops there until `plan resume update`. */
  error: string | null;
  phases: UpdatePhase[];
}

export function configId(yaml: string): string {
  return createHash('sha256').update(yaml).digest('hex').slice(0, 12);
}

export interface PodRef {
  name: string;
  podType: string;
  index: number;
  /**
   * A pod index with no pod, whose volumes were kept by a scale-down (`volume_policy: retain`):
   * its volumes get the volume steps too, so a later scale-up reuses them at the new size and
   * replica count; it has no restart step.
   */
  retainedOnly?: boolean;
}

const COS: Record<string, string> = { high: 'HIGH', medium: 'MEDIUM', low: 'LOW' };
const IO_PROFILE: Record<string, string> = { db_remote: 'IO_PROFILE_DB_REMOTE', sync_shared: 'IO_PROFILE_SYNC_SHARED', auto_journal: 'IO_PROFILE_AUTO_JOURNAL' };
const ioProfileEnum = (p: string) => IO_PROFILE[p] ?? `IO_PROFILE_${p.toUpperCase()}`;

/** The plan for an accepted diff over the pods that exist now (pods created later get the new spec). */
export function buildUpdatePlan(service: string, diff: ConfigDiff, pods: PodRef[], yaml: string, fromYaml: string, now = new Date()): UpdatePlanRecord {
  const sorted = [...pods].sort((a, b) => a.podType.localeCompare(b.podType) || a.index - b.index);
  const volumeSteps: UpdateStep[] = [];
  for (const pod of sorted) {
    for (const c of diff.volumes.filter((v) => v.podType === pod.podType)) {
      const volume = `${service}-${pod.podType}-${pod.index}-${c.volume}`;
      const base = { pod: pod.name, podType: pod.podType, volume, status: 'PENDING' as StepStatus };
      if (c.grow || c.priority || c.ioProfile?.to) {
        volumeSteps.push({
          ...base,
          name: `${pod.name}-${c.volume}-size`,
          kind: 'volume-spec',
          ...(c.grow ? { sizeGiB: c.grow.to } : {}),
          ...(c.priority ? { cos: COS[c.priority.to] ?? 'MEDIUM' } : {}),
          ...(c.ioProfile?.to ? { ioProfile: ioProfileEnum(c.ioProfile.to) } : {}),
        });
      }
      if (c.repl) volumeSteps.push({ ...base, name: `${pod.name}-${c.volume}-repl`, kind: 'replication', repl: c.repl.to });
    }
  }
  const restartSteps: UpdateStep[] = sorted
    .filter((p) => !p.retainedOnly && diff.restartTypes.includes(p.podType))
    .map((p) => ({ name: p.name, kind: 'restart', pod: p.name, podType: p.podType, status: 'PENDING' }));
  const phases: UpdatePhase[] = [];
  if (volumeSteps.length > 0) phases.push({ name: 'volumes', strategy: 'serial', steps: volumeSteps });
  if (restartSteps.length > 0) phases.push({ name: 'restart', strategy: 'serial', steps: restartSteps });
  return { version: 1, id: configId(yaml), createdAt: now.toISOString(), yaml, fromYaml, paused: false, error: null, phases };
}

export function allSteps(rec: UpdatePlanRecord): UpdateStep[] {
  return rec.phases.flatMap((p) => p.steps);
}

export function planDone(rec: UpdatePlanRecord): boolean {
  return allSteps(rec).every((s) => s.status === 'COMPLETE');
}

function phaseStatus(steps: UpdateStep[]): PlanStatusValue {
  if (steps.every((s) => s.status === 'COMPLETE')) return 'COMPLETE';
  if (steps.some((s) => s.status === 'ERROR')) return 'ERROR';
  if (steps.some((s) => s.status === 'STARTING' || s.status === 'COMPLETE')) return 'IN_PROGRESS';
  if (steps.some((s) => s.status === 'WAITING')) return 'WAITING';
  return 'PENDING';
}

/** `plan status update`: COMPLETE with no steps when no update was ever made. */
export function updatePlanView(rec: UpdatePlanRecord | undefined): PlanView {
  if (!rec) return { name: UPDATE_PLAN, status: 'COMPLETE', paused: false, phases: [], errors: [] };
  const phases = rec.phases.map((p) => ({
    name: p.name,
    strategy: p.strategy,
    status: phaseStatus(p.steps),
    steps: p.steps.map((s) => ({ name: s.name, status: s.status, ...(s.message ? { message: s.message } : {}) })),
  }));
  const steps = allSteps(rec);
  const status: PlanStatusValue = steps.length === 0 ? 'COMPLETE' : phaseStatus(steps);
  return { name: UPDATE_PLAN, status, paused: rec.paused, phases, errors: rec.error ? [rec.error] : [] };
}

/** One line for the `config update` reply. */
export function describePlan(service: string, rec: UpdatePlanRecord, diff: ConfigDiff, maxUnavailable: (podType: string) => number): string {
  const parts: string[] = [];
  for (const c of diff.volumes) {
    const what = [
      c.grow ? `size ${c.grow.from} -> ${c.grow.to} GiB` : '',
      c.repl ? `repl ${c.repl.from} -> ${c.repl.to}` : '',
      c.priority ? `priority ${c.priority.from} -> ${c.priority.to}` : '',
      c.ioProfile ? `io_profile ${c.ioProfile.from ?? 'none'} -> ${c.ioProfile.to ?? 'none'}` : '',
    ].filter(Boolean);
    parts.push(`${c.podType} volume ${c.volume}: ${what.join(', ')} (online, pods keep running)`);
  }
  const restarts = rec.phases.find((p) => p.name === 'restart')?.steps ?? [];
  const types = [...new Set(restarts.map((s) => s.podType))];
  if (restarts.length > 0) {
    // `1 node` reads as one pod of type node (the wording tests and docs rely on).
    const limits = types.map((t) => `${maxUnavailable(t)} ${t}`).join(', ');
    parts.push(`rolling restart of ${restarts.length} pods, at most ${limits} down at a time (failure_policy.max_unavailable)`);
  }
  if (diff.serviceChanges.length > 0) parts.push(`${diff.serviceChanges.join(', ')} changed (applies at once, no pod restarts)`);
  if (parts.length === 0) return `configuration ${rec.id}: nothing to apply`;
  return `configuration ${rec.id}: ${parts.join('; ')}; progress: pxfw ${service} plan status update`;
}
