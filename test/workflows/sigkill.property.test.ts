import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import pino from 'pino';
import { ConfigUpdateRunner } from '../../src/controller/config-update-runner';
import { UPDATE_PLAN_KEY, type UpdatePlanRecord } from '../../src/controller/config-update-plan';
import { RestoreWorkflow, buildRestorePlan } from '../../src/workflows/restore-workflow';
import type { WorkflowPodView } from '../../src/workflows/pod-view';
import { planComplete, type WorkflowPlan } from '../../machines/workflow.types';
import { parseSpec } from '../../src/service-spec';

/**
 * SIGKILL of the scheduler at random points of a plan: the actor and everything in memory are
 * dropped at the N-th effect boundary (a KV write or a call into the cluster), only what the fake
 * KV holds survives, and a new incarnation resumes from it. Every run reaches the same end state,
 * and what must happen once happens once.
 */

const logger = pino({ level: 'silent' });
const TARGET = 'cfg-new';
const tick = (ms = 1) => new Promise((r) => setTimeout(r, ms));

/** The cluster and the KV: they survive a kill. `gen` is the live incarnation; older ones are dead. */
class World {
  gen = 0;
  events = 0;
  killAt: number[] = [];
  readonly kv = new Map<string, { value: unknown; revision: number }>();
  readonly log: string[] = [];
  private listeners = new Set<() => void>();
  pods: WorkflowPodView[] = [];
  readonly volumes = new Map<string, { content: string; attached: boolean; labels: Record<string, string>; restores: number; restoredAfterLabel: number }>();
  onKill: () => void = () => undefined;

  /** A dead incarnation can do nothing more. */
  alive(gen: number): void {
    if (gen !== this.gen) throw new Error('dead scheduler');
  }

  /** After an act (a KV write, a call into the cluster): the scheduler may die right here. */
  boundary(gen: number, what: string): void {
    this.alive(gen);
    this.log.push(what);
    this.events += 1;
    if (!this.killAt.includes(this.events)) return;
    this.gen += 1; // SIGKILL: from now on the old incarnation can neither act nor write
    queueMicrotask(() => this.onKill());
  }

  store(gen: number) {
    return {
      get: async <T>(key: string) => this.kv.get(key) as { value: T; revision: number } | undefined,
      put: async <T>(key: string, value: T, expected: number) => {
        this.alive(gen);
        const cur = this.kv.get(key)?.revision ?? 0;
        if (cur !== expected) throw Object.assign(new Error('conflict'), { code: 'STATE_CONFLICT' });
        this.kv.set(key, { value: structuredClone(value), revision: cur + 1 });
        this.boundary(gen, `kv ${key}`);
        return cur + 1;
      },
    };
  }

  podsPort() {
    return { pods: () => this.pods.map((p) => ({ ...p })), onPodChange: (l: () => void) => (this.listeners.add(l), () => this.listeners.delete(l)) };
  }

  change(name: string, patch: Partial<WorkflowPodView>): void {
    Object.assign(this.pods.find((p) => p.name === name)!, patch);
    for (const l of [...this.listeners]) l();
  }
}

function pods(n: number, configId: string, state = 'running.up'): WorkflowPodView[] {
  return Array.from({ length: n }, (_, i) => ({ name: `node-${i}`, podType: 'node', state, ready: state === 'running.up', taskId: `t${i}-1`, hostname: `h${i}`, blocked: false, stopped: state === 'stopped', configId, volumes: [{ name: `v${i}`, id: `v${i}` }] }));
}

/** Run incarnations until the plan is complete; each kill drops the current one and starts the next from KV. */
async function untilComplete(world: World, key: string, start: (gen: number) => { stop(): void }): Promise<number> {
  let incarnations = 0;
  for (;;) {
    const gen = world.gen;
    incarnations += 1;
    const current = start(gen);
    let killed = false;
    world.onKill = () => {
      killed = true;
      current.stop();
    };
    const end = Date.now() + 5000;
    while (!killed) {
      const stored = world.kv.get(key)?.value as WorkflowPlan | undefined;
      if (stored && planComplete(stored)) return incarnations;
      if (Date.now() > end) throw new Error(`stuck: ${JSON.stringify(stored)}; pods ${JSON.stringify(world.pods)}; log ${world.log.join(' | ')}`);
      await tick(1);
    }
  }
}

function updateIncarnation(world: World, plan: UpdatePlanRecord | undefined) {
  return (gen: number) => {
    const r = new ConfigUpdateRunner({
      ...world.podsPort(),
      px: { inspectVolume: async () => ({ volume: {}, name: '', labels: {} }), findVolumeByName: async () => undefined, updateVolume: async () => undefined },
      store: world.store(gen),
      restart: (name) => {
        world.alive(gen);
        const p = world.pods.find((x) => x.name === name)!;
        world.change(name, { state: 'relaunching.killing', ready: false });
        setTimeout(() => world.change(name, { state: 'running.up', ready: true, configId: TARGET, taskId: `${p.taskId}+` }), 2);
        world.boundary(gen, `restart ${name}`);
      },
      invalidateLocations: () => undefined,
      maxUnavailable: () => 1,
      ready: () => gen === world.gen,
      logger,
      timeScale: 500,
      spec: () => parseSpec('name: s\npods:\n  node:\n    count: 4\n    cpus: 1\n    mem: 64\n    command: x\n'),
      planningView: () => ({ agents: [], storage: {} }),
      hostOfNode: () => undefined,
      nodeIdOfHost: () => undefined,
      siblingReplicaHosts: () => new Set(),
    });
    if (gen === 0 && plan) void r.start(plan);
    else void r.load().then(() => gen === world.gen && r.resume());
    return r;
  };
}

function restoreIncarnation(world: World, snapName: string) {
  return (gen: number) => {
    const w = new RestoreWorkflow({
      ...world.podsPort(),
      store: world.store(gen),
      logger,
      timeScale: 500,
      ready: () => gen === world.gen,
      stop: (name) => {
        world.alive(gen);
        world.change(name, { state: 'stopping', ready: false, stopped: false });
        setTimeout(() => {
          world.volumes.get(`v${name.split('-')[1]}`)!.attached = false;
          world.change(name, { state: 'stopped', stopped: true });
        }, 2);
        world.boundary(gen, `stop ${name}`);
      },
      start: (name) => {
        world.alive(gen);
        world.change(name, { state: 'starting', stopped: false });
        setTimeout(() => {
          world.volumes.get(`v${name.split('-')[1]}`)!.attached = true;
          world.change(name, { state: 'running.up', ready: true });
        }, 2);
        world.boundary(gen, `start ${name}`);
      },
      px: {
        inspectVolume: async (id) => ({ name: id, labels: { ...world.volumes.get(id)!.labels }, volume: { id } }),
        restoreSnapshot: async (id, snap) => {
          world.alive(gen);
          const v = world.volumes.get(id)!;
          if (v.attached) throw new Error('Volume is attached');
          if (v.labels['pxfw/restored-by']) v.restoredAfterLabel += 1;
          v.restores += 1;
          v.content = snap;
          world.boundary(gen, `restore ${id}`);
        },
        updateVolume: async (id, u) => {
          world.alive(gen);
          world.volumes.get(id)!.labels = { ...u.labels };
          world.boundary(gen, `label ${id}`);
        },
      },
    });
    if (gen === 0) {
      const snap = { id: 'g1', name: snapName, createdAt: '', podType: null, volumes: [0, 1, 2].map((i) => ({ volumeId: `v${i}`, volumeName: `v${i}`, snapshotId: `snap-${i}` })) };
      void w.restore(snap, ['node-0', 'node-1', 'node-2']).catch(() => undefined);
    } else void w.resumeStored();
    return w;
  };
}

const killPoints = process.env.KILLS ? fc.constant(JSON.parse(process.env.KILLS) as number[]) : fc.uniqueArray(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 3 });

describe('SIGKILL at random points: the plan resumes from KV to the same end state', () => {
  it('update: every pod ends on the target config, ready, each restarted exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(killPoints, async (kills) => {
        const world = new World();
        world.killAt = kills;
        world.pods = pods(4, 'cfg-old');
        const steps = world.pods.map((p) => ({ name: p.name, effect: 'restartPod' as const, status: 'PENDING' as const, params: { kind: 'restart', pod: p.name, podType: 'node' } }));
        const plan: UpdatePlanRecord = { name: 'update', id: TARGET, params: { configId: TARGET, fromConfigId: 'cfg-old' }, paused: false, error: null, phases: [{ name: 'restart', strategy: 'serial', steps }] };
        await untilComplete(world, UPDATE_PLAN_KEY, updateIncarnation(world, plan));
        world.gen += 1;
        await tick(5);
        expect(world.pods.every((p) => p.configId === TARGET && p.ready)).toBe(true);
        const restarts = world.log.filter((l) => l.startsWith('restart '));
        expect(restarts.sort()).toEqual(['restart node-0', 'restart node-1', 'restart node-2', 'restart node-3']);
      }),
      { numRuns: 50 },
    );
  });

  it('restore: every volume holds its snapshot, pods ready again; no restore after its label, none after a pod started', async () => {
    await fc.assert(
      fc.asyncProperty(killPoints, async (kills) => {
        const world = new World();
        world.killAt = kills;
        world.pods = pods(3, TARGET);
        for (const i of [0, 1, 2]) world.volumes.set(`v${i}`, { content: 'live', attached: true, labels: { 'pxfw/service': 's' }, restores: 0, restoredAfterLabel: 0 });
        await untilComplete(world, 'plans.restore', restoreIncarnation(world, 's1'));
        world.gen += 1;
        await tick(5);
        expect(world.pods.every((p) => p.ready)).toBe(true);
        for (const [id, v] of world.volumes) {
          expect(v.content, id).toBe(`snap-${id.slice(1)}`);
          expect(v.restores, id).toBeGreaterThanOrEqual(1);
          expect(v.restoredAfterLabel, id).toBe(0);
        }
        const firstStart = world.log.findIndex((l) => l.startsWith('start '));
        expect(world.log.slice(firstStart).filter((l) => l.startsWith('restore '))).toEqual([]);
        // A volume is restored again only when a kill fell between its last restore and its label.
        for (const id of world.volumes.keys()) {
          const at = world.log.flatMap((l, i) => (l === `restore ${id}` ? [i + 1] : [])); // 1-based event numbers
          for (let j = 1; j < at.length; j++) {
            const [from, to] = [at[j - 1]!, at[j]!];
            expect(world.log.slice(from, to - 1), id).not.toContain(`label ${id}`);
            expect(kills.some((k) => k >= from && k < to), id).toBe(true);
          }
        }
      }),
      { numRuns: 50 },
    );
  });
});

// The restore plan builder is what the property resumes: one phase per stage, in order.
describe('restore plan', () => {
  it('stop pods, then restore volumes serially, then start pods', () => {
    const plan = buildRestorePlan({ id: 'g', name: 's1', createdAt: '', podType: null, volumes: [{ volumeId: 'a', volumeName: 'va', snapshotId: 'sa' }] }, ['node-0'], new Date(0));
    expect(plan.phases.map((p) => [p.name, p.strategy, p.steps.map((s) => s.name)])).toEqual([
      ['stop-pods', 'parallel', ['stop-node-0']],
      ['restore-volumes', 'serial', ['restore-va']],
      ['start-pods', 'parallel', ['start-node-0']],
    ]);
  });
});
