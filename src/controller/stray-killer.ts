import { backoffMs, type BackoffPolicy } from '../../machines/backoff';
import type { Logger } from '../log/logger';
import { isTerminalState } from './task-tracker';

/**
 * Kills tasks no pod owns (a launch forgotten in a crash, the old task of a fenced pod that
 * turns up again). One KILL per stray per change of its agent's reachability, and at most one
 * per `minIntervalMs` otherwise: a stray on an unreachable agent is answered by another
 * TASK_UNREACHABLE, and killing again on every answer made a storm of 3,378 KILLs in 9 s.
 * When the agent comes back (reachability changes), the stray is killed at once.
 *
 * Only a KILL the master took counts as sent. A failed one (403 "Framework is not subscribed"
 * while the master fails over, no subscription at all, a 5xx) is retried with backoff, and at
 * once after the next SUBSCRIBED. Every (re)subscription starts a new round: a stray Mesos reports
 * alive after it (implicit or explicit reconciliation) is killed again, once. A KILL the master
 * took may still be dropped (apache/mesos master.cpp drops a KILL for a task of an agent that has
 * not re-registered after a failover): a stray that has not ended one `minIntervalMs` after its
 * KILL is killed again, the wait doubling each time (capped at 8 x `minIntervalMs`).
 */
export interface StrayKillerDeps {
  /** The KILL; resolving `false` or rejecting means it did not reach the master. */
  kill(taskId: string, agentId: string): Promise<boolean | void>;
  reachable(agentId: string): boolean;
  minIntervalMs: number;
  /** Retry delays of a failed KILL (default 1 s doubling to `minIntervalMs`). */
  retry?: BackoffPolicy;
  now?: () => number;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

/** The most a follow-up KILL waits, in units of `minIntervalMs`. */
const MAX_FOLLOW_UP_FACTOR = 8;

interface StrayRecord {
  agentId: string;
  /** The last KILL the master took: when, the agent's reachability then, the subscription round. */
  sent: { at: number; reachable: boolean; round: number } | undefined;
  /** Failed KILLs since the last one that went through (a retry is pending while > 0). */
  failures: number;
  /** Follow-up KILLs sent since the last reachability change or re-subscription. */
  followUps: number;
  inFlight: boolean;
  timer: NodeJS.Timeout | undefined;
}

export class StrayKiller {
  private readonly strays = new Map<string, StrayRecord>();
  /** Bumped by every SUBSCRIBED: a KILL sent to an earlier subscription does not count for a report after it. */
  private round = 0;

  constructor(private readonly deps: StrayKillerDeps) {}

  /**
   * KILL the stray unless that would repeat a KILL sent under the same conditions, or a failed
   * one is waiting for its retry. True if the master took the KILL.
   */
  async kill(taskId: string, agentId: string): Promise<boolean> {
    const now = this.now();
    const reachable = this.deps.reachable(agentId);
    const rec = this.strays.get(taskId);
    if (rec?.inFlight) return false;
    if (rec && rec.failures > 0) return false; // the retry timer (or the next SUBSCRIBED) sends it
    const sent = rec?.sent;
    if (sent && sent.reachable === reachable && sent.round === this.round && now - sent.at < this.deps.minIntervalMs) return false;
    if (rec && sent && sent.reachable !== reachable) rec.followUps = 0;
    return this.attempt(taskId, rec ?? this.track(taskId, agentId));
  }

  /**
   * We (re)subscribed: a new round. Failed KILLs go out again now; strays whose KILL went
   * through are killed again when Mesos reports them alive, or after a kill timeout.
   */
  resubscribed(): void {
    this.round += 1;
    for (const [taskId, rec] of this.strays) {
      if (rec.inFlight) continue;
      rec.followUps = 0;
      if (rec.failures > 0) {
        rec.failures = 0;
        void this.attempt(taskId, rec);
      } else this.schedule(taskId, rec, this.deps.minIntervalMs);
    }
  }

  /** The task is over: forget it. */
  ended(taskId: string): void {
    const rec = this.strays.get(taskId);
    if (rec) clearTimeout(rec.timer);
    this.strays.delete(taskId);
  }

  /** Forget every stray and stop every timer (step-down, stop). */
  clear(): void {
    for (const rec of this.strays.values()) clearTimeout(rec.timer);
    this.strays.clear();
  }

  get tracked(): number {
    return this.strays.size;
  }

  /** Strays whose last KILL failed and waits for a retry. */
  get pendingRetries(): number {
    return [...this.strays.values()].filter((r) => r.failures > 0).length;
  }

  private track(taskId: string, agentId: string): StrayRecord {
    const rec: StrayRecord = { agentId, sent: undefined, failures: 0, followUps: 0, inFlight: false, timer: undefined };
    this.strays.set(taskId, rec);
    return rec;
  }

  private async attempt(taskId: string, rec: StrayRecord): Promise<boolean> {
    clearTimeout(rec.timer);
    rec.timer = undefined;
    rec.inFlight = true;
    const at = this.now();
    const reachable = this.deps.reachable(rec.agentId);
    const round = this.round;
    let ok: boolean;
    try {
      ok = (await this.deps.kill(taskId, rec.agentId)) !== false;
    } catch {
      ok = false;
    }
    rec.inFlight = false;
    if (this.strays.get(taskId) !== rec) return ok; // ended (or cleared) meanwhile
    if (ok) {
      rec.sent = { at, reachable, round };
      rec.failures = 0;
      this.schedule(taskId, rec, this.followUpMs(rec));
      return true;
    }
    rec.failures += 1;
    const delay = backoffMs(rec.failures, this.deps.retry ?? { initialMs: Math.min(1_000, this.deps.minIntervalMs), maxMs: this.deps.minIntervalMs });
    if (rec.failures === 1) this.deps.logger?.warn({ taskId, agentId: rec.agentId, retryInMs: delay }, 'KILL of a stray task did not go through; retrying');
    this.schedule(taskId, rec, delay);
    return false;
  }

  private followUpMs(rec: StrayRecord): number {
    const factor = Math.min(MAX_FOLLOW_UP_FACTOR, 2 ** rec.followUps);
    return this.deps.minIntervalMs * factor;
  }

  private schedule(taskId: string, rec: StrayRecord, ms: number): void {
    clearTimeout(rec.timer);
    rec.timer = setTimeout(() => {
      rec.timer = undefined;
      if (this.strays.get(taskId) !== rec || rec.inFlight) return;
      const followUp = rec.failures === 0;
      if (followUp) rec.followUps += 1;
      void this.attempt(taskId, rec).then((ok) => {
        if (ok) this.deps.logger?.info({ taskId, agentId: rec.agentId, followUp }, followUp ? 'stray task still not ended: killed it again' : 'killed a stray task (retry)');
      });
    }, ms);
    rec.timer.unref?.();
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}

/**
 * A pod's previous task that Mesos last reported alive (it came back while the pod was being
 * fenced, say) is a stray too: no later update may ever come to trigger the router, so the
 * runtime checks on every pod state change. Returns whether a KILL went out.
 */
export function killLeftover(
  strays: Pick<StrayKiller, 'kill'>,
  lastState: (taskId: string) => string | undefined,
  pod: { task: { taskId: string } | null; lastTask: { taskId: string; agentId: string } | null },
): Promise<boolean> {
  const last = pod.lastTask;
  if (!last || last.taskId === pod.task?.taskId) return Promise.resolve(false);
  const state = lastState(last.taskId);
  if (state === undefined || isTerminalState(state)) return Promise.resolve(false);
  return strays.kill(last.taskId, last.agentId);
}
