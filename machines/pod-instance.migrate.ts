import { POD_TIMING_DEFAULTS } from './pod-instance.logic';

/*
 * Persisted pod snapshots written before the failure model of issue 9 still sit in KV after an
 * upgrade. `migratePodSnapshot` brings one up to date before XState restores it (pure, JSON in
 * and out, idempotent):
 * - `running.unreachable` (waiting out the permanent failure timeout) becomes a probation:
 *   `running.suspect.probation` with the Mesos evidence, so the pod is confirmed down or healed
 *   by the same rules as any other;
 * - permanent triggers that no longer exist map to their successors: `node-offline`,
 *   `unreachable-timeout` and `agent-gone` to `host-down`, `task-gone` to `task-unknown` (the
 *   operator decides, as before);
 * - context fields added since (`suspicion`, `replacing`, `taskHasRun`, the probation) get their
 *   defaults.
 */
const TRIGGERS: Record<string, string> = { 'node-offline': 'host-down', 'unreachable-timeout': 'host-down', 'agent-gone': 'host-down', 'task-gone': 'task-unknown' };

type Json = Record<string, unknown>;

export function migratePodSnapshot<T>(snapshot: T): T {
  if (snapshot === null || typeof snapshot !== 'object') return snapshot;
  // A current snapshot (every live one) comes back as it is: the same context object means the
  // same record to whoever compares them, and nothing is copied.
  if (isCurrent(snapshot as Json)) return snapshot;
  const snap = { ...(snapshot as Json) };
  const ctx = snap.context as Json | undefined;
  if (!ctx || typeof ctx !== 'object') return snapshot;
  const context: Json = { ...ctx };
  const timing = { ...(context.timing as Json | undefined) };
  timing.probationMs ??= POD_TIMING_DEFAULTS.probationMs;
  context.timing = timing;
  const policy = { ...(context.failurePolicy as Json | undefined) };
  policy.probationMs ??= timing.probationMs;
  context.failurePolicy = policy;
  context.suspicion ??= { mesos: null, portworx: null };
  context.replacing ??= false;
  // Issue 11: tasks launched before checks existed had no readiness check (ready = running).
  context.readinessCheck ??= false;
  context.checkPassed ??= null;
  context.configId ??= null;
  context.taskHasRun ??= context.taskState === 'TASK_RUNNING' || isRunning(snap.value);
  const failure = context.failure as Json | null | undefined;
  if (failure && typeof failure.trigger === 'string' && TRIGGERS[failure.trigger]) {
    context.failure = { ...failure, trigger: TRIGGERS[failure.trigger] };
  }
  const value = snap.value as Json | string | undefined;
  if (value && typeof value === 'object' && value.running === 'unreachable') {
    snap.value = { running: { suspect: 'probation' } };
    context.suspicion = { mesos: 'Mesos reported the task unreachable (before an upgrade)', portworx: null };
    context.taskHasRun = true;
  }
  snap.context = context;
  return snap as T;
}

/** Fields migratePodSnapshot fills when null or absent (`??=`); checkPassed and configId may be null. */
const CURRENT_FIELDS = ['suspicion', 'replacing', 'readinessCheck', 'taskHasRun'] as const;

/** Nothing for migratePodSnapshot to do: every field it would add is there, no trigger or state to rename. */
function isCurrent(snap: Json): boolean {
  const ctx = snap.context as Json | undefined;
  if (!ctx || typeof ctx !== 'object') return true;
  for (const f of CURRENT_FIELDS) if (ctx[f] == null) return false;
  if (!('checkPassed' in ctx) || !('configId' in ctx)) return false;
  if ((ctx.timing as Json | undefined)?.probationMs == null || (ctx.failurePolicy as Json | undefined)?.probationMs == null) return false;
  const trigger = (ctx.failure as Json | null | undefined)?.trigger;
  if (typeof trigger === 'string' && TRIGGERS[trigger]) return false;
  const value = snap.value as Json | string | undefined;
  return !(value && typeof value === 'object' && value.running === 'unreachable');
}

function isRunning(value: unknown): boolean {
  return value === 'running' || (typeof value === 'object' && value !== null && 'running' in value);
}
