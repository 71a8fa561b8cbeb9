import { fromPromise } from 'xstate';
import type {
  AcquireLeaseOutput,
  DisposeAllInput,
  ReconcileInput,
  RestoreStateOutput,
  SavedFrameworkState,
  ServiceInput,
  StoredTask,
} from '../../machines/framework.types';
import type { PodInstanceContext } from '../../machines/pod-instance.types';
import { LeaseHeldError } from '../state/errors';
import type { Runtime } from './runtime';
import type { PodRecord } from './pod-registry';
import { NotConnectedError } from './errors';
import { clearTombstone, deleteStateButTombstone, readTombstone, removeOwnApp, tombstoneState } from './tombstone';

export const FRAMEWORK_KEY = 'framework';

/**
 * Read the supervisor's saved state and the tasks the pod records name (no actor is started).
 * A tombstone wins: the service was uninstalled and stays so (see tombstone.ts).
 */
export async function restoreState(rt: Runtime): Promise<RestoreStateOutput> {
  const tombstone = await readTombstone(rt.store);
  rt.marathonRemoval = tombstone?.marathon ?? null;
  if (tombstone) return { saved: null, tasks: [], tombstone: tombstoneState(tombstone) };
  const saved = (await rt.store.get<SavedFrameworkState>(FRAMEWORK_KEY))?.value ?? null;
  const tasks: StoredTask[] = [];
  for (const key of await rt.store.keys('pods.')) {
    const rec = await rt.store.get<PodRecord>(key);
    const ctx = (rec?.value.snapshot as { context?: PodInstanceContext } | undefined)?.context;
    if (ctx?.task) tasks.push({ taskId: ctx.task.taskId, agentId: ctx.task.agentId });
  }
  return { saved, tasks };
}

export async function acquireLease(rt: Runtime): Promise<AcquireLeaseOutput> {
  try {
    await rt.lease.acquire();
    rt.leading = true;
    // Renewed from now on, also on the paths that never subscribe (an uninstall finished offline,
    // the tombstone): an uninstalled scheduler keeps leading, so only one answers `reinstall`.
    rt.keepLease();
    return { acquired: true, holder: rt.lease.holder };
  } catch (err) {
    if (err instanceof LeaseHeldError) return { acquired: false, holder: err.holder };
    throw err;
  }
}

export async function reconcile(rt: Runtime, input: ReconcileInput): Promise<void> {
  const mesos = rt.mesos;
  if (!mesos?.frameworkId) throw new NotConnectedError('cannot reconcile before SUBSCRIBED');
  await mesos.reconcile(input.tasks.map((t) => ({ taskId: t.taskId, agentId: t.agentId })));
}

/** Kill every task of the service and wait until each is terminal (an agent gone counts as done). */
export async function killAllTasks(rt: Runtime): Promise<void> {
  rt.registry.stopAll();
  const live = rt.registry
    .all()
    .map((e) => rt.registry.context(e).task)
    .filter((t): t is NonNullable<typeof t> => !!t && !rt.tasks.isTerminal(t.taskId) && !rt.cluster.agent(t.agentId)?.gone);
  const mesos = rt.mesos;
  if (live.length > 0 && !mesos?.frameworkId) throw new NotConnectedError('cannot kill tasks before SUBSCRIBED');
  for (const t of live) await mesos!.kill(t.taskId, t.agentId);
  const agentOf = (id: string) => rt.cluster.agent(live.find((t) => t.taskId === id)!.agentId);
  try {
    await rt.tasks.waitTerminal(live.map((t) => t.taskId), rt.timing.killWaitMs, (id) => !!agentOf(id)?.gone);
  } catch (err) {
    // A task on a partitioned agent cannot answer: TEARDOWN kills it should the agent return,
    // and the next step force-detaches its volumes. Any other task still running is an error.
    const stuck = live.filter((t) => !rt.tasks.isTerminal(t.taskId) && !agentOf(t.taskId)?.gone && !agentOf(t.taskId)?.unreachable);
    if (stuck.length > 0) throw err;
    const unreachable = live.filter((t) => !rt.tasks.isTerminal(t.taskId) && agentOf(t.taskId)?.unreachable).map((t) => t.taskId);
    rt.logger.warn({ tasks: unreachable }, 'tasks on unreachable agents counted as killed; TEARDOWN ends them if the agents return');
  }
}

export async function detachAllVolumes(rt: Runtime): Promise<void> {
  const volumes = await rt.px.inspectVolumeWithFilters({ labels: { 'pxfw/service': rt.service } });
  for (const v of volumes) {
    const node = v.volume.attached_on;
    if (!node || !v.volume.id) continue;
    const host = rt.cluster.hostOfNode(node);
    const up = !!host && rt.cluster.storageNode(host)?.health === 'up';
    await rt.px.detach(v.volume.id, { force: !up, unmountBeforeDetach: true, ...(up && host ? { node: host } : {}) });
  }
}

export async function disposeAllVolumes(rt: Runtime, input: DisposeAllInput): Promise<void> {
  if (input.deleteSnapshots) {
    for (const snap of await rt.snapshots.allSnapshotIds()) await rt.px.deleteSnapshot(snap);
  }
  if (!input.deleteVolumes) return;
  const volumes = await rt.px.inspectVolumeWithFilters({ labels: { 'pxfw/service': rt.service } });
  for (const v of volumes) if (v.volume.id) await rt.px.deleteVolume(v.volume.id);
}

export async function teardown(rt: Runtime): Promise<void> {
  const mesos = rt.mesos;
  if (!mesos?.frameworkId) throw new NotConnectedError('cannot TEARDOWN before SUBSCRIBED');
  // The master ends the subscription as part of TEARDOWN; that must not send the supervisor
  // back to subscribing (a removed framework can never subscribe again).
  rt.tearingDown = true;
  try {
    await mesos.teardown();
  } catch (err) {
    rt.tearingDown = false;
    throw err;
  }
}


export function frameworkEffectActors(rt: Runtime) {
  const actor = <I, O>(fn: (input: I) => Promise<O>) => fromPromise<O, I>(({ input }) => fn(input));
  return {
    restoreState: actor((_: ServiceInput) => restoreState(rt)),
    acquireLease: actor((_: ServiceInput) => acquireLease(rt)),
    reconcile: actor((i: ReconcileInput) => reconcile(rt, i)),
    runPreCommands: actor((i: { service: string; name: string }) => rt.snapshots.runCommands('pre', i.name)),
    groupSnapshot: actor((i: { service: string; name: string }) => rt.snapshots.groupSnapshot(i.name)),
    runPostCommands: actor((i: { service: string; name: string }) => rt.snapshots.runCommands('post', i.name)),
    killAllTasks: actor((_: ServiceInput) => killAllTasks(rt)),
    detachAllVolumes: actor((_: ServiceInput) => detachAllVolumes(rt)),
    disposeAllVolumes: actor((i: DisposeAllInput) => disposeAllVolumes(rt, i)),
    teardown: actor((_: ServiceInput) => teardown(rt)),
    deleteState: actor((_: ServiceInput) => deleteStateButTombstone(rt)),
    removeApp: actor((_: ServiceInput) => removeOwnApp(rt)),
    reinstall: actor((_: ServiceInput) => clearTombstone(rt)),
  };
}
