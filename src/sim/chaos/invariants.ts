import type { FaultLog } from './fault-log';
import { isTerminalState, type Truth, type TruthTask } from './truth';

export type ViolationKind =
  | 'double-launch'
  | 'stale-task-kept'
  | 'double-attachment'
  | 'moved-without-evidence'
  | 'call-storm'
  | 'not-converged';

export interface Violation {
  kind: ViolationKind;
  step: number;
  at: number;
  pod?: string;
  message: string;
  evidence: string[];
}

export interface MonitorOptions {
  /** The probation window in wall ms (failure_policy.probation / speed). */
  probationMs: number;
  /** How long a task that came back from a partition may run next to its replacement. */
  staleGraceMs: number;
  /** Interval of the fast watch, for timing tolerances. */
  pollMs: number;
  /** Did the scheduler send a KILL for this task (seen on the wire)? */
  sawKill?: (taskId: string) => boolean;
}

interface TaskMemo {
  firstSeen: number;
  /** Last time it was seen non-terminal on an agent that was down (fenced, not a writer). */
  lastHidden?: number;
  /** When it was seen live again after being hidden. */
  returnedAt?: number;
  runningSince?: number;
  lastState: string;
}

/**
 * Safety invariants checked against ground truth after every observation:
 * - at most one live task per pod (live: not terminal, on a reachable agent of a host we did not
 *   crash); a task that comes back from a partition may overlap its replacement for a grace period;
 * - at most one attachment per non-shared volume;
 * - a pod runs on another host only with evidence: its old host crashed / was removed, was
 *   partitioned or Portworx-OFFLINE for at least half the probation, or the operator moved it.
 */
export class InvariantMonitor {
  private readonly memo = new Map<string, TaskMemo>();
  /** pod → host of its last task seen TASK_RUNNING, and since when. */
  private readonly home = new Map<string, { host: string; since: number; taskId: string }>();
  private readonly reported = new Set<string>();
  readonly violations: Violation[] = [];
  /** Findings that break no safety invariant (e.g. a pod moved after its task died on a host that came straight back). */
  readonly notes: Violation[] = [];
  step = 0;

  constructor(
    private readonly faults: FaultLog,
    private readonly opts: MonitorOptions,
  ) {}

  isLive(t: TruthTask): boolean {
    return !isTerminalState(t.state) && t.agentUp && !this.faults.isCrashed(t.hostname);
  }

  /** A pod was decommissioned (scale-down): its next task may land anywhere. */
  forget(pod: string): void {
    this.home.delete(pod);
  }

  observe(truth: Truth): Violation[] {
    const found: Violation[] = [];
    const now = truth.at;
    const byPod = new Map<string, TruthTask[]>();
    for (const t of truth.tasks) {
      let m = this.memo.get(t.taskId);
      if (!m) this.memo.set(t.taskId, (m = { firstSeen: now, lastState: t.state }));
      m.lastState = t.state;
      const live = this.isLive(t);
      if (!isTerminalState(t.state) && !live) {
        m.lastHidden = now;
        m.returnedAt = undefined;
      } else if (live && m.lastHidden !== undefined && m.returnedAt === undefined) m.returnedAt = now;
      if (live && t.state === 'TASK_RUNNING' && m.runningSince === undefined) m.runningSince = now;
      if (!live) continue;
      byPod.set(t.pod, [...(byPod.get(t.pod) ?? []), t]);
    }
    const newest = new Map<string, number>();
    for (const t of truth.tasks) newest.set(t.pod, Math.max(newest.get(t.pod) ?? 0, this.memo.get(t.taskId)!.firstSeen));
    for (const [pod, tasks] of byPod) {
      if (tasks.length > 1) this.checkOverlap(pod, tasks, now, found);
      for (const t of tasks) this.checkReturned(pod, t, newest.get(pod)!, now, found);
      const running = tasks.filter((t) => t.state === 'TASK_RUNNING').sort((a, b) => this.memo.get(b.taskId)!.firstSeen - this.memo.get(a.taskId)!.firstSeen)[0];
      if (running) this.checkMove(pod, running, now, found);
    }
    for (const v of truth.volumes) {
      const hosts = [...new Set(v.attachedOn)];
      if (!v.shared && hosts.length > 1) {
        this.add(found, `att:${v.name}:${hosts.join(',')}`, { kind: 'double-attachment', at: now, message: `${v.name} attached on ${hosts.join(' and ')}`, evidence: [`volume ${v.id} attached_on ${hosts.join(', ')} (${truth.source})`] });
      }
    }
    return found;
  }

  private checkOverlap(pod: string, tasks: TruthTask[], now: number, found: Violation[]): void {
    const sorted = [...tasks].sort((a, b) => this.memo.get(a.taskId)!.firstSeen - this.memo.get(b.taskId)!.firstSeen);
    const newest = sorted.at(-1)!;
    const born = this.memo.get(newest.taskId)!.firstSeen;
    const evidence = sorted.map((t) => {
      const m = this.memo.get(t.taskId)!;
      return `${t.taskId} ${t.state} on ${t.hostname} (${t.agentId}) first seen ${new Date(m.firstSeen).toISOString()}${m.lastHidden ? `, fenced until ${new Date(m.lastHidden).toISOString()}` : ''}`;
    });
    for (const old of sorted.slice(0, -1)) {
      const m = this.memo.get(old.taskId)!;
      // The old task was behind a partition (or on a restarting agent) when the new one started.
      const fencedAtLaunch = m.lastHidden !== undefined && m.lastHidden >= born - 2 * this.opts.pollMs;
      if (!fencedAtLaunch) {
        this.add(found, `dbl:${old.taskId}:${newest.taskId}`, { kind: 'double-launch', at: now, pod, message: `${pod}: ${newest.taskId} launched while ${old.taskId} was live (${old.state} on ${old.hostname})`, evidence });
      } else if (m.returnedAt !== undefined && now - m.returnedAt > this.opts.staleGraceMs) {
        this.add(found, `stale:${old.taskId}`, { kind: 'stale-task-kept', at: now, pod, message: `${pod}: ${old.taskId} came back on ${old.hostname} and still runs next to ${newest.taskId} ${now - m.returnedAt} ms later`, evidence });
      }
    }
  }

  /** A task back from a partition whose pod has moved on must be killed within the grace period. */
  private checkReturned(pod: string, t: TruthTask, newestSeen: number, now: number, found: Violation[]): void {
    const m = this.memo.get(t.taskId)!;
    if (m.returnedAt === undefined || m.firstSeen >= newestSeen || now - m.returnedAt <= this.opts.staleGraceMs) return;
    this.add(found, `stale:${t.taskId}`, {
      kind: 'stale-task-kept',
      at: now,
      pod,
      message: `${pod}: ${t.taskId} came back on ${t.hostname} after the pod was relaunched elsewhere, and is still ${t.state} ${now - m.returnedAt} ms later`,
      evidence: [`${t.taskId} first seen ${new Date(m.firstSeen).toISOString()}, fenced until ${new Date(m.lastHidden ?? 0).toISOString()}, back at ${new Date(m.returnedAt).toISOString()}`],
    });
  }

  private checkMove(pod: string, t: TruthTask, now: number, found: Violation[]): void {
    const prev = this.home.get(pod);
    // An older task back from a partition is not a move (the stale-task check judges it).
    const homeTask = prev ? this.memo.get(prev.taskId) : undefined;
    if (prev && homeTask && prev.taskId !== t.taskId && this.memo.get(t.taskId)!.firstSeen < homeTask.firstSeen) return;
    this.home.set(pod, { host: t.hostname, since: prev?.host === t.hostname ? prev.since : now, taskId: t.taskId });
    if (!prev || prev.host === t.hostname) return;
    const since = prev.since - 2 * this.opts.pollMs;
    const { strong, weak } = this.faults.evidence(prev.host, since, this.opts.probationMs / 2, now);
    const ops = this.faults.operatorMoved(pod, since);
    if (strong.length > 0 || ops.length > 0) return;
    const oldState = this.memo.get(prev.taskId)?.lastState ?? 'unknown';
    const faultsSeen = `faults on ${prev.host} since it ran there: ${weak.length ? weak.map((e) => `#${e.step} ${e.kind}${e.until ? ` ${e.until - e.at} ms` : ' active'}`).join(', ') : 'none'}`;
    const message = `${pod} moved from ${prev.host} (${prev.taskId}, last seen ${oldState}${this.opts.sawKill?.(prev.taskId) ? ', KILLed by the scheduler' : ''}) to ${t.hostname} (${t.taskId}) without evidence that ${prev.host} was down`;
    // The old task died by itself (LOST after a reboot, FAILED, GONE; no KILL from the scheduler) on
    // a host with a fault: a relaunch elsewhere is a placement choice, not an eviction. Note it.
    const killed = oldState === 'TASK_KILLED' || oldState === 'TASK_KILLING' || (!isTerminalState(oldState) && this.opts.sawKill?.(prev.taskId) === true);
    // (A task still live next to its successor is the double-launch check's business.)
    const diedOnItsOwn = weak.length > 0 && !killed;
    const v = { kind: 'moved-without-evidence' as const, at: now, pod, message, evidence: [faultsSeen] };
    if (diedOnItsOwn) this.note(`move:${pod}:${t.taskId}`, v);
    else this.add(found, `move:${pod}:${t.taskId}`, v);
  }

  private note(key: string, v: Omit<Violation, 'step'>): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.notes.push({ ...v, step: this.step });
  }

  /**
   * Calls of one type sent faster than `maxPerSecond` over a step: a retry loop without backoff
   * (issue 9 saw 3,378 KILLs in 9 s). ACKNOWLEDGE and DECLINE follow the master's event and offer
   * rates, so they are not judged.
   */
  checkCallRates(before: Record<string, number>, after: Record<string, number>, ms: number, maxPerSecond: number): Violation[] {
    const found: Violation[] = [];
    if (ms < 300) return found;
    for (const [type, n] of Object.entries(after)) {
      if (type === 'ACKNOWLEDGE' || type === 'DECLINE') continue;
      const delta = n - (before[type] ?? 0);
      const rate = (delta * 1000) / ms;
      if (delta >= 50 && rate > maxPerSecond) {
        this.add(found, `storm:${type}:${this.step}`, { kind: 'call-storm', at: Date.now(), message: `${delta} ${type} calls in ${ms} ms (${rate.toFixed(0)}/s)`, evidence: [`calls so far: ${JSON.stringify(after)}`] });
      }
    }
    return found;
  }

  private add(found: Violation[], key: string, v: Omit<Violation, 'step'>): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    const full = { ...v, step: this.step };
    found.push(full);
    this.violations.push(full);
  }
}
