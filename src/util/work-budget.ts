/**
 * How much of a big event (an OFFERS event at 2,000 agents is ~1.7 MB of JSON) one turn of the
 * event loop may take before it lets status updates, ACKs, HTTP and the lease renewal run. The
 * work is counted in units (characters parsed, offers validated) and bounded by a unit cap and a
 * time cap: the unit cap bounds a slice however fast the machine is (and is what specs count),
 * the time cap bounds it on a machine slowed down by GC or other processes.
 */
export interface WorkBudgetOptions {
  /** Units a slice may do before it yields (default: unbounded, the time cap alone). */
  maxUnits?: number;
  /** Milliseconds a slice may run before it yields (default EVENT_SLICE_MS; Infinity: units alone). */
  sliceMs?: number;
  /** The clock (specs pass a fake one so that only units decide). */
  now?: () => number;
}

/** The time cap of a slice: well under the 50 ms stall goal even with a scavenge inside it. */
export const EVENT_SLICE_MS = 5;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class WorkBudget {
  private readonly maxUnits: number;
  private readonly sliceMs: number;
  private readonly now: () => number;
  private started: number;
  private units = 0;
  /** Slices so far (1 until the first yield). */
  slices = 1;
  /** The most units any slice did, the current one included (what specs check against the cap). */
  private mostUnits = 0;

  constructor(opts: WorkBudgetOptions = {}) {
    this.maxUnits = opts.maxUnits ?? Infinity;
    this.sliceMs = opts.sliceMs ?? EVENT_SLICE_MS;
    this.now = opts.now ?? (() => performance.now());
    this.started = this.now();
  }

  get largestSliceUnits(): number {
    return Math.max(this.mostUnits, this.units);
  }

  /** Count `units` of work done; true once the slice is over (the caller then awaits `yield()`). */
  spend(units: number): boolean {
    this.units += units;
    return this.units >= this.maxUnits || this.now() - this.started >= this.sliceMs;
  }

  /** Let the event loop turn (timers and I/O first: setImmediate) and start a fresh slice. */
  async yield(): Promise<void> {
    if (this.units > this.mostUnits) this.mostUnits = this.units;
    await turn();
    this.units = 0;
    this.slices += 1;
    this.started = this.now();
  }

  /** `spend`, then yield if the slice is over. */
  async step(units: number): Promise<void> {
    if (this.spend(units)) await this.yield();
  }
}
