import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SavedFrameworkState } from '../../machines/framework.types';
import {
  addSteps,
  appendDecommissionSteps,
  applyPodProgress,
  buildPlan,
  emptyDecommissionPlan,
  markSteps,
  pausePlan,
  removeSteps,
  restartPlan,
  resumePlan,
  type StepRef,
  type StepStatus,
} from '../../machines/plan';
import { FRAMEWORK_POD_PREFIX, FRAMEWORK_RECORD_KEY, FrameworkLayout, POD_WRITE_SLICE, type FrameworkPodRecord, type LayoutSink } from '../../src/state/framework-layout';

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

/** Counts the reads of a list's items at positions other than `except` (the items are kept). */
function countReads(list: readonly object[], except: number[] = []): { n: number } {
  const reads = { n: 0 };
  list.forEach((item, i) => {
    if (except.includes(i)) return;
    Object.defineProperty(list, i, {
      get: () => {
        reads.n++;
        return item;
      },
    });
  });
  return reads;
}

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

  it('writes the head when any field of a plan or phase other than its steps changed, one it does not name too', () => {
    const sink = new MemorySink();
    const layout = new FrameworkLayout(sink);
    const s = savedState(10);
    layout.save(s);
    sink.writes.length = 0;
    const phases = s.deploy.phases.map((p, i) => (i === 0 ? { ...p, dependsOn: [...(p.dependsOn ?? []), 'other'] } : p));
    layout.save({ ...s, deploy: { ...s.deploy, phases } });
    expect(sink.writes).toEqual([FRAMEWORK_RECORD_KEY]);
    sink.writes.length = 0;
    // A field a later version adds to Phase: the head carries it, so a change to it is written.
    const later = phases.map((p, i) => (i === 0 ? { ...p, maxUnavailable: 2 } : p));
    layout.save({ ...s, deploy: { ...s.deploy, phases: later as typeof phases } });
    expect(sink.writes).toEqual([FRAMEWORK_RECORD_KEY]);
  });

  it('a step change reads only the steps that changed, not every pod (several changes between saves too)', () => {
    const sink = new MemorySink();
    const layout = new FrameworkLayout(sink);
    let s = savedState(2_000);
    layout.save(s);
    sink.writes.length = 0;
    const [a, b, c] = [{ podType: 'node', index: 10 }, { podType: 'node', index: 12 }, { podType: 'seed', index: 1 }];
    s = { ...s, deploy: markSteps(s.deploy, [a], 'STARTING') };
    s = { ...s, deploy: applyPodProgress(markSteps(s.deploy, [b], 'STARTING'), a, 'running', 'running') };
    s = { ...s, deploy: markSteps(s.deploy, [c], 'COMPLETE') };
    const [seeds, nodes] = [s.deploy.phases[0]!.steps, s.deploy.phases[1]!.steps];
    const reads = [countReads(s.pods), countReads(nodes, [5, 6]), countReads(seeds, [0])];
    layout.save(s);
    expect(reads.map((r) => r.n)).toEqual([0, 0, 0]);
    expect(sink.writes.sort()).toEqual([`${FRAMEWORK_POD_PREFIX}node.10`, `${FRAMEWORK_POD_PREFIX}node.12`, `${FRAMEWORK_POD_PREFIX}seed.1`]);
    expect(sink.readBack()).toEqual(s);
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

describe('what is written follows the plan through any operations', () => {
  const ref = fc.record({ podType: fc.constantFrom('node', 'seed'), index: fc.integer({ min: 0, max: 11 }) });
  const status = fc.constantFrom<StepStatus>('PENDING', 'STARTING', 'COMPLETE', 'ERROR');
  const op = fc.oneof(
    fc.record({ kind: fc.constant('mark' as const), refs: fc.array(ref, { maxLength: 3 }), status }),
    fc.record({ kind: fc.constant('progress' as const), refs: fc.array(ref, { minLength: 1, maxLength: 1 }), status }),
    fc.record({ kind: fc.constantFrom('add' as const, 'remove' as const, 'decommission' as const), refs: fc.array(ref, { maxLength: 3 }), status }),
    fc.record({ kind: fc.constantFrom('pause' as const, 'resume' as const, 'restart' as const, 'save' as const), refs: fc.constant([]), status }),
  );
  type Op = { kind: string; refs: readonly StepRef[]; status: StepStatus };
  const apply = (s: SavedFrameworkState, o: Op): SavedFrameworkState => {
    const d = s.deploy;
    switch (o.kind) {
      case 'mark': return { ...s, deploy: markSteps(d, [...o.refs], o.status) };
      case 'progress': return { ...s, deploy: applyPodProgress(d, o.refs[0]!, o.status === 'COMPLETE' ? 'running' : o.status === 'ERROR' ? 'blocked' : 'busy', 'running') };
      case 'add': return { ...s, deploy: addSteps(d, [...o.refs]) };
      case 'remove': return { ...s, deploy: removeSteps(d, [...o.refs]) };
      case 'decommission': return { ...s, decommission: appendDecommissionSteps(s.decommission, [...o.refs]) };
      case 'pause': return { ...s, deploy: pausePlan(d) };
      case 'resume': return { ...s, deploy: resumePlan(d) };
      case 'restart': return { ...s, deploy: restartPlan(d, {}) };
      default: return s;
    }
  };

  const statuses = (sink: MemorySink) =>
    Object.fromEntries(sink.podRecords().map(([k, r]) => [k, [r.member !== undefined, Object.entries(r.steps ?? {}).map(([id, [st]]) => `${id}:${st}`).sort()]]));

  it('after every save the bucket holds what a fresh writer of that state would write', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), (ops, saves) => {
        const sink = new MemorySink();
        const layout = new FrameworkLayout(sink);
        let s = savedState(10);
        layout.save(s);
        ops.forEach((o, i) => {
          s = apply(s, o);
          if (!saves[i] && o.kind !== 'save') return;
          layout.save(s);
          const fresh = new MemorySink();
          new FrameworkLayout(fresh).save(s);
          // The same records (statuses as written, place numbers aside) and the same order read back.
          expect(statuses(sink)).toEqual(statuses(fresh));
          expect(sink.readBack()).toEqual(fresh.readBack());
        });
      }),
      { numRuns: 200 },
    );
  });
});

/** A sink that, like the persist queue, lets the layout queue writes in slices (deferWrites). */
class SlicingSink extends MemorySink {
  readonly pending: Promise<void>[] = [];
  deferWrites(queued: Promise<void>): void {
    this.pending.push(queued);
  }
  async settled(): Promise<void> {
    while (this.pending.length > 0) await this.pending.shift();
  }
}

describe('a save that changes thousands of pod records queues them in slices', () => {
  it('queues 500 records within save() and the rest between turns of the event loop: 10,000 new steps never hold it at once', async () => {
    const sink = new SlicingSink();
    new FrameworkLayout(sink).save(savedState(10_000));
    expect(sink.podRecords()).toHaveLength(POD_WRITE_SLICE);
    expect(sink.kv.has(FRAMEWORK_RECORD_KEY)).toBe(true);
    await flush();
    expect(sink.podRecords()).toHaveLength(2 * POD_WRITE_SLICE);
    await sink.settled();
    expect(sink.podRecords()).toHaveLength(10_000);
    expect(sink.readBack()).toEqual(savedState(10_000));
  });

  it('ends with the bucket a writer in one go leaves, whatever saves come while slices are pending', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ status: fc.constantFrom<StepStatus>('PENDING', 'STARTING', 'COMPLETE'), from: fc.nat(1_999), turns: fc.nat(3) }), { minLength: 1, maxLength: 5 }), async (changes) => {
        const sliced = new SlicingSink();
        const whole = new MemorySink();
        const [a, b] = [new FrameworkLayout(sliced), new FrameworkLayout(whole)];
        let s = savedState(2_000);
        a.save(s);
        b.save(s);
        for (const c of changes) {
          const refs = s.pods.slice(c.from, c.from + 1_200);
          s = { ...s, deploy: markSteps(s.deploy, refs, c.status) };
          a.save(s);
          b.save(s);
          for (let t = 0; t < c.turns; t++) await flush();
        }
        await sliced.settled();
        expect(Object.fromEntries(sliced.kv)).toEqual(Object.fromEntries(whole.kv));
      }),
      { numRuns: 25, seed: 1207 },
    );
  });

  it('drops the slices still pending when the state is reset (deleted under us: reinstall)', async () => {
    const sink = new SlicingSink();
    const layout = new FrameworkLayout(sink);
    layout.save(savedState(3_000));
    layout.reset();
    await sink.settled();
    expect(sink.podRecords()).toHaveLength(POD_WRITE_SLICE);
  });
});
