/**
 * What lets a big offer round share the event loop: a slicer that yields between units of work
 * once a slice has run long enough, and the offers the master took back while a round held them.
 */

/**
 * Longest a round runs before it lets the event loop turn (status updates, ACKs, HTTP, the lease
 * renewal). One pod's work is the unit: a slice ends after the pod that crossed the limit.
 */
export const ROUND_SLICE_MS = 8;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Cuts a long stretch of work into slices: call `next()` after each unit; once the slice has run
 * `sliceMs`, it waits for a turn of the event loop (setImmediate: timers and I/O callbacks run
 * first) and starts the next slice. `sliceMs` 0 yields after every unit; Infinity never yields.
 */
export class Slicer {
  private started = performance.now();
  /** Slices so far (1 until the first yield). */
  slices = 1;
  private longestEnded = 0;

  /** The longest slice so far, the current one included, in ms (the event loop did not turn during it). */
  get longestMs(): number {
    return Math.max(this.longestEnded, performance.now() - this.started);
  }

  constructor(private readonly sliceMs: number = ROUND_SLICE_MS) {}

  /** Whether the slice is over (next() would yield): loops over thousands of items ask this first, not awaiting per item. */
  due(): boolean {
    return performance.now() - this.started >= this.sliceMs;
  }

  /** Yield if the slice is over. Resolves true when the event loop turned (anything may have changed). */
  async next(): Promise<boolean> {
    const ran = performance.now() - this.started;
    if (ran < this.sliceMs) return false;
    if (ran > this.longestEnded) this.longestEnded = ran;
    await turn();
    this.started = performance.now();
    this.slices += 1;
    return true;
  }
}

/** `items.map(fn)` in slices: the event loop turns between slices of `slicer`. */
export async function mapInSlices<T, U>(items: readonly T[], fn: (item: T) => U, slicer: Slicer): Promise<U[]> {
  const out = new Array<U>(items.length);
  for (let i = 0; i < items.length; i++) {
    out[i] = fn(items[i]!);
    if (slicer.due()) await slicer.next();
  }
  return out;
}

/** `items.filter(test)` in slices, stopping once `limit` items passed (the event loop turns between slices of `slicer`). */
export async function filterInSlices<T>(items: readonly T[], test: (item: T) => boolean, slicer: Slicer, limit = Infinity): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < items.length && out.length < limit; i++) {
    if (test(items[i]!)) out.push(items[i]!);
    if (slicer.due()) await slicer.next();
  }
  return out;
}

/**
 * `items.slice().sort(compare)` in slices: runs of SORT_RUN sorted, then merged pairwise, the
 * event loop turning between slices of `slicer` (10,000 pod names through a collator take tens of
 * ms at once). Stable, as Array#sort is: the same order.
 */
export async function sortInSlices<T>(items: readonly T[], compare: (a: T, b: T) => number, slicer: Slicer): Promise<T[]> {
  let runs: T[][] = [];
  for (let i = 0; i < items.length; i += SORT_RUN) {
    runs.push(items.slice(i, i + SORT_RUN).sort(compare));
    await slicer.next();
  }
  while (runs.length > 1) {
    const next: T[][] = [];
    for (let k = 0; k < runs.length; k += 2) next.push(k + 1 < runs.length ? await merge(runs[k]!, runs[k + 1]!, compare, slicer) : runs[k]!);
    runs = next;
  }
  return runs[0] ?? [];
}

const SORT_RUN = 512;

/** Merge two sorted runs (ties from `a` first: stable), yielding every SORT_RUN items taken. */
async function merge<T>(a: readonly T[], b: readonly T[], compare: (a: T, b: T) => number, slicer: Slicer): Promise<T[]> {
  const out = new Array<T>(a.length + b.length);
  let i = 0;
  let j = 0;
  for (let n = 0; n < out.length; n++) {
    out[n] = j >= b.length || (i < a.length && compare(a[i]!, b[j]!) <= 0) ? a[i++]! : b[j++]!;
    if (n % SORT_RUN === SORT_RUN - 1) await slicer.next();
  }
  return out;
}

/** How long a rescinded offer id is remembered when no round ever claims it (an offer already gone). */
const RESCIND_MEMORY_MS = 10 * 60_000;

/**
 * Offers the master rescinded (Mesos RESCIND event). A round yields between slices and awaits
 * each launch, so a RESCIND can arrive while the round still holds the offer: the round stops
 * using it from then on (it is neither launched on nor declined). A RESCIND for an offer whose
 * round has not started yet (queued behind the current one) is kept until that round claims it.
 */
export class RescindedOffers {
  private readonly ids = new Map<string, number>();
  /** Bumped by every `add`: a round re-reads the set only when it changed. */
  version = 0;

  constructor(private readonly now: () => number = Date.now) {}

  add(offerId: string): void {
    const at = this.now();
    this.ids.delete(offerId);
    this.ids.set(offerId, at);
    this.version += 1;
    // Ids no round claimed (the offer was used or declined before the RESCIND) age out.
    for (const [id, t] of this.ids) {
      if (at - t <= RESCIND_MEMORY_MS) break;
      this.ids.delete(id);
    }
  }

  has(offerId: string): boolean {
    return this.ids.has(offerId);
  }

  /** A round is over: its offers' ids are not needed any more. */
  forget(offerIds: Iterable<string>): void {
    for (const id of offerIds) this.ids.delete(id);
  }

  get size(): number {
    return this.ids.size;
  }
}
