import { describe, expect, it } from 'vitest';
import type { SavedFrameworkState } from '../../machines/framework.types';
import { appendDecommissionSteps, buildPlan, emptyDecommissionPlan, markSteps, pausePlan, removeSteps, type StepRef } from '../../machines/plan';
import { FRAMEWORK_POD_PREFIX, FRAMEWORK_RECORD_KEY, FrameworkLayout, type FrameworkPodRecord, type LayoutSink } from '../../src/state/framework-layout';

/** The persist queue as the layout sees it, in memory: what is written, and when each key is durable. */
class MemorySink implements LayoutSink {
  readonly kv = new Map<string, unknown>();
  readonly writes: string[] = [];
  /** While set, flushed() waits for release(). */
  hold = false;
  private waiting: (() => void)[] = [];

  write(key: string, value: unknown): void {
    this.writes.push(key);
    this.kv.set(key, JSON.parse(JSON.stringify(value)));
  }
  async delete(key: string): Promise<void> {
    this.writes.push(`-${key}`);
    this.kv.delete(key);
  }
  flushed(): Promise<void> {
    if (!this.hold) return Promise.resolve();
    return new Promise((r) => this.waiting.push(r));
  }
  release(): void {
    this.hold = false;
    for (const w of this.waiting.splice(0)) w();
  }
  bytes(key: string): number {
    return JSON.stringify(this.kv.get(key)).length;
  }
  podRecords(): [string, FrameworkPodRecord][] {
    return [...this.kv.entries()].filter(([k]) => k.startsWith(FRAMEWORK_POD_PREFIX)) as [string, FrameworkPodRecord][];
  }
  /** What a restarted scheduler reads back. */
  readBack(): SavedFrameworkState | null {
    return new FrameworkLayout(this).read(this.kv.get(FRAMEWORK_RECORD_KEY), this.podRecords());
  }
}

function pods(n: number): StepRef[] {
  return Array.from({ length: n }, (_, i) => ({ podType: i % 2 === 0 ? 'node' : 'seed', index: i }));
}

function savedState(n: number): SavedFrameworkState {
  const refs = pods(n);
  const deploy = buildPlan('deploy', { strategy: 'serial', phases: [{ podType: 'seed', name: 'seeds' }, { podType: 'node', name: 'nodes', strategy: 'parallel' }] }, refs);
  return { frameworkId: 'fw-1', pods: refs, deploy, decommission: emptyDecommissionPlan(), uninstall: null, lastSnapshot: null };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

describe('framework record layout 2: a head of fixed size and one record per pod', () => {
  it('writes a framework record of the same size at 10 and at 10,000 pods', () => {
    const small = new MemorySink();
    new FrameworkLayout(small).save(savedState(10));
    const large = new MemorySink();
    new FrameworkLayout(large).save(savedState(10_000));
    expect(large.bytes(FRAMEWORK_RECORD_KEY)).toBe(small.bytes(FRAMEWORK_RECORD_KEY));
    expect(large.podRecords()).toHaveLength(10_000);
    // Far under NATS' 1 MiB max_payload, which layout 1 passed at 10,000 pods.
    expect(large.bytes(FRAMEWORK_RECORD_KEY)).toBeLessThan(2_000);
  });

  it('reads back what it saved: pods, every step with its status, the order of a decommission', () => {
    const sink = new MemorySink();
    const layout = new FrameworkLayout(sink);
    let s = savedState(8);
    s = { ...s, deploy: markSteps(s.deploy, [{ podType: 'seed', index: 1 }], 'COMPLETE') };
    layout.save(s);
    // Scale down twice: each batch highest index first, the second batch after the first.
    s = { ...s, deploy: removeSteps(s.deploy, [{ podType: 'node', index: 6 }]), decommission: appendDecommissionSteps(s.decommission, [{ podType: 'node', index: 6 }]) };
    layout.save(s);
    s = { ...s, deploy: removeSteps(s.deploy, [{ podType: 'node', index: 4 }, { podType: 'node', index: 2 }]), decommission: appendDecommissionSteps(s.decommission, [{ podType: 'node', index: 2 }, { podType: 'node', index: 4 }]) };
    layout.save(s);
    expect(sink.readBack()).toEqual(s);
    expect(sink.readBack()?.decommission.phases[0]?.steps.map((st) => st.name)).toEqual(['node-6', 'node-4', 'node-2']);
  });

  it("writes only the pods whose part changed, and the head only when its own part changed", () => {
    const sink = new MemorySink();
    const layout = new FrameworkLayout(sink);
    let s = savedState(1_000);
    layout.save(s);
    sink.writes.length = 0;
    s = { ...s, deploy: markSteps(s.deploy, [{ podType: 'node', index: 10 }], 'STARTING') };
    layout.save(s);
    expect(sink.writes).toEqual([`${FRAMEWORK_POD_PREFIX}node.10`]);
    sink.writes.length = 0;
    layout.save({ ...s, frameworkId: 'fw-2' });
    expect(sink.writes).toEqual([FRAMEWORK_RECORD_KEY]);
  });

  it('a scheduler that restored the state writes nothing until something changes', () => {
    const sink = new MemorySink();
    new FrameworkLayout(sink).save(savedState(100));
    const restarted = new FrameworkLayout(sink);
    const saved = restarted.read(sink.kv.get(FRAMEWORK_RECORD_KEY), sink.podRecords());
    sink.writes.length = 0;
    restarted.save(saved as SavedFrameworkState);
    expect(sink.writes).toEqual([]);
  });

  it('puts step statuses right that a crash between writes left against the pause flag', () => {
    const sink = new MemorySink();
    const layout = new FrameworkLayout(sink);
    const s = savedState(4);
    layout.save(s);
    // The head says paused; the pod records were not rewritten (WAITING) before the crash.
    sink.kv.set(FRAMEWORK_RECORD_KEY, { ...(sink.kv.get(FRAMEWORK_RECORD_KEY) as object), deploy: { ...pausePlan({ ...s.deploy, phases: s.deploy.phases.map((p) => ({ ...p, steps: [] })) }) } });
    const back = sink.readBack() as SavedFrameworkState;
    expect(back.deploy.paused).toBe(true);
    expect(back.deploy.phases.flatMap((p) => p.steps).map((st) => st.status)).toEqual(['WAITING', 'WAITING', 'WAITING', 'WAITING']);
  });
});

describe('migration of a layout-1 framework record (every pod and step in one record)', () => {
  it('loads an old record as it is (podStates included), then writes the pod records before the head replaces it', async () => {
    const sink = new MemorySink();
    const s = savedState(6);
    const old = { ...s, deploy: markSteps(s.deploy, [{ podType: 'node', index: 0 }], 'COMPLETE'), podStates: { 'node-0': { state: 'running.up', progress: 'running' } } };
    sink.kv.set(FRAMEWORK_RECORD_KEY, old);
    // A stray pod record a crashed migration left behind for a pod that no longer exists.
    sink.kv.set(`${FRAMEWORK_POD_PREFIX}node.40`, { podType: 'node', index: 40, member: 99 });
    const layout = new FrameworkLayout(sink);
    const loaded = layout.read(sink.kv.get(FRAMEWORK_RECORD_KEY), sink.podRecords()) as SavedFrameworkState;
    expect(loaded.pods).toEqual(s.pods);
    expect(loaded.deploy).toEqual(old.deploy);
    sink.hold = true;
    layout.save(loaded);
    // The pod records are queued; the old record stays until they are durable.
    expect(sink.podRecords()).toHaveLength(6);
    expect(sink.kv.has(`${FRAMEWORK_POD_PREFIX}node.40`)).toBe(false);
    expect(sink.kv.get(FRAMEWORK_RECORD_KEY)).toEqual(old);
    sink.release();
    await flush();
    expect(sink.kv.get(FRAMEWORK_RECORD_KEY)).toMatchObject({ layout: 2 });
    const back = sink.readBack() as SavedFrameworkState;
    expect(back.pods).toEqual(loaded.pods);
    expect(back.deploy).toEqual(loaded.deploy);
  });

  it('a crash before the pod records are durable leaves the old record, which loads again', () => {
    const sink = new MemorySink();
    const s = savedState(4);
    sink.kv.set(FRAMEWORK_RECORD_KEY, s);
    sink.hold = true;
    const layout = new FrameworkLayout(sink);
    layout.save(layout.read(sink.kv.get(FRAMEWORK_RECORD_KEY), sink.podRecords()) as SavedFrameworkState);
    // (the process dies here)
    expect(sink.readBack()).toEqual(s);
  });
});
