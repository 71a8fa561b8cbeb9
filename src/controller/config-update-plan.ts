import type { PlanView, StepStatus } from '../api/operations';
import { planComplete, type JsonScalar, type StepEffect, type StepParams, type WorkflowPhase, type WorkflowPlan, type WorkflowStep } from '../../machines/workflow.types';
import { workflowPlanView } from '../workflows/workflow-view';
import { configId } from '../workflows/config-id';
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

/** The version-1 record (a loop ran it); read back and migrated to a workflow plan. */
export interface UpdatePlanRecordV1 {
  version: 1;
  id: string;
  createdAt: string;
  yaml: string;
  fromYaml: string;
  paused: boolean;
  error: string | null;
  phases: { name: string; strategy: 'serial'; steps: ({ name: string; kind: UpdateStepKind; status: StepStatus; message?: string } & Record<string, unknown>)[] }[];
}

export type UpdatePlanRecord = WorkflowPlan;

/** The id of a configuration: a hash of its canonical parsed spec (see src/workflows/config-id.ts). */
export { configId } from '../workflows/config-id';

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

const EFFECT: Record<UpdateStepKind, StepEffect> = { 'volume-spec': 'updateVolumeSpec', replication: 'changeReplication', restart: 'restartPod' };

function volumeSteps(service: string, diff: ConfigDiff, sorted: PodRef[]): WorkflowStep[] {
  const out: WorkflowStep[] = [];
  for (const pod of sorted) {
    for (const c of diff.volumes.filter((v) => v.podType === pod.podType)) {
      const volume = `${service}-${pod.podType}-${pod.index}-${c.volume}`;
      const base = { pod: pod.name, podType: pod.podType, volume };
      if (c.grow || c.priority || c.ioProfile?.to) {
        const params: StepParams = {
          ...base,
          kind: 'volume-spec',
          ...(c.grow ? { sizeGiB: c.grow.to } : {}),
          ...(c.priority ? { cos: COS[c.priority.to] ?? 'MEDIUM' } : {}),
          ...(c.ioProfile?.to ? { ioProfile: ioProfileEnum(c.ioProfile.to) } : {}),
        };
        out.push({ name: `${pod.name}-${c.volume}-size`, effect: 'updateVolumeSpec', status: 'PENDING', params });
      }
      if (c.repl) out.push({ name: `${pod.name}-${c.volume}-repl`, effect: 'changeReplication', status: 'PENDING', params: { ...base, kind: 'replication', repl: c.repl.to } });
    }
  }
  return out;
}

/**
 * The plan for an accepted diff over the pods that exist now (pods created later get the new
 * spec). Restarts are serial unless a pod type allows more than one pod down: then up to the
 * largest `max_unavailable` run together and each restart still waits for its type's slot.
 */
export function buildUpdatePlan(
  service: string,
  diff: ConfigDiff,
  pods: PodRef[],
  yaml: string,
  fromYaml: string,
  now = new Date(),
  maxUnavailable: (podType: string) => number = () => 1,
): UpdatePlanRecord {
  const sorted = [...pods].sort((a, b) => a.podType.localeCompare(b.podType) || a.index - b.index);
  const restarts: WorkflowStep[] = sorted
    .filter((p) => !p.retainedOnly && diff.restartTypes.includes(p.podType))
    .map((p) => ({ name: p.name, effect: 'restartPod', status: 'PENDING', params: { kind: 'restart', pod: p.name, podType: p.podType } }));
  const width = Math.max(1, ...restarts.map((s) => maxUnavailable(String(s.params.podType))));
  const phases: WorkflowPhase[] = [];
  const volumes = volumeSteps(service, diff, sorted);
  if (volumes.length > 0) phases.push({ name: 'volumes', strategy: 'serial', steps: volumes });
  if (restarts.length > 0) phases.push(width > 1 ? { name: 'restart', strategy: 'parallel', maxInFlight: width, steps: restarts } : { name: 'restart', strategy: 'serial', steps: restarts });
  const id = configId(yaml);
  return { name: UPDATE_PLAN, id, params: { configId: id, fromConfigId: configId(fromYaml), createdAt: now.toISOString() }, paused: false, error: null, phases };
}

function isV1(v: unknown): v is UpdatePlanRecordV1 {
  return typeof v === 'object' && v !== null && (v as { version?: unknown }).version === 1;
}

const scalar = (v: unknown): JsonScalar | undefined => (v === null || ['string', 'number', 'boolean'].includes(typeof v) ? (v as JsonScalar) : undefined);

/** A stored update plan of version 1 as a workflow plan (its specs go to `configs.<id>`, see config-target). */
export function migrateUpdateRecord(stored: unknown): WorkflowPlan | undefined {
  if (!isV1(stored)) return stored as WorkflowPlan | undefined;
  const phases: WorkflowPhase[] = stored.phases.map((p) => ({
    name: p.name,
    strategy: 'serial',
    steps: p.steps.map((s) => {
      const params: StepParams = {};
      for (const k of ['kind', 'pod', 'podType', 'volume', 'sizeGiB', 'cos', 'ioProfile', 'repl', 'addedHost', 'taskAtStart']) {
        const v = scalar(s[k]);
        if (v !== undefined) params[k] = v;
      }
      const status = s.status === 'PREPARED' ? 'PENDING' : s.status;
      return { name: s.name, effect: EFFECT[s.kind], status, params, ...(s.message ? { message: s.message } : {}) };
    }),
  }));
  const fromConfigId = configId(stored.fromYaml);
  return { name: UPDATE_PLAN, id: stored.id, params: { configId: stored.id, fromConfigId, createdAt: stored.createdAt }, paused: stored.paused, error: stored.error, phases };
}

export function planDone(rec: UpdatePlanRecord): boolean {
  return planComplete(rec);
}

/** `plan status update`: COMPLETE with no steps when no update was ever made. */
export function updatePlanView(rec: UpdatePlanRecord | undefined): PlanView {
  return workflowPlanView(UPDATE_PLAN, rec);
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
  const types = [...new Set(restarts.map((s) => String(s.params.podType)))];
  if (restarts.length > 0) {
    // `1 node` reads as one pod of type node (the wording tests and docs rely on).
    const limits = types.map((t) => `${maxUnavailable(t)} ${t}`).join(', ');
    parts.push(`rolling restart of ${restarts.length} pods, at most ${limits} down at a time (failure_policy.max_unavailable)`);
  }
  if (diff.serviceChanges.length > 0) parts.push(`${diff.serviceChanges.join(', ')} changed (applies at once, no pod restarts)`);
  if (parts.length === 0) return `configuration ${rec.id}: nothing to apply`;
  return `configuration ${rec.id}: ${parts.join('; ')}; progress: pxfw ${service} plan status update`;
}
