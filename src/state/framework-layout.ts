import type { SavedFrameworkState } from '../../machines/framework.types';
import type { Plan, Step, StepRef, StepStatus } from '../../machines/plan';
import { replacedSince, stepListId } from '../../machines/plan-counts';

/**
 * The supervisor's state in KV, layout 2: a `framework` record whose size does not depend on the
 * pod count (framework id, uninstall progress, last snapshot, the plans' phases without steps) and
 * one `framework-pods.<podType>.<index>` record per pod instance (whether it exists, and its step
 * in each plan phase). Layout 1 held every pod and step in the one record: at 10,000 pods it
 * passed NATS' 1 MiB max_payload and every write failed. A pod's record is written only when that
 * pod's part changed; all of a pod's part is in one key, so a pod's scale or step change is atomic.
 */
export const FRAMEWORK_RECORD_KEY = 'framework';
export const FRAMEWORK_POD_PREFIX = 'framework-pods.';
export const FRAMEWORK_LAYOUT = 2;

export interface FrameworkHead {
  layout: typeof FRAMEWORK_LAYOUT;
  frameworkId: string | null;
  uninstall: SavedFrameworkState['uninstall'];
  lastSnapshot: SavedFrameworkState['lastSnapshot'];
  /** The plans with every phase's steps empty (the steps are in the pod records). */
  deploy: Plan;
  decommission: Plan;
}

/** One pod instance's part: `member` = its place in `pods` (absent: not a pod any more); per plan phase, [status, place]. */
export interface FrameworkPodRecord {
  podType: string;
  index: number;
  member?: number;
  steps?: Record<string, [StepStatus, number]>;
}

export function frameworkPodKey(podType: string, index: number): string {
  return `${FRAMEWORK_POD_PREFIX}${podType}.${index}`;
}

/** Where the layout's writes go (the supervisor's persist queue). */
export interface LayoutSink {
  write(key: string, value: unknown): void;
  delete(key: string): Promise<void>;
  flushed(key: string): Promise<void>;
  /**
   * Writes the layout queues in slices from here on: every flush of the sink waits until they are
   * queued (PersistQueue.deferWrites). Without it, every write is queued within save().
   */
  deferWrites?(queued: Promise<void>): void;
}

/**
 * Pod records written within one save(); more (a deploy plan of 10,000 steps created or started
 * at once) follow in slices of this many, the event loop running between (~5 µs each, and the
 * garbage they make: 10,000 in one go held it for 100-200 ms).
 */
export const POD_WRITE_SLICE = 500;

interface Placed {
  ref: StepRef;
  seq: number;
}

const nameOf = (r: StepRef) => `${r.podType}-${r.index}`;

function listsOf(saved: SavedFrameworkState): Map<string, readonly StepRef[]> {
  const lists = new Map<string, readonly StepRef[]>([['pods', saved.pods]]);
  for (const p of saved.deploy.phases) lists.set(`deploy/${p.name}`, p.steps);
  for (const p of saved.decommission.phases) lists.set(`decommission/${p.name}`, p.steps);
  return lists;
}

function skeleton(plan: Plan): Plan {
  return { ...plan, phases: plan.phases.map((ph) => ({ ...ph, steps: [] })) };
}

/** Is this a layout-2 head (not a layout-1 record holding every pod)? */
export function isLayoutHead(value: unknown): value is FrameworkHead {
  return typeof value === 'object' && value !== null && (value as { layout?: unknown }).layout === FRAMEWORK_LAYOUT;
}

/**
 * Splits the supervisor's saved state into the head and the pod records, writing only what
 * changed since the last save: unchanged steps keep their object (the plan functions return the
 * step as it was), so finding the change is a reference compare per step, no serialization.
 * Order in each list is kept by a place number that only grows along the list.
 */
export class FrameworkLayout {
  private lists = new Map<string, Map<string, Placed>>();
  /** Per list, the id (stepListId) of the array it was last read from. */
  private seen = new Map<string, number>();
  private counter = 0;
  /** Each pod record key's last queued value (JSON). */
  private written = new Map<string, string>();
  private lastHead = '';
  /** The state lastHead was made from (sameHead: no new JSON when only steps changed). */
  private headFrom: SavedFrameworkState | undefined;
  private last: { pods?: unknown; deploy?: unknown; decommission?: unknown } = {};
  /** The bucket still has a layout-1 record: the pod records must be in KV before the head replaces it. */
  private legacy = false;
  private migration: Promise<void> | undefined;
  /** Pod records found beside a layout-1 record (a migration a crash interrupted): deleted unless rewritten. */
  private orphans = new Set<string>();
  private latest: SavedFrameworkState | undefined;
  /** Bumped by reset(): slices of writes begun before it are dropped. */
  private generation = 0;

  constructor(private readonly sink: LayoutSink) {}

  /**
   * Each dirty pod's record as the lists hold it when it is written (a later save may have changed
   * it: the newest is written, and a record written twice is queued once, see `written`). Beyond
   * POD_WRITE_SLICE, the rest in slices, unless a layout-1 record is being migrated (its orphans
   * and the migration read what is written now).
   */
  private writePods(dirty: Set<string>, refs: Map<string, StepRef>): void {
    const defer = this.sink.deferWrites;
    if (dirty.size <= POD_WRITE_SLICE || !defer || this.legacy || this.orphans.size > 0) {
      for (const name of dirty) this.writePod(name, refs);
      return;
    }
    const names = [...dirty];
    for (let i = 0; i < POD_WRITE_SLICE; i++) this.writePod(names[i]!, refs);
    const generation = this.generation;
    const rest = async (): Promise<void> => {
      for (let from = POD_WRITE_SLICE; from < names.length; from += POD_WRITE_SLICE) {
        await new Promise<void>((r) => setImmediate(r));
        if (this.generation !== generation) return;
        for (const name of names.slice(from, from + POD_WRITE_SLICE)) this.writePod(name, refs);
      }
    };
    defer.call(this.sink, rest());
  }

  save(saved: SavedFrameworkState): void {
    this.latest = saved;
    const dirty = new Set<string>();
    const refs = new Map<string, StepRef>();
    if (saved.pods !== this.last.pods || saved.deploy !== this.last.deploy || saved.decommission !== this.last.decommission) {
      this.diffLists(saved, dirty, refs);
      this.last = { pods: saved.pods, deploy: saved.deploy, decommission: saved.decommission };
      this.writePods(dirty, refs);
      for (const key of this.orphans) if (this.written.delete(key)) void this.sink.delete(key).catch(() => undefined);
      this.orphans.clear();
    }
    if (this.legacy) return this.migrate();
    this.writeHead(saved);
  }

  /**
   * The state a bucket holds (head and pod records, as read), and seed the writer with it so that
   * the first save writes only what changed. A layout-1 record is returned as it is and migrated
   * by the next save (pod records first, then the head).
   */
  read(head: unknown, podRecords: Iterable<[string, FrameworkPodRecord]>): SavedFrameworkState | null {
    this.reset();
    const records = [...podRecords];
    for (const [key, rec] of records) this.written.set(key, JSON.stringify(rec));
    if (head === undefined || head === null) return null;
    if (!isLayoutHead(head)) {
      this.legacy = true;
      this.orphans = new Set(this.written.keys());
      return head as SavedFrameworkState;
    }
    const saved = assemble(head, records.map(([, r]) => r));
    this.seed(saved);
    this.lastHead = JSON.stringify(headOf(saved));
    this.headFrom = saved;
    return saved;
  }

  /** Forget what was written (the state was deleted under us: reinstall). */
  reset(): void {
    this.generation += 1;
    this.lists = new Map();
    this.seen = new Map();
    this.counter = 0;
    this.written = new Map();
    this.lastHead = '';
    this.headFrom = undefined;
    this.last = {};
    this.legacy = false;
    this.migration = undefined;
    this.orphans = new Set();
  }

  private writeHead(saved: SavedFrameworkState): void {
    const from = this.headFrom;
    this.headFrom = saved;
    if (from && sameHead(from, saved)) return;
    const head = JSON.stringify(headOf(saved));
    if (head === this.lastHead) return;
    this.lastHead = head;
    this.sink.write(FRAMEWORK_RECORD_KEY, JSON.parse(head) as FrameworkHead);
  }

  private migrate(): void {
    if (this.migration) return;
    const keys = [...this.written.keys()];
    this.migration = Promise.all(keys.map((k) => this.sink.flushed(k))).then(
      () => {
        this.legacy = false;
        if (this.latest) this.writeHead(this.latest);
      },
      // Not saved (we stopped leading): the layout-1 record stays, the next leader migrates.
      () => undefined,
    );
  }

  private seed(saved: SavedFrameworkState): void {
    for (const [id, items] of listsOf(saved)) {
      const placed = new Map<string, Placed>();
      items.forEach((ref, i) => placed.set(nameOf(ref), { ref, seq: this.placeOf(ref, i) }));
      this.lists.set(id, placed);
      this.seen.set(id, stepListId(items));
    }
    this.last = { pods: saved.pods, deploy: saved.deploy, decommission: saved.decommission };
  }

  /** The place numbers read back (kept on the objects assemble() made). */
  private placeOf(ref: StepRef, i: number): number {
    const seq = (ref as StepRef & { [PLACE]?: number })[PLACE] ?? i;
    this.counter = Math.max(this.counter, seq);
    return seq;
  }

  /**
   * What changed in each list since the last save: nothing when it is the same array, the
   * positions replaced when it is a copy of it with steps replaced (plan-counts.ts), else every
   * item compared. The cost follows the steps that changed, not the pods.
   */
  private diffLists(saved: SavedFrameworkState, dirty: Set<string>, refs: Map<string, StepRef>): void {
    const lists = listsOf(saved);
    for (const [id, previous] of this.lists) {
      if (lists.has(id)) continue;
      for (const [name, p] of previous) (dirty.add(name), refs.set(name, p.ref));
      this.lists.delete(id);
      this.seen.delete(id);
    }
    for (const [id, items] of lists) {
      const seen = this.seen.get(id);
      const previous = this.lists.get(id);
      const listId = stepListId(items);
      this.seen.set(id, listId);
      if (seen === listId && previous) continue;
      const replaced = seen === undefined || !previous ? undefined : replacedSince(items, seen);
      if (!replaced || !this.patchList(previous!, items, replaced, dirty, refs)) this.compareList(id, items, dirty, refs);
    }
  }

  /** The steps at these positions were replaced in place: false if one is not where it was. */
  private patchList(placed: Map<string, Placed>, items: readonly StepRef[], at: number[], dirty: Set<string>, refs: Map<string, StepRef>): boolean {
    const next: [string, Placed][] = [];
    for (const pos of at) {
      const ref = items[pos];
      const name = ref && nameOf(ref);
      const prev = name === undefined ? undefined : placed.get(name);
      if (!prev) return false;
      if (prev.ref !== ref) next.push([name!, { ref: ref!, seq: prev.seq }]);
    }
    for (const [name, p] of next) (placed.set(name, p), dirty.add(name), refs.set(name, p.ref));
    return true;
  }

  private compareList(id: string, items: readonly StepRef[], dirty: Set<string>, refs: Map<string, StepRef>): void {
    const previous = this.lists.get(id) ?? new Map<string, Placed>();
    const next = new Map<string, Placed>();
    let lastSeq = -1;
    for (const ref of items) {
      const name = nameOf(ref);
      const prev = previous.get(name);
      const seq = prev && prev.seq > lastSeq ? prev.seq : ++this.counter;
      if (!prev || prev.ref !== ref || prev.seq !== seq) (dirty.add(name), refs.set(name, ref));
      next.set(name, { ref, seq });
      lastSeq = seq;
    }
    for (const [name, p] of previous) if (!next.has(name)) (dirty.add(name), refs.set(name, p.ref));
    this.lists.set(id, next);
  }

  private writePod(name: string, refs: Map<string, StepRef>): void {
    const ref = refs.get(name);
    if (!ref) return;
    const rec: FrameworkPodRecord = { podType: ref.podType, index: ref.index };
    const steps: Record<string, [StepStatus, number]> = {};
    for (const [id, placed] of this.lists) {
      const p = placed.get(name);
      if (!p) continue;
      if (id === 'pods') rec.member = p.seq;
      else steps[id] = [(p.ref as Step).status, p.seq];
    }
    if (Object.keys(steps).length > 0) rec.steps = steps;
    const key = frameworkPodKey(ref.podType, ref.index);
    this.orphans.delete(key);
    if (rec.member === undefined && rec.steps === undefined) {
      if (this.written.delete(key)) void this.sink.delete(key).catch(() => undefined);
      return;
    }
    const json = JSON.stringify(rec);
    if (this.written.get(key) === json) return;
    this.written.set(key, json);
    this.sink.write(key, rec);
  }
}

/** Where assemble() leaves each object's place number, for the writer's seed (not persisted: a symbol). */
const PLACE = Symbol('place');

function headOf(saved: SavedFrameworkState): FrameworkHead {
  return {
    layout: FRAMEWORK_LAYOUT,
    frameworkId: saved.frameworkId,
    uninstall: saved.uninstall,
    lastSnapshot: saved.lastSnapshot ?? null,
    deploy: skeleton(saved.deploy),
    decommission: skeleton(saved.decommission),
  };
}

/** Would the two states give the same head? (Same objects, or plans that differ in their steps only.) */
function sameHead(a: SavedFrameworkState, b: SavedFrameworkState): boolean {
  if (a.frameworkId !== b.frameworkId || a.uninstall !== b.uninstall || (a.lastSnapshot ?? null) !== (b.lastSnapshot ?? null)) return false;
  return sameSkeleton(a.deploy, b.deploy) && sameSkeleton(a.decommission, b.decommission);
}

/** Same plan but for its steps: every other field compared, so a field added to Plan or Phase is never missed. */
function sameSkeleton(a: Plan, b: Plan): boolean {
  if (a === b) return true;
  if (!sameFieldsBut(a, b, 'phases') || a.phases.length !== b.phases.length) return false;
  return a.phases.every((p, i) => p === b.phases[i] || sameFieldsBut(p, b.phases[i]!, 'steps'));
}

function sameFieldsBut(a: object, b: object, except: string): boolean {
  const ka = Object.keys(a).filter((k) => k !== except);
  if (ka.length !== Object.keys(b).filter((k) => k !== except).length) return false;
  return ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Equal as JSON values (fields of a plan are primitives and small arrays, e.g. dependsOn). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The saved state from a head and its pod records. Statuses a crash between two writes can leave
 * inconsistent with the plan's pause flag are put right: a paused plan holds no PENDING step, a
 * running one no WAITING step (only a pause makes a step WAIT).
 */
export function assemble(head: FrameworkHead, records: FrameworkPodRecord[]): SavedFrameworkState {
  const lists = new Map<string, { seq: number; ref: StepRef; status?: StepStatus }[]>();
  const push = (id: string, seq: number, ref: StepRef, status?: StepStatus) => {
    let l = lists.get(id);
    if (!l) lists.set(id, (l = []));
    l.push({ seq, ref, ...(status ? { status } : {}) });
  };
  for (const r of records) {
    const ref = { podType: r.podType, index: r.index };
    if (r.member !== undefined) push('pods', r.member, ref);
    for (const [id, [status, seq]] of Object.entries(r.steps ?? {})) push(id, seq, ref, status);
  }
  const ordered = (id: string) => (lists.get(id) ?? []).sort((a, b) => a.seq - b.seq);
  const withPlace = <T extends object>(o: T, seq: number): T => Object.defineProperty(o, PLACE, { value: seq, enumerable: false });
  const plan = (p: Plan, kind: string): Plan => ({
    ...p,
    phases: p.phases.map((ph) => ({
      ...ph,
      steps: ordered(`${kind}/${ph.name}`).map((e) =>
        withPlace<Step>({ podType: e.ref.podType, index: e.ref.index, name: nameOf(e.ref), status: normalized(e.status ?? 'PENDING', p.paused) }, e.seq),
      ),
    })),
  });
  return {
    frameworkId: head.frameworkId,
    pods: ordered('pods').map((e) => withPlace<StepRef>({ podType: e.ref.podType, index: e.ref.index }, e.seq)),
    deploy: plan(head.deploy, 'deploy'),
    decommission: plan(head.decommission, 'decommission'),
    uninstall: head.uninstall,
    lastSnapshot: head.lastSnapshot,
  };
}

function normalized(status: StepStatus, paused: boolean): StepStatus {
  if (paused && status === 'PENDING') return 'WAITING';
  if (!paused && status === 'WAITING') return 'PENDING';
  return status;
}
