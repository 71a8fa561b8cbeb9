/** Where a pod is in a recovery (machines/pod-instance.logic.ts recoveryStage), null when not recovering. */
export type RecoveryStageName = 'probation' | 'relaunching' | 'waiting' | 'replacing';

/** relaunch: on the same host; replace: on another host; host-returned: probation ended and the task ran on. */
export type RecoveryType = 'relaunch' | 'replace' | 'host-returned';

/** One pod's state as the tracker needs it, read on each of its transitions. */
export interface RecoveryObservation {
  stage: RecoveryStageName | null;
  /** Running and ready (POD_TAGS.ready): the end of a recovery. */
  ready: boolean;
  /** Stopping, stopped or decommissioned: a recovery in progress is abandoned, not counted. */
  stopping: boolean;
  /** The last event was the operator's (RESTART, REPLACE): a restart asked for is no recovery. */
  operator: boolean;
}

export interface CompletedRecovery {
  pod: string;
  type: RecoveryType;
  startedAt: number;
  endedAt: number;
  seconds: number;
}

interface Open {
  startedAt: number;
  type: RecoveryType;
  operator: boolean;
}

const RANK: Record<RecoveryType, number> = { 'host-returned': 0, relaunch: 1, replace: 2 };

function typeOf(stage: RecoveryStageName): RecoveryType {
  if (stage === 'waiting' || stage === 'replacing') return 'replace';
  return stage === 'relaunching' ? 'relaunch' : 'host-returned';
}

/**
 * Recoveries from their first failure stage (probation, relaunching, waiting for a slot,
 * replacing) until the pod is running and ready again. Each completed one is reported once
 * (`pxfw_recoveries_total`, `pxfw_recovery_seconds`, the console's recovery-time chart). A pod
 * stopped meanwhile (uninstall, scale down, restore) ends its recovery uncounted.
 */
export class RecoveryTracker {
  private readonly open = new Map<string, Open>();
  private readonly done: CompletedRecovery[] = [];

  constructor(
    private readonly onComplete: (r: CompletedRecovery) => void = () => undefined,
    private readonly keep = 200,
  ) {}

  observe(pod: string, o: RecoveryObservation, now: number): void {
    const cur = this.open.get(pod);
    if (o.stopping) {
      this.open.delete(pod);
      return;
    }
    if (o.stage !== null) {
      const type = typeOf(o.stage);
      if (!cur) this.open.set(pod, { startedAt: now, type, operator: o.operator });
      else if (RANK[type] > RANK[cur.type]) cur.type = type;
      return;
    }
    if (!cur || !o.ready) return;
    this.open.delete(pod);
    if (cur.operator) return;
    const r: CompletedRecovery = { pod, type: cur.type, startedAt: cur.startedAt, endedAt: now, seconds: (now - cur.startedAt) / 1000 };
    this.done.push(r);
    if (this.done.length > this.keep) this.done.shift();
    this.onComplete(r);
  }

  /** Pods recovering now, with when they started. */
  inProgress(): { pod: string; type: RecoveryType; startedAt: number }[] {
    return [...this.open.entries()].map(([pod, o]) => ({ pod, type: o.type, startedAt: o.startedAt }));
  }

  /** Completed recoveries, oldest first. */
  completed(): readonly CompletedRecovery[] {
    return this.done;
  }
}
