import { childLogger } from '../../log/logger';
import { SimControlError } from './errors';
import type { ClusterModel } from './model/cluster';
import { requireNode } from './model/control';
import type { SimNode, SimNodeStatus } from './model/types';

const log = childLogger({ module: 'sim-portworx-faults' });

/** Wall-clock timing of node faults (already divided by the simulator's speed). */
export interface NodeFaultTiming {
  /** From a host's death (or its agent's loss in Mesos) to its node reported STATUS_OFFLINE. */
  detectDelayMs: number;
  /** From a boot to the node's Portworx answering and reported STATUS_OK again. */
  bootMs: number;
}

export interface FlapOptions {
  /** Time between two status changes (wall-clock ms, not scaled by speed). */
  periodMs: number;
  /** How many times the node goes offline (and comes back). */
  count: number;
}

export const MAX_FLAPS = 1000;

/**
 * Why a host has timers pending: a crash or a Mesos-reported loss waiting for detection, a boot
 * waiting for startup, or a flap sequence. One schedule per host: a new command replaces it.
 */
type PendingKind = 'crash' | 'detect' | 'boot' | 'flap';

interface Pending {
  kind: PendingKind;
  timers: NodeJS.Timeout[];
}

/** Time-driven node faults on top of the cluster model: crash/boot, Mesos losses, flapping, duplicates. */
export class NodeFaults {
  private readonly pending = new Map<string, Pending>();
  private stopped = false;

  constructor(
    private readonly model: ClusterModel,
    readonly timing: NodeFaultTiming,
  ) {}

  stop(): void {
    this.stopped = true;
    for (const host of [...this.pending.keys()]) this.cancel(host);
  }

  /** What is pending for a host, if anything (for tests and the state route). */
  pendingFor(host: string): PendingKind | undefined {
    return this.pending.get(host)?.kind;
  }

  /**
   * The operator's word on a node's status: it applies at once, replaces anything pending for
   * the host, and (the host is evidently alive) ends a crash.
   */
  setStatus(ref: string, status: SimNodeStatus): SimNode {
    const node = requireNode(this.model, ref);
    this.cancel(node.hostname);
    node.hostDown = false;
    this.model.setNodeStatus(node, status);
    return node;
  }

  /** The host died: its endpoint stops answering now; the cluster reports it offline after the detection delay. */
  crashHost(ref: string): { node: SimNode; detectInMs: number } {
    const node = this.current(ref);
    this.cancel(node.hostname);
    node.hostDown = true;
    this.model.advance();
    log.info({ node: node.hostname, detectInMs: this.timing.detectDelayMs }, 'host crashed');
    this.schedule(node.hostname, 'crash', [[this.timing.detectDelayMs, () => this.model.setNodeStatus(node, 'STATUS_OFFLINE')]]);
    return { node, detectInMs: this.timing.detectDelayMs };
  }

  /** The host is back: after a short startup its Portworx answers and the node is STATUS_OK. */
  bootHost(ref: string): { node: SimNode; readyInMs: number } {
    const node = this.current(ref);
    this.cancel(node.hostname);
    if (!node.hostDown && node.status === 'STATUS_OK') return { node, readyInMs: 0 };
    // Until the startup completes the host's Portworx does not answer.
    node.hostDown = true;
    this.schedule(node.hostname, 'boot', [[this.timing.bootMs, () => this.up(node)]]);
    return { node, readyInMs: this.timing.bootMs };
  }

  /** Alternate STATUS_OFFLINE / STATUS_OK: offline now, then a change every periodMs, ending OK. */
  flapNode(ref: string, opts: FlapOptions): SimNode {
    if (!Number.isFinite(opts.periodMs) || opts.periodMs <= 0) {
      throw new SimControlError(`flap period must be a positive number of milliseconds, got ${opts.periodMs}`);
    }
    if (!Number.isInteger(opts.count) || opts.count < 1 || opts.count > MAX_FLAPS) {
      throw new SimControlError(`flap count must be a whole number from 1 to ${MAX_FLAPS}, got ${opts.count}`);
    }
    const node = this.current(ref);
    this.cancel(node.hostname);
    node.hostDown = false;
    this.model.setNodeStatus(node, 'STATUS_OFFLINE');
    const steps: [number, () => void][] = [];
    for (let i = 1; i < 2 * opts.count; i++) {
      const status: SimNodeStatus = i % 2 === 1 ? 'STATUS_OK' : 'STATUS_OFFLINE';
      steps.push([i * opts.periodMs, () => this.model.setNodeStatus(node, status)]);
    }
    this.schedule(node.hostname, 'flap', steps);
    return node;
  }

  /**
   * The Mesos master lost the host's agent (removed, or unreachable): the node goes offline after
   * the detection delay, unless that is already under way or done.
   */
  detectLoss(host: string, why: string): void {
    const node = this.model.findNodeByHost(host);
    if (!node || node.stale) return;
    const kind = this.pending.get(host)?.kind;
    if (kind === 'crash' || kind === 'detect' || node.status === 'STATUS_OFFLINE') return;
    this.cancel(host);
    log.info({ node: host, why, detectInMs: this.timing.detectDelayMs }, 'Mesos lost the agent: Portworx node offline after the detection delay');
    this.schedule(host, 'detect', [[this.timing.detectDelayMs, () => this.model.setNodeStatus(node, 'STATUS_OFFLINE')]]);
  }

  /** The host's agent is back in Mesos: a loss not yet detected is forgotten, an offline node is back. */
  agentBack(host: string, restore: boolean): void {
    const node = this.model.findNodeByHost(host);
    if (!node || node.stale) return;
    const kind = this.pending.get(host)?.kind;
    if (kind === 'detect' || kind === 'crash') this.cancel(host);
    if (restore || node.hostDown) this.up(node);
  }

  /** Add (or update) a stale second entry for the host: same hostname, another node id. */
  addDuplicateNode(ref: string, opts: { status?: SimNodeStatus; sameIp?: boolean } = {}): SimNode {
    const current = this.current(ref);
    const status = opts.status ?? 'STATUS_OFFLINE';
    const existing = this.model.entriesOfHost(current.hostname).find((n) => n.stale);
    if (existing) {
      this.model.setNodeStatus(existing, status);
      if (opts.sameIp) existing.mgmtIp = current.mgmtIp;
      return existing;
    }
    return this.model.addStaleEntry(current, status, opts.sameIp ?? false);
  }

  /** Remove the host's stale entries; returns how many there were. */
  removeDuplicateNode(ref: string): number {
    const current = this.current(ref);
    const stale = this.model.entriesOfHost(current.hostname).filter((n) => n.stale);
    for (const n of stale) this.model.removeStaleEntry(n);
    return stale.length;
  }

  private up(node: SimNode): void {
    node.hostDown = false;
    this.model.setNodeStatus(node, 'STATUS_OK');
  }

  /** The current (non-stale) entry of a host named by hostname or node id. */
  private current(ref: string): SimNode {
    const node = requireNode(this.model, ref);
    return node.stale ? (this.model.entriesOfHost(node.hostname).find((n) => !n.stale) ?? node) : node;
  }

  private schedule(host: string, kind: PendingKind, steps: [number, () => void][]): void {
    if (this.stopped) return;
    const entry: Pending = { kind, timers: [] };
    steps.forEach(([ms, run], i) => {
      const last = i === steps.length - 1;
      const fire = () => {
        if (last && this.pending.get(host) === entry) this.pending.delete(host);
        run();
      };
      if (ms <= 0) fire();
      else entry.timers.push(setTimeout(fire, ms));
    });
    if (entry.timers.length > 0) this.pending.set(host, entry);
  }

  private cancel(host: string): void {
    const p = this.pending.get(host);
    if (!p) return;
    for (const t of p.timers) clearTimeout(t);
    this.pending.delete(host);
  }
}
