import type { Versioned } from '../../state/state-store';
import type { PersistQueue } from '../persist-queue';

/** The service's KV bucket: reads, compare-and-set writes, deletes (ServiceStateStore is the adapter). */
export interface StateStore {
  get<T>(key: string): Promise<Versioned<T> | undefined>;
  /** Compare-and-set: `expectedRevision` 0 creates the key; a mismatch throws StateConflictError. */
  put<T>(key: string, value: T, expectedRevision: number): Promise<number>;
  /** Read-modify-write with compare-and-set, retried on a conflict. */
  modify<T>(key: string, fn: (current: T | undefined) => T, attempts?: number): Promise<Versioned<T>>;
  delete(key: string): Promise<void>;
  keys(prefix?: string): Promise<string[]>;
}

/**
 * The persist queues: the supervisor's keys (framework record, tombstone) and the pod records.
 * Writes are queued (one in flight per key, latest wins); `flush*` waits until they are in KV.
 */
export interface StateWrites {
  /** Queue a write of one of the supervisor's keys (never an older value after a newer one). */
  writeFramework(key: string, value: unknown): void;
  /** Write one of the supervisor's keys now and wait until it is in KV. */
  writeFrameworkNow(key: string, value: unknown): Promise<void>;
  flushFramework(): Promise<void>;
  /** Every pod record queued so far is in KV. */
  flushPods(): Promise<void>;
}

/** The adapter over the two kinds of queue the controller has (PersistQueue, PodRegistry). */
export class QueuedStateWrites implements StateWrites {
  constructor(
    private readonly framework: PersistQueue,
    private readonly pods: { flushAll(): Promise<void> },
  ) {}

  writeFramework(key: string, value: unknown): void {
    this.framework.write(key, value);
  }

  async writeFrameworkNow(key: string, value: unknown): Promise<void> {
    this.framework.write(key, value);
    await this.framework.flush(key);
  }

  flushFramework(): Promise<void> {
    return this.framework.flushAll();
  }

  flushPods(): Promise<void> {
    return this.pods.flushAll();
  }
}
