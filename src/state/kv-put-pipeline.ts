import { JetStreamApiError } from '@nats-io/jetstream';
import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import { PxfwError } from '../errors';

/** A put not answered in this long fails (as JetStream's own publish does by default). */
export const PUT_TIMEOUT_MS = 5_000;
/** How often unanswered puts are checked for their timeout. */
const SWEEP_MS = 500;
/** JetStream's header for a compare-and-set publish (what KV update/create send). */
const EXPECTED_LAST_SUBJECT_SEQ = 'Nats-Expected-Last-Subject-Sequence';

/** A put waiting for the batch it leaves in. */
interface Outgoing {
  subject: string;
  data: string;
  expectedSeq: number;
  token: string;
}

interface Waiting {
  resolve: (seq: number) => void;
  reject: (err: Error) => void;
  /** When the put times out (performance.now(), monotonic: a wall-clock jump does not time out every put). */
  due: number;
}

/** A put that got no answer in PUT_TIMEOUT_MS (NATS down, a reconnect lost it): retryable. */
export class KvPutTimeoutError extends PxfwError {
  readonly code = 'KV_PUT_TIMEOUT';
  readonly retryable = true;
}

/** JetStream answered a put with no ack (no stream bound to the subject: 503 no responders), or the connection closed. */
export class KvPutFailedError extends PxfwError {
  readonly code = 'KV_PUT_FAILED';
  readonly retryable = true;
}

/**
 * Compare-and-set KV puts pipelined over one reply subscription per connection. nats.js makes each
 * `kv.update` a request of its own: a reply token, a mux entry, a timer, a deferred and, once
 * answered, an Error (with a stack capture) to reject the settled deferred with. A status update
 * costs one put, so that was about a tenth of its CPU. Here a put is one publish with a reply
 * subject under our inbox, one map entry and one promise; one timer sweeps the timeouts.
 *
 * Puts leave in batches, once per turn of the event loop (setImmediate): nats.js writes its
 * buffer to the socket once per microtask checkpoint, so puts made by 1,000 status updates handled
 * one after another (each after an await) were 1,000 socket writes; now they are a few.
 */
export class KvPutPipeline {
  private inbox = '';
  private readonly waiting = new Map<string, Waiting>();
  private sub: Subscription | undefined;
  private next = 0;
  private sweeper: ReturnType<typeof setInterval> | undefined;
  private outbox: Outgoing[] = [];

  private constructor(private readonly nc: NatsConnection) {
    this.listen();
    void nc.closed().then(() => this.failAll(new KvPutFailedError('NATS connection closed')));
  }

  /**
   * The reply subscription, under a fresh inbox (under the connection's own inbox prefix, if it
   * has one: an account may allow only that). nats.js closes a subscription that gets an error
   * (a permission violation): the next put listens again, as nats.js re-creates its request mux.
   */
  private listen(): void {
    this.inbox = createInbox((this.nc as { options?: { inboxPrefix?: string } }).options?.inboxPrefix);
    this.sub = this.nc.subscribe(`${this.inbox}.*`, { callback: (err, msg) => (err ? this.failAll(err) : this.answer(msg)) });
  }

  /** One pipeline per connection (every store on it shares the subscription). */
  static of(nc: NatsConnection): KvPutPipeline {
    let p = pipelines.get(nc);
    if (!p) pipelines.set(nc, (p = new KvPutPipeline(nc)));
    return p;
  }

  /**
   * Publish `data` to `subject` if its last sequence is `expectedSeq` (0: no entry yet). Resolves
   * with the new sequence (the key's revision); rejects with JetStream's JetStreamApiError (e.g.
   * wrong last sequence), KvPutTimeoutError or KvPutFailedError.
   */
  put(subject: string, data: string, expectedSeq: number): Promise<number> {
    if (this.nc.isClosed()) return Promise.reject(new KvPutFailedError('NATS connection closed'));
    if (!this.sub || this.sub.isClosed()) this.listen();
    const token = (this.next++).toString(36);
    return new Promise<number>((resolve, reject) => {
      this.waiting.set(token, { resolve, reject, due: performance.now() + PUT_TIMEOUT_MS });
      this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS).unref();
      if (this.outbox.length === 0) setImmediate(() => this.publishBatch());
      this.outbox.push({ subject, data, expectedSeq, token });
    });
  }

  /** Publish every put of this turn, in the order they were made. */
  private publishBatch(): void {
    const batch = this.outbox;
    this.outbox = [];
    for (const put of batch) {
      const w = this.waiting.get(put.token);
      if (!w) continue; // failed already (the connection closed)
      const h = headers();
      h.set(EXPECTED_LAST_SUBJECT_SEQ, String(put.expectedSeq));
      try {
        this.nc.publish(put.subject, put.data, { reply: `${this.inbox}.${put.token}`, headers: h });
      } catch (err) {
        this.waiting.delete(put.token);
        w.reject(err as Error);
      }
    }
  }

  private answer(msg: Msg): void {
    const token = msg.subject.slice(this.inbox.length + 1);
    const w = this.waiting.get(token);
    if (!w) return; // timed out already
    this.waiting.delete(token);
    if (msg.data.length === 0) {
      w.reject(new KvPutFailedError(`no JetStream ack (status ${msg.headers?.code ?? 'none'} ${msg.headers?.description ?? ''})`.trim()));
      return;
    }
    let ack: { seq?: number; error?: ConstructorParameters<typeof JetStreamApiError>[0] };
    try {
      ack = msg.json();
    } catch (cause) {
      w.reject(new KvPutFailedError('JetStream ack is not JSON', { cause }));
      return;
    }
    if (ack.error) w.reject(new JetStreamApiError(ack.error));
    else if (typeof ack.seq === 'number') w.resolve(ack.seq);
    else w.reject(new KvPutFailedError('JetStream ack without a sequence'));
  }

  /** Puts are answered in about the order they were sent: the oldest are first in the map. */
  private sweep(): void {
    const now = performance.now();
    for (const [token, w] of this.waiting) {
      if (w.due > now) break;
      this.waiting.delete(token);
      w.reject(new KvPutTimeoutError(`no JetStream ack in ${PUT_TIMEOUT_MS} ms`));
    }
    if (this.waiting.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private failAll(err: Error): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of all) w.reject(err instanceof Error ? err : new KvPutFailedError(String(err)));
    if (this.nc.isClosed()) {
      pipelines.delete(this.nc);
      if (this.sweeper) clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Puts sent and not answered yet. */
  get inFlight(): number {
    return this.waiting.size;
  }

  /** Stop listening (tests). */
  close(): void {
    this.sub?.unsubscribe();
    pipelines.delete(this.nc);
  }
}

const pipelines = new WeakMap<NatsConnection, KvPutPipeline>();
