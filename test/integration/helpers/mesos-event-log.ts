import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPlainObject, readJsonLines } from '../../conformance/jsonl';
import type { MesosSchedulerClient, Offer, SchedulerClientEvent, TaskStatus } from '../../../src/mesos';

type Pred = (event: SchedulerClientEvent) => boolean;

/**
 * Every event a MesosSchedulerClient delivers, in order, with waits on them, plus the offers the
 * framework still holds. With `autoAck` each UPDATE is handed to `client.acknowledge` the way a
 * scheduler does (a no-op for master-generated updates). Failures of calls made here are kept
 * in `callErrors` for the test to assert on rather than dropped.
 */
export class SchedulerEventLog {
  readonly events: SchedulerClientEvent[] = [];
  readonly callErrors: unknown[] = [];
  private readonly held = new Map<string, Offer>();
  private declining: { refuseSeconds?: number } | undefined;
  private waiters: (() => void)[] = [];
  private readonly detach: () => void;

  constructor(
    private readonly client: MesosSchedulerClient,
    opts: { autoAck?: boolean } = {},
  ) {
    this.detach = client.onEvent((event) => {
      this.events.push(event);
      this.track(event);
      if (opts.autoAck && event.type === 'UPDATE') {
        client.acknowledge(event.update.status).catch((err: unknown) => this.callErrors.push(err));
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }

  private track(event: SchedulerClientEvent): void {
    if (event.type === 'OFFERS') {
      const offers = event.offers.offers ?? [];
      if (this.declining) this.decline(offers.map((o) => o.id.value), this.declining.refuseSeconds);
      else for (const o of offers) this.held.set(o.id.value, o);
    } else if (event.type === 'RESCIND') {
      this.held.delete(event.rescind.offer_id.value);
    } else if (event.type === 'DISCONNECTED') {
      // The master drops a disconnected framework's offers.
      this.held.clear();
    }
  }

  private decline(ids: string[], refuseSeconds?: number): void {
    if (ids.length === 0) return;
    this.client.decline(ids, refuseSeconds).catch((err: unknown) => this.callErrors.push(err));
  }

  /** Wait for a held offer matching `pred`, and take it (it is no longer held). */
  async takeOffer(pred: (o: Offer) => boolean = () => true, opts: { timeoutMs?: number } = {}): Promise<Offer> {
    const offer = await this.until(() => [...this.held.values()].find(pred), 'a matching offer', opts.timeoutMs);
    this.held.delete(offer.id.value);
    return offer;
  }

  /** Decline every held offer now, and from now on every offer as it arrives. */
  declineAll(refuseSeconds?: number): void {
    this.declining = refuseSeconds === undefined ? {} : { refuseSeconds };
    this.decline([...this.held.keys()], refuseSeconds);
    this.held.clear();
  }

  /** Index of the next event: pass it as `from` to wait only for what happens afterwards. */
  mark(): number {
    return this.events.length;
  }

  /** The first event at index `from` or later that satisfies `pred`, waiting for it if need be. */
  async waitFor(pred: Pred, opts: { from?: number; timeoutMs?: number } = {}): Promise<SchedulerClientEvent> {
    return this.until(() => this.events.slice(opts.from ?? 0).find(pred), 'a matching scheduler event', opts.timeoutMs);
  }

  /** Re-evaluate `check` on every event until it gives a value, or time out. */
  private async until<T>(check: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = check();
      if (hit !== undefined) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; ${this.describe()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async waitForUpdate(
    taskId: string,
    state: string,
    opts: { from?: number; timeoutMs?: number; reason?: string } = {},
  ): Promise<TaskStatus> {
    const event = await this.waitFor(
      (e) =>
        e.type === 'UPDATE' &&
        e.update.status.task_id.value === taskId &&
        e.update.status.state === state &&
        (opts.reason === undefined || e.update.status.reason === opts.reason),
      opts,
    );
    if (event.type !== 'UPDATE') throw new Error('unreachable: waitFor matched a non-UPDATE event');
    return event.update.status;
  }

  /** Every status received for `taskId` (from index `from` on). */
  updates(taskId: string, from = 0): TaskStatus[] {
    const out: TaskStatus[] = [];
    for (const e of this.events.slice(from)) {
      if (e.type === 'UPDATE' && e.update.status.task_id.value === taskId) out.push(e.update.status);
    }
    return out;
  }

  count(type: SchedulerClientEvent['type'], from = 0): number {
    return this.events.slice(from).filter((e) => e.type === type).length;
  }

  close(): void {
    this.detach();
  }

  private describe(): string {
    const last = this.events
      .slice(-15)
      .map((e) => (e.type === 'UPDATE' ? `UPDATE(${e.update.status.task_id.value}:${e.update.status.state})` : e.type));
    return `${this.events.length} events so far, last: ${last.join(', ')}`;
  }
}

/** One recorded line of DIR/mesos.jsonl. */
export interface MesosLine {
  api: 'scheduler' | 'operator';
  dir: 'call' | 'event' | 'response';
  body: Record<string, unknown>;
}

/** The Mesos records of a recording dir, parsed losslessly (int64 beyond 2^53 stays exact). */
export function mesosLines(dir: string): MesosLine[] {
  return readJsonLines(join(dir, 'mesos.jsonl')).map((line) => {
    if ('parseError' in line) throw new Error(`${dir}/mesos.jsonl:${line.lineNo}: ${line.parseError}`);
    if (!isPlainObject(line.value) || !isPlainObject(line.value.body)) {
      throw new Error(`${dir}/mesos.jsonl:${line.lineNo}: not a Mesos record`);
    }
    return line.value as unknown as MesosLine;
  });
}

/** Recorded scheduler calls of one type. */
export function recordedCalls(dir: string, type: string): Record<string, unknown>[] {
  return mesosLines(dir)
    .filter((l) => l.api === 'scheduler' && l.dir === 'call' && l.body.type === type)
    .map((l) => l.body);
}

/** Fresh temp dirs, removed by `cleanup()`. */
export class TempDirs {
  private readonly dirs: string[] = [];

  make(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), `pxfw-it-${prefix}-`));
    this.dirs.push(dir);
    return dir;
  }

  cleanup(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}
