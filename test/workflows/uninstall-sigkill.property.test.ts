import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import pino from 'pino';
import { createActor, setup, type AnyActorRef } from 'xstate';
import { UNINSTALL_STEPS, type FrameworkContext, type UninstallPlanInput, type UninstallPlanUpdate, type UninstallProgress } from '../../machines/framework.types';
import { uninstallPlanActor } from '../../src/workflows/uninstall-plan-actor';
import type { UninstallFlags } from '../../src/workflows/uninstall-workflow';
import {
  deleteStateButTombstone,
  MarathonRemovalRecord,
  readTombstone,
  removeOwnApp,
  TOMBSTONE_KEY,
  tombstoneRecord,
  tombstoneState,
  type TombstoneDeps,
} from '../../src/controller/tombstone';

/**
 * SIGKILL of the scheduler at random points of an uninstall: everything in memory is dropped at
 * the N-th effect boundary (a KV write or delete, a call into the cluster), only the KV and the
 * cluster survive, and a new incarnation restores the supervisor's record (framework key, or the
 * tombstone), starts the uninstall plan again and resumes it. The real plan actor, the real
 * delete-state (tombstone first) and remove-app effects run against fakes.
 *
 * Every run ends the same: no task, no attachment, volumes and snapshots deleted as asked, the
 * framework torn down, the Marathon app gone, and the bucket holding only meta.owner, lease and
 * the tombstone with every step done. Once-only: every task killed once, every volume and snapshot
 * deleted once, TEARDOWN sent once. The one exception, which the system accepts because a repeat is
 * harmless: the Marathon DELETE of the scheduler's own app is sent again when the scheduler was
 * killed after sending it and before the tombstone recorded the step (Marathon answers 404, "already
 * gone"); it is never sent again once recorded.
 */

const logger = pino({ level: 'silent' });
const tick = (ms = 1) => new Promise((r) => setTimeout(r, ms));
const KEPT = ['lease', 'meta.owner', 'tombstone'];
const TASKS = ['t0', 't1', 't2'];
const VOLUMES = ['v0', 'v1', 'v2'];
const SNAPSHOTS = ['s0', 's1'];
/** Which step each cluster act belongs to. */
const ACT_STEP: [string, string][] = [
  ['kill ', 'kill-tasks'],
  ['detach ', 'detach-volumes'],
  ['delete snapshot', 'dispose-volumes'],
  ['delete volume', 'dispose-volumes'],
  ['TEARDOWN', 'teardown'],
  ['marathon DELETE', 'remove-app'],
];
/** A run without a kill has fewer effect boundaries than this. */
const MAX_KILL_AT = 45;

class DeadSchedulerError extends Error {
  readonly retryable = true;
}

/** The KV bucket and the cluster: they survive a kill. `gen` is the live incarnation; older ones are dead. */
class World {
  gen = 0;
  events = 0;
  killAt: number[] = [];
  readonly kv = new Map<string, { value: unknown; revision: number }>();
  readonly log: string[] = [];
  readonly tasks = new Map(TASKS.map((t) => [t, { running: true, kills: 0 }]));
  readonly volumes = new Map(VOLUMES.map((v) => [v, { attached: true, exists: true, deletes: 0 }]));
  readonly snapshots = new Map(SNAPSHOTS.map((s) => [s, { exists: true, deletes: 0 }]));
  tornDown = false;
  teardowns = 0;
  appPresent = true;
  onKill: () => void = () => undefined;

  alive(gen: number): void {
    if (gen !== this.gen) throw new DeadSchedulerError('dead scheduler');
  }

  /** Acts of a step after the step was stored done (in the plan, the record or the tombstone). */
  readonly lateActs: string[] = [];

  boundary(gen: number, what: string): void {
    this.alive(gen);
    const step = ACT_STEP.find(([prefix]) => what.startsWith(prefix))?.[1];
    if (step && this.storedDone(step)) this.lateActs.push(what);
    this.log.push(what);
    this.events += 1;
    if (!this.killAt.includes(this.events)) return;
    this.gen += 1;
    this.log.push('SIGKILL');
    queueMicrotask(() => this.onKill());
  }

  private storedDone(step: string): boolean {
    const plan = this.kv.get('plans.uninstall')?.value as { phases: { steps: { name: string; status: string }[] }[] } | undefined;
    const record = (this.kv.get(TOMBSTONE_KEY) ?? this.kv.get('framework'))?.value as { uninstall: { done: string[] } } | undefined;
    return !!plan?.phases.some((p) => p.steps.some((x) => x.name === step && x.status === 'COMPLETE')) || !!record?.uninstall.done.includes(step);
  }

  store(gen: number) {
    return {
      get: async <T>(key: string) => this.kv.get(key) as { value: T; revision: number } | undefined,
      put: async <T>(key: string, value: T, expected: number) => {
        this.alive(gen);
        const cur = this.kv.get(key)?.revision ?? 0;
        if (cur !== expected) throw Object.assign(new Error('conflict'), { code: 'STATE_CONFLICT', retryable: true });
        this.kv.set(key, { value: structuredClone(value), revision: cur + 1 });
        this.boundary(gen, `kv put ${key}`);
        return cur + 1;
      },
      /** A write of the supervisor's own keys (its persist queue: latest wins). */
      write: async (key: string, value: unknown) => {
        this.alive(gen);
        this.kv.set(key, { value: structuredClone(value), revision: (this.kv.get(key)?.revision ?? 0) + 1 });
        this.boundary(gen, `kv write ${key}`);
      },
      keys: async () => [...this.kv.keys()].sort(),
      delete: async (key: string) => {
        this.alive(gen);
        this.kv.delete(key);
        this.boundary(gen, `kv delete ${key}`);
      },
    };
  }
}

/** The cluster acts of the uninstall steps, idempotent as the real ones: each acts only on what is left. */
function acts(world: World, gen: number, tomb: TombstoneDeps) {
  const act = (what: string) => world.boundary(gen, what);
  return {
    killTasks: async () => {
      for (const [id, t] of world.tasks) {
        world.alive(gen);
        if (!t.running) continue;
        t.running = false;
        t.kills += 1;
        act(`kill ${id}`);
      }
    },
    detachVolumes: async () => {
      for (const [id, v] of world.volumes) {
        world.alive(gen);
        if (!v.exists || !v.attached) continue;
        v.attached = false;
        act(`detach ${id}`);
      }
    },
    disposeVolumes: async (flags: UninstallFlags) => {
      for (const [id, s] of world.snapshots) {
        world.alive(gen);
        if (!flags.deleteSnapshots || !s.exists) continue;
        s.exists = false;
        s.deletes += 1;
        act(`delete snapshot ${id}`);
      }
      for (const [id, v] of world.volumes) {
        world.alive(gen);
        if (!flags.deleteVolumes || !v.exists) continue;
        v.exists = false;
        v.deletes += 1;
        act(`delete volume ${id}`);
      }
    },
    teardown: async () => {
      world.alive(gen);
      world.tornDown = true;
      world.teardowns += 1;
      act('TEARDOWN');
    },
    deleteState: () => deleteStateButTombstone(tomb),
    removeApp: () => removeOwnApp(tomb),
  };
}

/** One scheduler process: the supervisor's record and mirror, and the uninstall plan it runs. */
async function incarnation(world: World, gen: number, onDone: () => void): Promise<{ stop(): void }> {
  const store = world.store(gen);
  const removal = new MarathonRemovalRecord();
  const tombstone = await readTombstone(store);
  removal.set(tombstone?.marathon ?? null);
  const saved = tombstone ? tombstoneState(tombstone).uninstall : (world.kv.get('framework')!.value as { uninstall: UninstallProgress }).uninstall;
  const ctx = { service: 'svc', frameworkId: 'fw-1', uninstall: structuredClone(saved) } as FrameworkContext;
  const u = () => ctx.uninstall!;
  // Subscribing again, the master says a torn-down framework was removed: the supervisor marks it (markTornDown).
  if (world.tornDown) u().done = [...new Set([...u().done, 'kill-tasks', 'detach-volumes', 'dispose-volumes', 'teardown'] as const)];
  if (UNINSTALL_STEPS.every((s) => u().done.includes(s))) {
    onDone();
    return { stop: () => undefined };
  }
  const tomb = {
    kv: store,
    writes: { flushPods: async () => undefined, flushFramework: async () => undefined, writeFrameworkNow: (key: string, value: unknown) => store.write(key, value) },
    supervisor: { context: () => ctx },
    removal,
    pods: { clear: () => undefined },
    logger,
    marathon: {
      settings: { url: 'http://marathon', appId: '/svc', appVersion: 'v1' },
      client: {
        removeApp: async () => {
          world.alive(gen);
          const was = world.appPresent;
          world.appPresent = false;
          world.boundary(gen, 'marathon DELETE');
          return was ? { outcome: 'removed' as const } : { outcome: 'absent' as const };
        },
      },
    },
  } as unknown as TombstoneDeps;
  // The supervisor persists its record after each mirrored step: the framework key, the tombstone
  // once delete-state is done, nothing while the state is being deleted.
  const mirror = (e: UninstallPlanUpdate) => {
    const prev = u().done;
    ctx.uninstall = { ...u(), done: UNINSTALL_STEPS.filter((s) => prev.includes(s) || e.done.includes(s)), ...(e.uninstalledAt ? { uninstalledAt: e.uninstalledAt } : {}), ...(e.app ? { app: e.app } : {}) };
    const deleting = u().done.includes('teardown') && !u().done.includes('delete-state');
    const write = u().done.includes('delete-state') ? store.write(TOMBSTONE_KEY, tombstoneRecord(ctx, removal.get())) : deleting ? Promise.resolve() : store.write('framework', { uninstall: u() });
    void write.then(
      () => e.complete && onDone(),
      () => undefined,
    );
    if (e.error) throw new Error(`the plan stopped: ${e.error.message}`);
  };
  const input: UninstallPlanInput = { service: 'svc', frameworkId: 'fw-1', deleteVolumes: u().deleteVolumes, deleteSnapshots: u().deleteSnapshots, done: [...u().done], retry: { initialMs: 1, maxMs: 4 } };
  const plan = uninstallPlanActor({
    kv: store,
    tombstone: async () => {
      const t = await readTombstone(store);
      return t ? tombstoneState(t) : undefined;
    },
    acts: acts(world, gen, tomb),
    flags: () => ({ deleteVolumes: u().deleteVolumes, deleteSnapshots: u().deleteSnapshots }),
    logger,
    storeRetryMs: 1,
  });
  const parent = setup({ actors: { plan } }).createMachine({
    invoke: { src: 'plan', input },
    on: { UNINSTALL_PLAN: { actions: ({ event }) => mirror(event as unknown as UninstallPlanUpdate) } },
  });
  const actor: AnyActorRef = createActor(parent);
  actor.start();
  return { stop: () => actor.stop() };
}

function seed(world: World, flags: UninstallFlags): void {
  for (const [k, v] of [['meta.owner', { owner: 'svc' }], ['lease', { holder: 'me' }], ['pods.node.0', {}], ['pods.node.1', {}], ['plans.update', {}]] as const) world.kv.set(k, { value: v, revision: 1 });
  // The supervisor stored the request (beginUninstall) before the plan started.
  world.kv.set('framework', { value: { uninstall: { ...flags, done: [] } }, revision: 1 });
}

/** Incarnations until the uninstall is done; each kill drops the current one and starts the next from KV. */
async function untilUninstalled(world: World): Promise<number> {
  let incarnations = 0;
  for (;;) {
    const gen = world.gen;
    incarnations += 1;
    let done = false;
    let killed = false;
    const current = await incarnation(world, gen, () => (done = true));
    world.onKill = () => {
      killed = true;
      current.stop();
    };
    const end = Date.now() + 5000;
    while (!killed) {
      if (done && gen === world.gen) {
        current.stop();
        return incarnations;
      }
      if (Date.now() > end) throw new Error(`stuck; log ${world.log.join(' | ')}`);
      await tick(1);
    }
  }
}

function expectSameEnd(world: World, flags: UninstallFlags): void {
  expect([...world.tasks.values()].every((t) => !t.running && t.kills === 1)).toBe(true);
  expect([...world.volumes.values()].every((v) => !v.attached && v.deletes === (flags.deleteVolumes ? 1 : 0) && v.exists === !flags.deleteVolumes)).toBe(true);
  expect([...world.snapshots.values()].every((s) => s.deletes === (flags.deleteSnapshots ? 1 : 0) && s.exists === !flags.deleteSnapshots)).toBe(true);
  expect(world.teardowns).toBe(1);
  // No step acts again once it is stored done.
  expect(world.lateActs).toEqual([]);
  expect(world.appPresent).toBe(false);
  expect([...world.kv.keys()].sort()).toEqual(KEPT);
  const t = world.kv.get(TOMBSTONE_KEY)!.value as { uninstall: { done: string[]; deleteVolumes: boolean }; marathon: { appId: string } | null };
  expect(t.uninstall.done).toEqual([...UNINSTALL_STEPS]);
  expect(t.uninstall.deleteVolumes).toBe(flags.deleteVolumes);
  expect(t.marathon?.appId).toBe('/svc');
  // The Marathon DELETE repeats only after a kill that came after the previous DELETE, before the
  // tombstone recorded remove-app; none after that record.
  const deletes = world.log.flatMap((e, i) => (e === 'marathon DELETE' ? [i] : []));
  expect(deletes.length).toBeGreaterThanOrEqual(1);
  for (let k = 1; k < deletes.length; k += 1) expect(world.log.slice(deletes[k - 1], deletes[k])).toContain('SIGKILL');
}

describe('SIGKILL during an uninstall (fast-check)', () => {
  it('without a kill: the plan runs the six steps once each and ends uninstalled', async () => {
    const world = new World();
    seed(world, { deleteVolumes: true, deleteSnapshots: true });
    expect(await untilUninstalled(world)).toBe(1);
    expectSameEnd(world, { deleteVolumes: true, deleteSnapshots: true });
    expect(world.log.filter((e) => e === 'marathon DELETE')).toHaveLength(1);
    // The boundaries a kill may hit: the property's kill points cover them all.
    expect(world.events).toBeLessThanOrEqual(MAX_KILL_AT);
  });

  it('killed at random effect boundaries, it always resumes to the same end; once-only acts happen once', async () => {
    const stats: number[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: MAX_KILL_AT }), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        fc.boolean(),
        async (killAt, deleteVolumes, deleteSnapshots) => {
          const world = new World();
          world.killAt = killAt;
          const flags = { deleteVolumes, deleteSnapshots };
          seed(world, flags);
          const n = await untilUninstalled(world);
          expectSameEnd(world, flags);
          stats.push(n);
        },
      ),
      { numRuns: 60 },
    );
    // The kills hit every part of the run: some runs needed up to four incarnations.
    expect(Math.max(...stats)).toBeGreaterThanOrEqual(3);
  }, 60_000);
});
