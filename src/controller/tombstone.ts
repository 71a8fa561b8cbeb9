import { z } from 'zod';
import type { FrameworkContext, ReinstallOutput, RemoveAppOutput, DeleteStateOutput, TombstoneState } from '../../machines/framework.types';
import { isTombstoned } from '../../machines/framework.logic';
import { UNINSTALL_STEPS } from '../../machines/framework.types';
import { OWNER_KEY } from '../state/bucket-owner';
import { LEASE_KEY } from '../state/leader-lease';
import { StateCorruptError } from '../state/errors';
import { safeKey } from '../state/state-store';
import type { MarathonClient, MarathonSettings } from '../marathon';
import type { ServiceSpec } from '../service-spec';
import type { Logger } from '../log/logger';
import type { StateStore, StateWrites } from './ports/state-store';
import type { SupervisorView } from './ports/supervisor';
import type { FrameworkStateCheck } from './state-names';

/*
 * The tombstone an uninstall leaves (issue 10, problem 2). Uninstall deletes the service's state
 * except three keys of its KV bucket: `meta.owner` (whose bucket this is: the lease's
 * replaced-bucket check compares it), `lease` (held while the uninstalled scheduler runs, released
 * on stop) and `tombstone` (this record). A scheduler that starts and finds the tombstone stays
 * `uninstalled`: healthy, deploying nothing. `pxfw <service> reinstall --yes` deletes it; so does
 * deleting the bucket by hand once no scheduler runs (docs/operations.md "Tombstone").
 */

export const TOMBSTONE_KEY = 'tombstone';
/** Keys the uninstall keeps; everything else in the bucket is deleted. */
const KEPT = new Set([OWNER_KEY, LEASE_KEY, TOMBSTONE_KEY].map(safeKey));

const stepSchema = z.enum(UNINSTALL_STEPS as unknown as [string, ...string[]]);
const marathonSchema = z.object({ appId: z.string(), appVersion: z.string().nullable(), requestedAt: z.string() }).nullable();
export const tombstoneSchema = z.object({
  kind: z.literal('pxfw-tombstone'),
  version: z.literal(1),
  service: z.string(),
  frameworkId: z.string().nullable(),
  uninstall: z.object({
    deleteVolumes: z.boolean(),
    deleteSnapshots: z.boolean(),
    done: z.array(stepSchema),
    uninstalledAt: z.string().nullable().optional(),
    app: z.string().nullable().optional(),
  }),
  /** The Marathon app whose removal was asked for, and by which app version (see removeOwnApp). */
  marathon: marathonSchema,
  note: z.string(),
});
export type TombstoneRecord = z.infer<typeof tombstoneSchema>;
export type MarathonRemoval = z.infer<typeof marathonSchema>;

export function tombstoneRecord(ctx: FrameworkContext, marathon: MarathonRemoval): TombstoneRecord | null {
  if (ctx.uninstall === null) return null;
  return {
    kind: 'pxfw-tombstone',
    version: 1,
    service: ctx.service,
    frameworkId: ctx.frameworkId,
    uninstall: ctx.uninstall,
    marathon,
    note: `${ctx.service} was uninstalled; its scheduler deploys nothing until \`pxfw ${ctx.service} reinstall --yes\``,
  };
}

/** The Marathon app removal recorded in the tombstone (see removeOwnApp): owned here, read when the tombstone is written. */
export class MarathonRemovalRecord {
  private value: MarathonRemoval = null;

  get(): MarathonRemoval {
    return this.value;
  }

  set(value: MarathonRemoval): void {
    this.value = value;
  }
}

/** What the uninstall's last steps and the reinstall need. */
export interface TombstoneDeps {
  kv: StateStore;
  writes: StateWrites;
  supervisor: Pick<SupervisorView, 'context'>;
  removal: MarathonRemovalRecord;
  pods: { clear(): void };
  spec: () => ServiceSpec;
  logger: Logger;
  /** Removes the scheduler's own Marathon app at the end of an uninstall (`--marathon`). */
  marathon: { settings: MarathonSettings; client: Pick<MarathonClient, 'removeApp'> } | undefined;
  /** Before a reinstall: forget the torn-down framework's Mesos client and pods, refresh the cluster view. */
  resetForReinstall: () => Promise<void>;
}

export async function readTombstone(store: Pick<StateStore, 'get'>): Promise<TombstoneRecord | undefined> {
  const rec = await store.get<unknown>(TOMBSTONE_KEY);
  if (!rec) return undefined;
  const parsed = tombstoneSchema.safeParse(rec.value);
  if (!parsed.success) throw new StateCorruptError(`state key '${TOMBSTONE_KEY}' is not a pxfw tombstone: ${parsed.error.message}`);
  return parsed.data;
}

export function tombstoneState(t: TombstoneRecord): TombstoneState {
  return { frameworkId: t.frameworkId, uninstall: { ...t.uninstall, done: t.uninstall.done as TombstoneState['uninstall']['done'] } };
}

/**
 * Which key the supervisor's state goes to: the framework record while installed, the tombstone
 * once the state is deleted, neither while the deleteState or reinstall effect rewrites them.
 */
export function persistKey(is: (state: FrameworkStateCheck) => boolean, ctx: FrameworkContext): string | null {
  if (is('reinstalling') || is('deletingState')) return null;
  return isTombstoned(ctx) ? TOMBSTONE_KEY : 'framework';
}

/**
 * The delete-state step: write the tombstone first (a crash after it resumes here, from it), then
 * delete every other key. Idempotent; keeps the date of the first attempt.
 */
export async function deleteStateButTombstone(deps: TombstoneDeps): Promise<DeleteStateOutput> {
  await deps.writes.flushPods();
  await deps.writes.flushFramework();
  const previous = await readTombstone(deps.kv);
  const uninstalledAt = previous?.uninstall.uninstalledAt ?? new Date().toISOString();
  const ctx = deps.supervisor.context();
  const record = tombstoneRecord({ ...ctx, uninstall: ctx.uninstall ? { ...ctx.uninstall, uninstalledAt } : null }, deps.removal.get());
  if (record === null) throw new StateCorruptError('delete-state ran without an uninstall in progress');
  await deps.writes.writeFrameworkNow(TOMBSTONE_KEY, record);
  // Straight to the store, not through the write queues (nothing is queued for these keys any
  // more: both were flushed, pods are stopped, persistKey() pauses the supervisor's writes): a
  // delete that fails fails the step, which then retries with backoff.
  for (const key of await deps.kv.keys()) if (!KEPT.has(key)) await deps.kv.delete(key);
  deps.pods.clear();
  deps.logger.info({ uninstalledAt }, 'service state deleted; the tombstone is kept');
  return { uninstalledAt };
}

/**
 * The remove-app step. The app id and version this process runs as are recorded in the tombstone
 * before the DELETE: should the DELETE succeed and Marathon kill us before the step is recorded,
 * a scheduler of a later `dcos package install` (another app id or version) finds that record and
 * does not remove its own, new app; a restart of the same app and version repeats the DELETE.
 */
export async function removeOwnApp(deps: TombstoneDeps): Promise<RemoveAppOutput> {
  const m = deps.marathon;
  if (!m) return { message: 'no Marathon app removed (pxfw run was given no --marathon)' };
  const appId = m.settings.appId;
  if (!appId) return { message: 'no Marathon app removed (MARATHON_APP_ID is not set: not run by Marathon)' };
  const prev = deps.removal.get();
  if (prev && (prev.appId !== appId || prev.appVersion !== m.settings.appVersion)) {
    return {
      message: `Marathon app ${prev.appId} was removed by an earlier run (app version ${prev.appVersion ?? '?'}); this app (${appId}, version ${m.settings.appVersion ?? '?'}) was installed after the uninstall and is kept`,
    };
  }
  const removal = { appId, appVersion: m.settings.appVersion, requestedAt: new Date().toISOString() };
  deps.removal.set(removal);
  const record = tombstoneRecord(deps.supervisor.context(), removal);
  if (record) await deps.writes.writeFrameworkNow(TOMBSTONE_KEY, record);
  deps.logger.info({ appId, marathon: m.settings.url }, "removing the scheduler's own Marathon app");
  const result = await m.client.removeApp(appId);
  return {
    message:
      result.outcome === 'removed'
        ? `removed Marathon app ${appId}${result.deploymentId ? ` (deployment ${result.deploymentId})` : ''}`
        : `Marathon app ${appId} was already gone`,
  };
}

/** The reinstall effect: forget the old framework, delete the tombstone, deploy the current spec. */
export async function clearTombstone(deps: TombstoneDeps): Promise<ReinstallOutput> {
  await deps.writes.flushFramework();
  await deps.resetForReinstall();
  // The tombstone last: a crash before it leaves the service uninstalled, a crash after it deploys.
  await deps.kv.delete('framework');
  await deps.kv.delete(TOMBSTONE_KEY);
  deps.removal.set(null);
  deps.logger.info('tombstone removed: deploying the service again');
  const podInstances = Object.values(deps.spec().pods).flatMap((p) => Array.from({ length: p.count }, (_, index) => ({ podType: p.type, index })));
  return { podInstances };
}
