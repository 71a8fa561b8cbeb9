/**
 * What the chaos run did, in order: every fault (with when it healed), wire-fault bursts and
 * operator commands. Invariant checks read it as the evidence a replacement needs.
 */
export type FaultKind =
  | 'crash'
  | 'restart'
  | 'restart-new-id'
  | 'partition'
  | 'gone'
  | 'remove-agent'
  | 'px-offline'
  | 'px-maintenance'
  | 'px-storage-down'
  | 'px-none'
  | 'px-flap'
  | 'px-duplicate'
  | 'scheduler-kill'
  | 'nats-restart'
  | 'master-failover'
  | 'wire-burst'
  | 'wire-cut'
  | 'wire-lose'
  | 'op-scale'
  | 'op-replace'
  | 'op-snapshot'
  | 'heal';

export interface FaultEntry {
  step: number;
  at: number;
  kind: FaultKind;
  host?: string;
  pod?: string;
  detail: string;
  /** When the fault ended (healed, restarted, status back to OK); unset while active. */
  until?: number;
}

/** Faults that prove a host is down, provided they lasted at least `minMs` (0: any duration). */
const STRONG: Partial<Record<FaultKind, 'any' | 'lasting'>> = {
  crash: 'any',
  gone: 'any',
  'remove-agent': 'any',
  partition: 'lasting',
  'px-offline': 'lasting',
  // Logged with `until` at the end of its first offline span.
  'px-flap': 'lasting',
};

export class FaultLog {
  readonly entries: FaultEntry[] = [];

  add(e: Omit<FaultEntry, 'at'> & { at?: number }): FaultEntry {
    const entry = { ...e, at: e.at ?? Date.now() };
    this.entries.push(entry);
    return entry;
  }

  /** Active host faults of `kinds` on `host` (not healed yet). */
  active(host: string, kinds?: readonly FaultKind[]): FaultEntry[] {
    return this.entries.filter((e) => e.host === host && e.until === undefined && (!kinds || kinds.includes(e.kind)));
  }

  /** Every host fault still active. */
  allActive(): FaultEntry[] {
    return this.entries.filter((e) => e.host !== undefined && e.until === undefined && e.kind !== 'heal');
  }

  end(entry: FaultEntry, at = Date.now()): void {
    if (entry.until === undefined) entry.until = at;
  }

  /** Is `host` dead right now by our own hand (crashed and not rebooted)? */
  isCrashed(host: string): boolean {
    return this.active(host, ['crash', 'remove-agent', 'gone']).length > 0;
  }

  /**
   * Evidence that `host` was down between `since` and `now`: strong faults (a crash, the agent
   * removed, or a partition / Portworx OFFLINE lasting `minMs`), and the weak ones seen as well.
   */
  evidence(host: string, since: number, minMs: number, now = Date.now()): { strong: FaultEntry[]; weak: FaultEntry[] } {
    const strong: FaultEntry[] = [];
    const weak: FaultEntry[] = [];
    for (const e of this.entries) {
      if (e.host !== host || e.kind === 'heal') continue;
      const end = e.until ?? now;
      if (end < since) continue;
      const rule = STRONG[e.kind];
      if (rule === 'any' || (rule === 'lasting' && end - e.at >= minMs)) strong.push(e);
      else weak.push(e);
    }
    return { strong, weak };
  }

  /** An operator command about `pod` since `since` (replace, scale-down that removed it). */
  operatorMoved(pod: string, since: number): FaultEntry[] {
    return this.entries.filter((e) => e.at >= since && e.pod === pod && (e.kind === 'op-replace' || e.kind === 'op-scale'));
  }

  /** One line per entry, for a violation report. */
  describe(limit = 200): string[] {
    return this.entries.slice(-limit).map((e) => {
      const dur = e.until !== undefined ? ` (${e.until - e.at} ms)` : e.host ? ' (active)' : '';
      return `#${e.step} ${e.kind}${e.host ? ` ${e.host}` : ''}${e.pod ? ` ${e.pod}` : ''}${e.detail ? `: ${e.detail}` : ''}${dur}`;
    });
  }
}
