/**
 * Blast-radius limits for automatic replacement (issue: "failover that holds on a real cluster").
 *
 * A replacement moves a pod off its host and force-detaches its volumes: right for one dead host,
 * wrong in bulk. Stork learned this in the field (libopenstorage/stork#1842: rate-limit evictions
 * when many nodes go offline at once). So a pod whose failure is confirmed permanent waits in
 * `failed.awaiting-slot` until the governor grants it a slot:
 * - at most `maxConcurrentReplacements` replacements of one pod type run at once;
 * - when more than `outage.share` of the Portworx nodes, and at least `outage.minNodes`, went
 *   offline within `outage.windowMs`, that looks like a storage control-plane outage rather than
 *   dead hosts: every automatic replacement pauses (with an event) until the share of offline
 *   nodes falls back to the threshold. Triggered by a burst, cleared by the level.
 *
 * The governor holds no state worth persisting: after a restart the runtime reports every pod's
 * phase again (a pod already re-attaching counts as active), and waiting pods queue anew.
 */

export type ReplacementPhase = 'waiting' | 'replacing' | 'done';

export interface ReplacementPolicy {
  maxConcurrentReplacements: number;
  maxUnavailable: number;
}

export interface StorageOutagePolicy {
  /** Pause when more than this share of the nodes went offline within the window (0..1). */
  share: number;
  /** …and at least this many nodes. */
  minNodes: number;
  windowMs: number;
}

export type GovernorEventKind = 'queued' | 'granted' | 'paused' | 'resumed';

export interface GovernorEvent {
  kind: GovernorEventKind;
  pod?: string;
  reason: string;
}

export interface ReplacementGovernorDeps {
  policy(podType: string): ReplacementPolicy;
  outage: StorageOutagePolicy;
  /** Allow the pod to start replacing now (the runtime sends it REPLACE_GRANTED). */
  grant(pod: string): void;
  emit(e: GovernorEvent): void;
  now(): number;
}

export interface GovernorStatus {
  paused: boolean;
  reason: string | null;
  /** Pods granted a slot (replacing, or granted and about to start). */
  active: string[];
  /** Pods waiting for a slot, oldest first. */
  queued: string[];
}

interface TrackedPod {
  name: string;
  podType: string;
  phase: 'waiting' | 'replacing';
  granted: boolean;
  since: number;
}

export class ReplacementGovernor {
  private readonly pods = new Map<string, TrackedPod>();
  /** Hostname → when it was first seen offline (absent: online). */
  private readonly offlineSince = new Map<string, number>();
  private nodeCount = 0;
  private pauseReason: string | null = null;

  constructor(private readonly deps: ReplacementGovernorDeps) {}

  /** Report a pod's phase; idempotent, called on every pod state change. */
  track(pod: { name: string; podType: string; operator?: boolean }, phase: ReplacementPhase): void {
    const prev = this.pods.get(pod.name);
    if (phase === 'done') {
      if (prev) {
        this.pods.delete(pod.name);
        this.pump();
      }
      return;
    }
    if (phase === 'replacing') {
      if (prev?.phase === 'replacing') return;
      this.pods.set(pod.name, { name: pod.name, podType: pod.podType, phase, granted: true, since: prev?.since ?? this.deps.now() });
      return;
    }
    if (prev?.phase === 'waiting') return;
    if (pod.operator) {
      // `pod replace` is the operator's decision: no limit or pause applies, but it takes a slot.
      this.pods.set(pod.name, { name: pod.name, podType: pod.podType, phase, granted: true, since: this.deps.now() });
      this.deps.emit({ kind: 'granted', pod: pod.name, reason: `${pod.name}: replacement requested by the operator` });
      this.deps.grant(pod.name);
      return;
    }
    // A pod that was replacing and waits again (its new host failed too) queues behind the others.
    this.pods.set(pod.name, { name: pod.name, podType: pod.podType, phase, granted: false, since: this.deps.now() });
    this.deps.emit({ kind: 'queued', pod: pod.name, reason: `${pod.name} waits for a replacement slot` });
    this.pump();
  }

  /** The latest Portworx node list (one entry per host, duplicates already resolved). */
  observeStorage(nodes: { hostname: string; online: boolean }[]): void {
    const now = this.deps.now();
    const seen = new Set<string>();
    for (const n of nodes) {
      seen.add(n.hostname);
      if (n.online) this.offlineSince.delete(n.hostname);
      else if (!this.offlineSince.has(n.hostname)) this.offlineSince.set(n.hostname, now);
    }
    for (const host of [...this.offlineSince.keys()]) if (!seen.has(host)) this.offlineSince.delete(host);
    this.nodeCount = seen.size;
    this.updatePause(now);
  }

  /** May one more pod of this type be taken down on purpose (restart, replace of a running pod)? */
  mayDisrupt(podType: string, down: number): boolean {
    return down < this.deps.policy(podType).maxUnavailable;
  }

  maxUnavailable(podType: string): number {
    return this.deps.policy(podType).maxUnavailable;
  }

  status(): GovernorStatus {
    const byAge = [...this.pods.values()].sort((a, b) => a.since - b.since);
    return {
      paused: this.pauseReason !== null,
      reason: this.pauseReason,
      active: byAge.filter((p) => p.granted).map((p) => p.name),
      queued: byAge.filter((p) => !p.granted).map((p) => p.name),
    };
  }

  private updatePause(now: number): void {
    const { share, minNodes, windowMs } = this.deps.outage;
    const offline = this.offlineSince.size;
    const recent = [...this.offlineSince.values()].filter((t) => now - t <= windowMs).length;
    const over = (n: number) => this.nodeCount > 0 && n >= minNodes && n / this.nodeCount > share;
    if (this.pauseReason === null && over(recent)) {
      this.pauseReason =
        `automatic replacement paused: ${recent} of ${this.nodeCount} Portworx nodes went offline within ` +
        `${Math.round(windowMs / 1000)} s, which looks like a storage outage rather than failed hosts; ` +
        `it resumes once no more than ${Math.floor(share * this.nodeCount)} are offline (\`pod replace\` still works)`;
      this.deps.emit({ kind: 'paused', reason: this.pauseReason });
    } else if (this.pauseReason !== null && !over(offline)) {
      this.pauseReason = null;
      this.deps.emit({ kind: 'resumed', reason: `automatic replacement resumed: ${offline} of ${this.nodeCount} Portworx nodes offline` });
      this.pump();
    }
  }

  /** Grant slots to waiting pods, oldest first, within each type's limit. */
  private pump(): void {
    if (this.pauseReason !== null) return;
    const active = new Map<string, number>();
    for (const p of this.pods.values()) if (p.granted) active.set(p.podType, (active.get(p.podType) ?? 0) + 1);
    const waiting = [...this.pods.values()].filter((p) => !p.granted).sort((a, b) => a.since - b.since);
    for (const p of waiting) {
      const n = active.get(p.podType) ?? 0;
      if (n >= Math.max(1, this.deps.policy(p.podType).maxConcurrentReplacements)) continue;
      p.granted = true;
      active.set(p.podType, n + 1);
      this.deps.emit({ kind: 'granted', pod: p.name, reason: `${p.name} may be replaced now` });
      this.deps.grant(p.name);
    }
  }
}
