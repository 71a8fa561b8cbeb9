import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { ConfigUpdateRunner, type ConfigUpdateDeps, type UpdatePodView } from '../../src/controller/config-update-runner';
import { UPDATE_PLAN_KEY, type UpdatePlanRecord, type UpdatePlanRecordV1 } from '../../src/controller/config-update-plan';
import type { WorkflowStep } from '../../machines/workflow.types';
import { StateConflictError } from '../../src/state/errors';
import { parseSpec } from '../../src/service-spec';

/** A KV with compare-and-set, like ServiceStateStore. */
class FakeStore {
  readonly data = new Map<string, { value: unknown; revision: number }>();
  async get<T>(key: string) {
    return this.data.get(key) as { value: T; revision: number } | undefined;
  }
  async put<T>(key: string, value: T, expected: number) {
    const cur = this.data.get(key)?.revision ?? 0;
    if (cur !== expected) throw new StateConflictError(key);
    this.data.set(key, { value: structuredClone(value), revision: cur + 1 });
    return cur + 1;
  }
}

/** Pods that restart: RESTART takes the pod down (not ready), a few ms later it runs a new task, ready. */
class FakePods {
  readonly pods: UpdatePodView[];
  readonly restarts: string[] = [];
  maxDown = 0;
  private listeners = new Set<() => void>();
  constructor(n: number) {
    this.pods = Array.from({ length: n }, (_, i) => ({ name: `node-${i}`, podType: 'node', state: 'running.up', ready: true, taskId: `t${i}-1`, hostname: `h${i}`, blocked: false, stopped: false, configId: null, volumes: [] }));
  }
  restart = (name: string) => {
    const p = this.pods.find((x) => x.name === name)!;
    this.restarts.push(name);
    p.state = 'relaunching.killing';
    p.ready = false;
    this.note();
    setTimeout(() => {
      p.state = 'running.up';
      p.ready = true;
      p.taskId = `${p.taskId!.split('-')[0]}-${Number(p.taskId!.split('-')[1]) + 1}`;
      this.note();
    }, 15);
  };
  onChange = (l: () => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  private note() {
    this.maxDown = Math.max(this.maxDown, this.pods.filter((p) => !p.ready).length);
    for (const l of this.listeners) l();
  }
}

function deps(store: FakeStore, pods: FakePods, maxUnavailable = 1): ConfigUpdateDeps {
  return {
    px: { inspectVolume: async () => ({ volume: {}, name: '', labels: {} }), findVolumeByName: async () => undefined, updateVolume: async () => undefined },
    store,
    pods: () => pods.pods.map((p) => ({ ...p })),
    restart: pods.restart,
    onPodChange: pods.onChange,
    invalidateLocations: () => undefined,
    maxUnavailable: () => maxUnavailable,
    ready: () => true,
    logger: pino({ level: 'silent' }),
    timeScale: 1000,
    spec: () => parseSpec('name: s\npods:\n  node:\n    count: 3\n    cpus: 1\n    mem: 64\n    command: x\n'),
    planningView: () => ({ agents: [], storage: {} }),
    hostOfNode: () => undefined,
    nodeIdOfHost: () => undefined,
    siblingReplicaHosts: () => new Set(),
  };
}

function restartPlan(names: string[], maxInFlight = 1): UpdatePlanRecord {
  const steps: WorkflowStep[] = names.map((n) => ({ name: n, effect: 'restartPod', status: 'PENDING', params: { kind: 'restart', pod: n, podType: 'node' } }));
  return {
    name: 'update',
    id: 'abc',
    params: { configId: 'abc', fromConfigId: 'old' },
    paused: false,
    error: null,
    phases: [maxInFlight > 1 ? { name: 'restart', strategy: 'parallel', maxInFlight, steps } : { name: 'restart', strategy: 'serial', steps }],
  };
}

/** The record a version-1 scheduler stored (a polling loop ran it): read back and migrated. */
function restartPlanV1(names: string[], patch: Record<string, unknown>[] = []): UpdatePlanRecordV1 {
  return {
    version: 1,
    id: 'abc',
    createdAt: new Date(0).toISOString(),
    yaml: 'new',
    fromYaml: 'old',
    paused: false,
    error: null,
    phases: [{ name: 'restart', strategy: 'serial', steps: names.map((n, i) => ({ name: n, kind: 'restart', pod: n, podType: 'node', status: 'PENDING', ...patch[i] })) }],
  };
}

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const stored = (store: FakeStore) => store.data.get(UPDATE_PLAN_KEY)?.value as UpdatePlanRecord | undefined;

describe('update plan runner: rolling restarts', () => {
  it('restarts one pod at a time with max_unavailable 1, each once, and persists every step', async () => {
    const store = new FakeStore();
    const pods = new FakePods(3);
    const runner = new ConfigUpdateRunner(deps(store, pods, 1));
    await runner.start(restartPlan(['node-0', 'node-1', 'node-2']));
    await until('plan complete', () => stored(store)?.phases[0]!.steps.every((s) => s.status === 'COMPLETE') ?? false);
    expect(pods.restarts).toEqual(['node-0', 'node-1', 'node-2']);
    expect(pods.maxDown).toBe(1);
  });

  it('with max_unavailable 2 takes two down together, never three', async () => {
    const store = new FakeStore();
    const pods = new FakePods(3);
    const runner = new ConfigUpdateRunner(deps(store, pods, 2));
    await runner.start(restartPlan(['node-0', 'node-1', 'node-2'], 2));
    await until('plan complete', () => stored(store)?.phases[0]!.steps.every((s) => s.status === 'COMPLETE') ?? false);
    expect(pods.maxDown).toBe(2);
  });

  it('a pod down for another reason counts: the step waits and says why', async () => {
    const store = new FakeStore();
    const pods = new FakePods(3);
    Object.assign(pods.pods[2]!, { state: 'failed.transient', ready: false });
    const runner = new ConfigUpdateRunner(deps(store, pods, 1));
    await runner.start(restartPlan(['node-0', 'node-1']));
    await until('step waiting', () => stored(store)?.phases[0]!.steps[0]!.status === 'WAITING');
    expect(stored(store)!.phases[0]!.steps[0]!.message).toBe('waiting: node-2 (failed.transient) down, failure_policy.max_unavailable is 1');
    expect(pods.restarts).toEqual([]);
    Object.assign(pods.pods[2]!, { state: 'running.up', ready: true });
    await until('plan complete', () => stored(store)?.phases[0]!.steps.every((s) => s.status === 'COMPLETE') ?? false);
    expect(pods.restarts).toEqual(['node-0', 'node-1']);
  });

  it('resumed from KV: a STARTING step whose pod already runs a new task completes without a second restart; one whose RESTART never went out sends it', async () => {
    const store = new FakeStore();
    const pods = new FakePods(2);
    pods.pods[0]!.taskId = 't0-2'; // restarted before the crash
    await store.put(UPDATE_PLAN_KEY, restartPlanV1(['node-0', 'node-1'], [{ status: 'STARTING', taskAtStart: 't0-1', startedAt: Date.now() }, { status: 'STARTING', taskAtStart: 't1-1', startedAt: Date.now() }]), 0);
    const runner = new ConfigUpdateRunner(deps(store, pods, 2));
    await runner.load();
    runner.resume();
    await until('plan complete', () => stored(store)?.phases[0]!.steps.every((s) => s.status === 'COMPLETE') ?? false);
    expect(pods.restarts).toEqual(['node-1']);
  });

  it('a write that conflicts (another instance drives the plan) stops this runner', async () => {
    const store = new FakeStore();
    const pods = new FakePods(3);
    const runner = new ConfigUpdateRunner(deps(store, pods, 1));
    await runner.start({ ...restartPlan(['node-0', 'node-1', 'node-2']), paused: true });
    // Someone else writes the plan.
    const other = store.data.get(UPDATE_PLAN_KEY)!;
    store.data.set(UPDATE_PLAN_KEY, { value: other.value, revision: other.revision + 5 });
    runner.pause(false);
    await new Promise((r) => setTimeout(r, 100));
    expect(pods.restarts).toEqual([]);
    expect(stored(store)!.paused).toBe(true);
  });

  it('pausing while a new replica resyncs interrupts the wait, not the step: it completes after the resume', async () => {
    const store = new FakeStore();
    const pods = new FakePods(1);
    pods.pods[0]!.volumes = [{ name: 's-node-0-data', id: 'v0' }];
    let resyncing = true;
    const updates: unknown[] = [];
    const d = deps(store, pods, 1);
    d.px = {
      inspectVolume: async () => ({
        name: 's-node-0-data',
        labels: {},
        volume: resyncing
          ? { id: 'v0', status: 'VOLUME_STATUS_DEGRADED', spec: { ha_level: '3' }, replica_sets: [{ nodes: ['n0', 'n1', 'n2'] }], runtime_state: [{ runtime_state: { RuntimeState: 'resync' } }] }
          : { id: 'v0', status: 'VOLUME_STATUS_UP', spec: { ha_level: '3' }, replica_sets: [{ nodes: ['n0', 'n1', 'n2'] }], runtime_state: [{ runtime_state: { RuntimeState: 'clean' } }] },
      }),
      findVolumeByName: async () => undefined,
      updateVolume: async (_id, u) => void updates.push(u),
    };
    const runner = new ConfigUpdateRunner(d);
    const plan: UpdatePlanRecord = {
      ...restartPlan([]),
      phases: [{ name: 'volumes', strategy: 'serial', steps: [{ name: 'node-0-data-repl', effect: 'changeReplication', status: 'PENDING', params: { kind: 'replication', pod: 'node-0', podType: 'node', volume: 's-node-0-data', repl: 3 } }] }],
    };
    await runner.start(plan);
    await until('resync shown', () => /^resync of the new replica/.test(stored(store)?.phases[0]!.steps[0]!.message ?? ''));
    runner.pause(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(stored(store)!.phases[0]!.steps[0]!.status).toBe('STARTING');
    expect(stored(store)!.error).toBeNull();
    resyncing = false;
    runner.pause(false);
    await until('step complete', () => stored(store)?.phases[0]!.steps[0]!.status === 'COMPLETE');
    expect(stored(store)!.phases[0]!.steps[0]!.message).toBe('3 replicas in sync');
    expect(updates).toEqual([]); // ha_level was 3 already: nothing sent
  });
});
