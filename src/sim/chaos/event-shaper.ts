import { encodeRecord } from '../../mesos/recordio';
import type { Prng } from './prng';

/** What the shaper may do to the events of one scheduler stream. */
export interface EventFaultRates {
  /** Probability that a status UPDATE is delivered twice (Mesos resends unacknowledged updates). */
  duplicateUpdate: number;
  /** Probability that a status UPDATE is held back (its agent is slow; others overtake it). */
  delayUpdate: number;
  /** Longest hold of a delayed UPDATE (or gap before a duplicate), in ms. */
  maxDelayMs: number;
  /** Probability, per event forwarded, that the stream is cut right after it. */
  cutStream: number;
}

export type WireFaultKind = 'duplicate' | 'delay' | 'cut-stream' | 'lost-reply' | 'lost-request';

export interface WireFault {
  at: number;
  kind: WireFaultKind;
  detail: string;
}

interface Held {
  releaseAt: number;
  record: Uint8Array;
}

/** What the shaper learns of one event: its type and, for an UPDATE, its task and state. */
export function describeEvent(raw: Uint8Array): { type: string; taskId?: string; state?: string } {
  // Only inspected, never re-serialised: int64 precision loss here cannot reach the scheduler.
  try {
    const e = JSON.parse(Buffer.from(raw).toString('utf8')) as { type?: string; update?: { status?: { task_id?: { value?: string }; state?: string } } };
    const status = e.update?.status;
    return {
      type: e.type ?? 'UNKNOWN',
      ...(status?.task_id?.value ? { taskId: status.task_id.value } : {}),
      ...(status?.state ? { state: status.state } : {}),
    };
  } catch {
    return { type: 'UNPARSEABLE' };
  }
}

/**
 * Re-frames the events of one scheduler stream and applies delay and duplication to status
 * updates. Updates of one task keep their order (a Mesos agent sends a task's next update only
 * after the previous one is acknowledged); updates of different tasks may overtake each other.
 * Every other event passes at once.
 */
export class EventShaper {
  private readonly held = new Map<string, Held[]>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly rng: Prng,
    private readonly rates: () => EventFaultRates,
    private readonly write: (framed: Uint8Array) => void,
    private readonly note: (kind: WireFaultKind, detail: string) => void,
    private readonly cut: () => void,
  ) {}

  /** One complete record (the event JSON bytes) from the master. */
  push(record: Uint8Array): void {
    if (this.closed) return;
    const ev = describeEvent(record);
    const rates = this.rates();
    if (ev.type !== 'UPDATE' || !ev.taskId) {
      this.emit(record);
    } else {
      const queue = this.held.get(ev.taskId) ?? [];
      const now = Date.now();
      const tail = queue.at(-1)?.releaseAt ?? now;
      let releaseAt = tail;
      if (this.rng.chance(rates.delayUpdate)) {
        releaseAt = Math.max(tail, now + this.rng.int(1, Math.max(1, rates.maxDelayMs)));
        this.note('delay', `${ev.taskId} ${ev.state ?? ''} +${releaseAt - now}ms`);
      }
      const dup = this.rng.chance(rates.duplicateUpdate);
      if (queue.length === 0 && releaseAt <= now && !dup) {
        this.emit(record);
      } else {
        queue.push({ releaseAt, record });
        this.held.set(ev.taskId, queue);
      }
      if (dup) {
        const again = releaseAt + this.rng.int(0, Math.max(0, Math.floor(rates.maxDelayMs / 2)));
        queue.push({ releaseAt: again, record });
        this.held.set(ev.taskId, queue);
        this.note('duplicate', `${ev.taskId} ${ev.state ?? ''} again after ${again - now}ms`);
      }
      this.schedule();
    }
    if (!this.closed && this.rng.chance(rates.cutStream)) {
      this.note('cut-stream', `after ${ev.type}${ev.taskId ? ` ${ev.taskId}` : ''}`);
      this.cut();
    }
  }

  /** Write every held event now, in per-task order (the master ended the stream itself). */
  flush(): void {
    for (const queue of this.held.values()) for (const h of queue) this.emit(h.record);
    this.held.clear();
  }

  /** The connection is gone: held events are lost with it. */
  close(): number {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    let dropped = 0;
    for (const q of this.held.values()) dropped += q.length;
    this.held.clear();
    return dropped;
  }

  get pending(): number {
    let n = 0;
    for (const q of this.held.values()) n += q.length;
    return n;
  }

  private emit(record: Uint8Array): void {
    if (!this.closed) this.write(encodeRecord(record));
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    let next = Infinity;
    for (const q of this.held.values()) next = Math.min(next, q[0]!.releaseAt);
    if (next === Infinity) return;
    this.timer = setTimeout(() => this.release(), Math.max(0, next - Date.now()));
  }

  private release(): void {
    this.timer = undefined;
    const now = Date.now();
    for (const [task, queue] of this.held) {
      while (queue.length > 0 && queue[0]!.releaseAt <= now) this.emit(queue.shift()!.record);
      if (queue.length === 0) this.held.delete(task);
    }
    this.schedule();
  }
}
