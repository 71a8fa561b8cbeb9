import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { isRevisionMismatch, parseStateWriteError, StateConflictError, StateCorruptError, StateUnavailableError } from './errors';
import { KvPutPipeline } from './kv-put-pipeline';

/** readAll parses for at most this long (ms) between two turns of the event loop. */
const READ_SLICE_MS = 5;
/** Entries readAll asks the server for at once (about 1.3 KB each for a pod). */
const READ_BATCH = 100;
/** How long one readAll fetch waits for its batch. */
const READ_EXPIRES_MS = 5_000;

export interface Versioned<T> {
  value: T;
  revision: number;
}

/** KV bucket names allow [A-Za-z0-9_-]; service names are DNS labels, so this is lossless. */
export function bucketName(service: string): string {
  return `pxfw-${service}`.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** KV keys allow [-/_=.A-Za-z0-9]; keep the caller's dots as hierarchy separators. */
export function safeKey(key: string): string {
  return key.replace(/[^-/_=.A-Za-z0-9]/g, '_');
}

/**
 * One JetStream KV bucket per service. Every write is compare-and-set against the revision
 * the writer read, so two writers (a stale leader, a restarted scheduler) cannot clobber
 * each other silently.
 */
export class ServiceStateStore {
  private destroyed = false;
  /** Puts go through the connection's pipeline, not kv.update (see KvPutPipeline). */
  private readonly puts: KvPutPipeline;
  /** The subject of key `k` is this prefix and `k` (the KV's own layout: `$KV.<bucket>.<key>`). */
  private readonly subjectPrefix: string;

  private constructor(
    readonly service: string,
    private readonly kv: KV,
    private readonly nc: NatsConnection,
  ) {
    this.puts = KvPutPipeline.of(nc);
    this.subjectPrefix = `$KV.${bucketName(service)}.`;
  }

  /**
   * No write can land any more: the bucket was destroyed through this store (uninstall) or the
   * connection was closed for good (a NATS outage only reconnects: it does not make the store gone).
   */
  get gone(): boolean {
    return this.destroyed || this.nc.isClosed();
  }

  static async open(nc: NatsConnection, service: string): Promise<ServiceStateStore> {
    try {
      const kv = await new Kvm(nc).create(bucketName(service), { history: 1 });
      return new ServiceStateStore(service, kv, nc);
    } catch (cause) {
      throw new StateUnavailableError(`cannot open state bucket for ${service}`, { cause });
    }
  }

  async get<T>(key: string): Promise<Versioned<T> | undefined> {
    let entry;
    try {
      entry = await this.kv.get(safeKey(key));
    } catch (cause) {
      throw new StateUnavailableError(`cannot read state key '${key}'`, { cause });
    }
    if (!entry || entry.operation !== 'PUT' || entry.length === 0) return undefined;
    try {
      return { value: entry.json<T>(), revision: entry.revision };
    } catch (cause) {
      throw new StateCorruptError(`state key '${key}' is not valid JSON`, { cause });
    }
  }

  /**
   * Write `value` if the key is still at `expectedRevision` (0 = must not exist yet).
   * Returns the new revision; throws StateConflictError when another writer got there first.
   */
  async put<T>(key: string, value: T, expectedRevision: number): Promise<number> {
    const k = safeKey(key);
    try {
      // What kv.update's validateKey refuses beyond safeKey's characters.
      if (k.startsWith('.') || k.endsWith('.')) throw new Error(`invalid key: ${k}`);
      const data = JSON.stringify(value);
      return expectedRevision === 0 ? await this.createOrReplaceDeleted(k, data) : await this.puts.put(this.subjectPrefix + k, data, expectedRevision);
    } catch (cause) {
      throw parseStateWriteError(cause, key);
    }
  }

  /** Read-modify-write with retries on conflict; `fn` must be pure (it may run several times). */
  async modify<T>(key: string, fn: (current: T | undefined) => T, attempts = 10): Promise<Versioned<T>> {
    for (let i = 0; ; i++) {
      const cur = await this.get<T>(key);
      const next = fn(cur?.value);
      try {
        const revision = await this.put(key, next, cur?.revision ?? 0);
        return { value: next, revision };
      } catch (err) {
        if (!(err instanceof StateConflictError) || i + 1 >= attempts) throw err;
      }
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.kv.purge(safeKey(key));
    } catch (cause) {
      throw new StateUnavailableError(`cannot delete state key '${key}'`, { cause });
    }
  }

  /** Keys under a prefix (e.g. `pods.`); deleted keys are not listed. */
  async keys(prefix = ''): Promise<string[]> {
    const out: string[] = [];
    try {
      const iter = await this.kv.keys(prefix ? `${safeKey(prefix)}>` : '>');
      for await (const k of iter) out.push(k);
    } catch (cause) {
      throw new StateUnavailableError('cannot list state keys', { cause });
    }
    const live: string[] = [];
    for (const k of out.sort()) if (await this.get(k)) live.push(k);
    return live;
  }

  /**
   * Every live key under `prefix` with its value, in one pass over the bucket's stream, not a get
   * per key: a restore of 10,000 pods is one consumer instead of 10,001 requests. An ordered
   * consumer of the last entry per key, fetched READ_BATCH entries at a time: NATS parses what
   * arrives in one go, so a batch bounds that work (a push consumer let ~2 MB arrive at once: a
   * 40-57 ms task); entries are parsed in slices of READ_SLICE_MS with a turn of the loop between.
   */
  async readAll<T = unknown>(prefix = ''): Promise<Map<string, Versioned<T>>> {
    const out = new Map<string, Versioned<T>>();
    const subjects = `$KV.${bucketName(this.service)}.`;
    let sliceStart = performance.now();
    try {
      const consumer = await jetstream(this.nc).consumers.get(`KV_${bucketName(this.service)}`, {
        filter_subjects: `${subjects}${prefix ? `${safeKey(prefix)}>` : '>'}`,
        deliver_policy: DeliverPolicy.LastPerSubject,
      });
      let pending = (await consumer.info(true)).num_pending;
      while (pending > 0) {
        let got = 0;
        for await (const m of await consumer.fetch({ max_messages: READ_BATCH, expires: READ_EXPIRES_MS })) {
          got += 1;
          pending = m.info.pending;
          const key = m.subject.slice(subjects.length);
          // A delete or purge marker carries a KV-Operation header; a value carries none.
          if (m.data.length > 0 && !m.headers?.get('KV-Operation')) out.set(key, { value: this.decode<T>(key, () => m.json<T>()), revision: m.seq });
          else out.delete(key);
          if (performance.now() - sliceStart >= READ_SLICE_MS) {
            await new Promise<void>((r) => setImmediate(r));
            sliceStart = performance.now();
          }
        }
        // Nothing came before the fetch expired though entries are pending: never hand back part of the state.
        if (got === 0) throw new Error(`no entry arrived in ${READ_EXPIRES_MS} ms with ${pending} pending`);
      }
    } catch (cause) {
      if (cause instanceof StateCorruptError) throw cause;
      throw new StateUnavailableError('cannot read the state bucket', { cause });
    }
    return out;
  }

  private decode<T>(key: string, parse: () => T): T {
    try {
      return parse();
    } catch (cause) {
      throw new StateCorruptError(`state key '${key}' is not valid JSON`, { cause });
    }
  }

  /** Remove the whole bucket (the last step of uninstall). */
  async destroy(): Promise<void> {
    // Marked first: a write failing because the bucket is going away is dropped, not retried.
    this.destroyed = true;
    try {
      await this.kv.destroy();
    } catch (cause) {
      this.destroyed = false;
      throw new StateUnavailableError(`cannot delete state bucket for ${this.service}`, { cause });
    }
  }

  private async createOrReplaceDeleted(key: string, data: string): Promise<number> {
    try {
      return await this.puts.put(this.subjectPrefix + key, data, 0);
    } catch (err) {
      if (!isRevisionMismatch(err)) throw err;
      // A key whose last entry is a delete or purge marker has a last sequence: replace the marker.
      // A live value means a real conflict.
      const entry = await this.kv.get(key);
      if (entry && entry.operation === 'PUT' && entry.length > 0) throw new StateConflictError(key, { cause: err });
      if (!entry) throw new StateConflictError(key, { cause: err });
      return await this.puts.put(this.subjectPrefix + key, data, entry.revision);
    }
  }
}
