import { describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import pino from 'pino';
import { ConfigUpdateRunner } from '../../src/controller/config-update-runner';
import { UPDATE_PLAN_KEY, type UpdatePlanRecord } from '../../src/controller/config-update-plan';
import type { WorkflowPodView } from '../../src/workflows/pod-view';
import { WORKFLOW_TAGS } from '../../machines/workflow.types';
import { parseSpec } from '../../src/service-spec';
import { StateConflictError } from '../../src/state/errors';

const TARGET = 'cfg-new';

class Kv {
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

/** Six pods in three racks; RESTART relaunches with the target config, ready a few ms later unless told not to be. */
class RackedPods {
  readonly pods: (WorkflowPodView & { rack: string })[];
  readonly restarts: string[] = [];
  /** The largest number of pods unready at once, checked at every pod transition. */
  maxUnready = 0;
  readonly neverReady = new Set<string>();
  private listeners = new Set<() => void>();
  constructor() {
    this.pods = Array.from({ length: 6 }, (_, i) => ({
      name: `node-${i}`,
      podType: 'node',
      rack: `rack-${i % 3}`,
      state: 'running.up',
      ready: true,
      taskId: `t${i}-1`,
      hostname: `h${i}`,
      blocked: false,
      stopped: false,
      configId: 'cfg-old',
      volumes: [],
    }));
  }
  restart = (name: string) => {
    const p = this.pods.find((x) => x.name === name)!;
    this.restarts.push(name);
    this.transition(p, { state: 'relaunching.killing', ready: false });
    setTimeout(() => {
      const attempt = Number(p.taskId!.split('-')[1]) + 1;
      const up = !this.neverReady.has(name);
      this.transition(p, { state: up ? 'running.up' : 'running.unready', ready: up, configId: TARGET, taskId: `${p.taskId!.split('-')[0]}-${attempt}` });
    }, 3);
  };
  /** Readiness passes at last (the operator fixed it). */
  heal(name: string) {
    this.neverReady.delete(name);
    this.transition(this.pods.find((x) => x.name === name)!, { state: 'running.up', ready: true });
  }
  onChange = (l: () => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  private transition(p: WorkflowPodView, patch: Partial<WorkflowPodView>) {
    Object.assign(p, patch);
    this.maxUnready = Math.max(this.maxUnready, this.pods.filter((x) => !x.ready).length);
    for (const l of this.listeners) l();
  }
}

function runner(kv: Kv, pods: RackedPods) {
  return new ConfigUpdateRunner({
    px: { inspectVolume: async () => ({ volume: {}, name: '', labels: {} }), findVolumeByName: async () => undefined, updateVolume: async () => undefined },
    store: kv,
    pods: () => pods.pods.map((p) => ({ ...p })),
    restart: pods.restart,
    onPodChange: pods.onChange,
    invalidateLocations: () => undefined,
    maxUnavailable: () => 1,
    ready: () => true,
    logger: pino({ level: 'silent' }),
    // 600 s readiness timeout -> 60 ms; polls every 0.5 ms.
    timeScale: 10_000,
    spec: () => parseSpec('name: s\npods:\n  node:\n    count: 6\n    cpus: 1\n    mem: 64\n    command: x\n'),
    planningView: () => ({ agents: [], storage: {} }),
    hostOfNode: () => undefined,
    nodeIdOfHost: () => undefined,
    siblingReplicaHosts: () => new Set(),
  });
}

function plan(): UpdatePlanRecord {
  const steps = Array.from({ length: 6 }, (_, i) => ({ name: `node-${i}`, effect: 'restartPod' as const, status: 'PENDING' as const, params: { kind: 'restart', pod: `node-${i}`, podType: 'node' } }));
  return { name: 'update', id: TARGET, params: { configId: TARGET, fromConfigId: 'cfg-old' }, paused: false, error: null, phases: [{ name: 'restart', strategy: 'serial', steps }] };
}

const stored = (kv: Kv) => kv.data.get(UPDATE_PLAN_KEY)!.value as UpdatePlanRecord;

describe('update of 6 pods in 3 racks (max_unavailable 1)', () => {
  it('never has more than one pod unready, stops when one pod never gets ready, and resumes after plan resume', async () => {
    const kv = new Kv();
    const pods = new RackedPods();
    pods.neverReady.add('node-3');
    const r = runner(kv, pods);
    await r.start(plan());
    const stoppedAt = await waitFor(r.actor!, (s) => s.hasTag(WORKFLOW_TAGS.error), { timeout: 5000 });
    expect(stoppedAt.context.plan.error).toMatch(/^stopped at step node-3: node-3 not ready 600 s after its restart \(state running\.unready\)$/);
    expect(stored(kv).phases[0]!.steps.map((s) => s.status)).toEqual(['COMPLETE', 'COMPLETE', 'COMPLETE', 'ERROR', 'PENDING', 'PENDING']);
    // Stopped at the first failed step: nothing after it restarted, no "move on anyway".
    await new Promise((res) => setTimeout(res, 100));
    expect(pods.restarts).toEqual(['node-0', 'node-1', 'node-2', 'node-3']);

    pods.heal('node-3');
    r.retry(); // plan resume update
    await waitFor(r.actor!, (s) => s.hasTag(WORKFLOW_TAGS.complete), { timeout: 5000 });
    // node-3 is on the target and ready now: its step completes without a second restart.
    expect(pods.restarts).toEqual(['node-0', 'node-1', 'node-2', 'node-3', 'node-4', 'node-5']);
    expect(pods.maxUnready).toBe(1);
    expect(pods.pods.every((p) => p.configId === TARGET && p.ready)).toBe(true);
  });

  it('a pod of another rack already unready holds the next restart (counted across failure domains)', async () => {
    const kv = new Kv();
    const pods = new RackedPods();
    Object.assign(pods.pods[5]!, { state: 'running.unready', ready: false });
    const r = runner(kv, pods);
    await r.start(plan());
    await waitFor(r.actor!, (s) => s.context.plan.phases[0]!.steps[0]!.status === 'WAITING', { timeout: 5000 });
    expect(stored(kv).phases[0]!.steps[0]!.message).toBe('waiting: node-5 (running.unready) down, failure_policy.max_unavailable is 1');
    expect(pods.restarts).toEqual([]);
    pods.heal('node-5');
    await waitFor(r.actor!, (s) => s.hasTag(WORKFLOW_TAGS.complete), { timeout: 5000 });
    expect(pods.maxUnready).toBe(1);
  });
});
