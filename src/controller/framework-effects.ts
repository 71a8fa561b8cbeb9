import { fromPromise } from 'xstate';
import type {
  AcquireLeaseOutput,
  ReconcileInput,
  RestoreStateOutput,
  SavedFrameworkState,
  ServiceInput,
  StoredTask,
} from '../../machines/framework.types';
import type { PodInstanceContext } from '../../machines/pod-instance.types';
import type { PortworxClient } from '../portworx';
import type { Logger } from '../log/logger';
import type { PodEntry, PodRecord } from './pod-registry';
import type { TaskTracker } from './task-tracker';
import type { SnapshotManager } from './snapshots';
import type { ReadonlyCluster } from './ports/cluster-view';
import type { SchedulerCalls } from './ports/scheduler-calls';
import type { StateStore } from './ports/state-store';
import { clearTombstone, deleteStateButTombstone, readTombstone, removeOwnApp, tombstoneState, type TombstoneDeps } from './tombstone';
import { uninstallPlanActor } from '../workflows/uninstall-plan-actor';
import type { UninstallFlags } from '../workflows/uninstall-workflow';

export const FRAMEWORK_KEY = 'framework';

/** What the supervisor's effects need: narrow views, never the runtime. */
export interface FrameworkEffectDeps extends TombstoneDeps {
  service: string;
  kv: StateStore;
  leadership: { acquire(): Promise<AcquireLeaseOutput> };
  scheduler: Pick<SchedulerCalls, 'reconcile' | 'killOrThrow' | 'teardown'>;
  pods: TombstoneDeps['pods'] & {
    all(): PodEntry[];
    context(e: PodEntry): Pick<PodInstanceContext, 'task'>;
    stopAll(): void;
  };
  tasks: Pick<TaskTracker, 'isTerminal' | 'waitTerminal'>;
  cluster: Pick<ReadonlyCluster, 'agent' | 'hostOfNode' | 'storageNode'>;
  px: Pick<PortworxClient, 'inspectVolumeWithFilters' | 'detach' | 'deleteVolume' | 'deleteSnapshot'>;
  snapshots: Pick<SnapshotManager, 'runCommands' | 'groupSnapshot' | 'allSnapshotIds'>;
  /** How long killAllTasks waits for the killed tasks to end. */
  killWaitMs: number;
  logger: Logger;
}

/**
 * Read the supervisor's saved state and the tasks the pod records name (no actor is started).
 * A tombstone wins: the service was uninstalled and stays so (see tombstone.ts).
 */
export async function restoreState(deps: Pick<FrameworkEffectDeps, 'kv' | 'removal'>): Promise<RestoreStateOutput> {
  const tombstone = await readTombstone(deps.kv);
  deps.removal.set(tombstone?.marathon ?? null);
  if (tombstone) return { saved: null, tasks: [], tombstone: tombstoneState(tombstone) };
  const saved = (await deps.kv.get<SavedFrameworkState>(FRAMEWORK_KEY))?.value ?? null;
  const tasks: StoredTask[] = [];
  for (const key of await deps.kv.keys('pods.')) {
    const rec = await deps.kv.get<PodRecord>(key);
    const ctx = (rec?.value.snapshot as { context?: PodInstanceContext } | undefined)?.context;
    if (ctx?.task) tasks.push({ taskId: ctx.task.taskId, agentId: ctx.task.agentId });
  }
  return { saved, tasks };
}

export async function reconcile(deps: Pick<FrameworkEffectDeps, 'scheduler'>, input: ReconcileInput): Promise<void> {
  await deps.scheduler.reconcile(input.tasks.map((t) => ({ taskId: t.taskId, agentId: t.agentId })));
}

type KillAllDeps = Pick<FrameworkEffectDeps, 'tasks' | 'cluster' | 'scheduler' | 'killWaitMs' | 'logger'> & {
  pods: Pick<FrameworkEffectDeps['pods'], 'all' | 'context' | 'stopAll'>;
};

/** Kill every task of the service and wait until each is terminal (an agent gone counts as done). */
export async function killAllTasks(deps: KillAllDeps): Promise<void> {
  deps.pods.stopAll();
  const live = deps.pods
    .all()
    .map((e) => deps.pods.context(e).task)
    .filter((t): t is NonNullable<typeof t> => !!t && !deps.tasks.isTerminal(t.taskId) && !deps.cluster.agent(t.agentId)?.gone);
  for (const t of live) await deps.scheduler.killOrThrow(t.taskId, t.agentId);
  const agentOf = (id: string) => deps.cluster.agent(live.find((t) => t.taskId === id)!.agentId);
  try {
    await deps.tasks.waitTerminal(live.map((t) => t.taskId), deps.killWaitMs, (id) => !!agentOf(id)?.gone);
  } catch (err) {
    // A task on a partitioned agent cannot answer: TEARDOWN kills it should the agent return,
    // and the next step force-detaches its volumes. Any other task still running is an error.
    const stuck = live.filter((t) => !deps.tasks.isTerminal(t.taskId) && !agentOf(t.taskId)?.gone && !agentOf(t.taskId)?.unreachable);
    if (stuck.length > 0) throw err;
    const unreachable = live.filter((t) => !deps.tasks.isTerminal(t.taskId) && agentOf(t.taskId)?.unreachable).map((t) => t.taskId);
    deps.logger.warn({ tasks: unreachable }, 'tasks on unreachable agents counted as killed; TEARDOWN ends them if the agents return');
  }
}

export async function detachAllVolumes(deps: Pick<FrameworkEffectDeps, 'service' | 'px' | 'cluster'>): Promise<void> {
  const volumes = await deps.px.inspectVolumeWithFilters({ labels: { 'pxfw/service': deps.service } });
  for (const v of volumes) {
    const node = v.volume.attached_on;
    if (!node || !v.volume.id) continue;
    const host = deps.cluster.hostOfNode(node);
    const up = !!host && deps.cluster.storageNode(host)?.health === 'up';
    await deps.px.detach(v.volume.id, { force: !up, unmountBeforeDetach: true, ...(up && host ? { node: host } : {}) });
  }
}

export async function disposeAllVolumes(deps: Pick<FrameworkEffectDeps, 'service' | 'px' | 'snapshots'>, input: UninstallFlags): Promise<void> {
  if (input.deleteSnapshots) {
    for (const snap of await deps.snapshots.allSnapshotIds()) await deps.px.deleteSnapshot(snap);
  }
  if (!input.deleteVolumes) return;
  const volumes = await deps.px.inspectVolumeWithFilters({ labels: { 'pxfw/service': deps.service } });
  for (const v of volumes) if (v.volume.id) await deps.px.deleteVolume(v.volume.id);
}

/** The uninstall plan's ports: the bucket, the tombstone, and the acts of its steps (each idempotent). */
export function uninstallPlanDeps(deps: FrameworkEffectDeps) {
  return {
    kv: deps.kv,
    tombstone: async () => {
      const t = await readTombstone(deps.kv);
      return t ? tombstoneState(t) : undefined;
    },
    flags: () => {
      const u = deps.supervisor.context().uninstall;
      return u ? { deleteVolumes: u.deleteVolumes, deleteSnapshots: u.deleteSnapshots } : undefined;
    },
    acts: {
      killTasks: () => killAllTasks(deps),
      detachVolumes: () => detachAllVolumes(deps),
      disposeVolumes: (flags: UninstallFlags) => disposeAllVolumes(deps, flags),
      teardown: () => deps.scheduler.teardown(),
      deleteState: () => deleteStateButTombstone(deps),
      removeApp: () => removeOwnApp(deps),
    },
    logger: deps.logger.child({ module: 'uninstall-plan' }),
  };
}

/** The supervisor's effects, typed as the framework machine declares them (no casts in `.provide()`). */
export function frameworkEffectActors(deps: FrameworkEffectDeps) {
  const actor = <I, O>(fn: (input: I) => Promise<O>) => fromPromise<O, I>(({ input }) => fn(input));
  return {
    restoreState: actor((_: ServiceInput) => restoreState(deps)),
    acquireLease: actor((_: ServiceInput) => deps.leadership.acquire()),
    reconcile: actor((i: ReconcileInput) => reconcile(deps, i)),
    runPreCommands: actor((i: { service: string; name: string }) => deps.snapshots.runCommands('pre', i.name)),
    groupSnapshot: actor((i: { service: string; name: string }) => deps.snapshots.groupSnapshot(i.name)),
    runPostCommands: actor((i: { service: string; name: string }) => deps.snapshots.runCommands('post', i.name)),
    runUninstallPlan: uninstallPlanActor(uninstallPlanDeps(deps)),
    reinstall: actor((_: ServiceInput) => clearTombstone(deps)),
  };
}
