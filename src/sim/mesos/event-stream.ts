import type { ServerResponse } from 'node:http';
import { encodeRecord } from '../../mesos/recordio';
import { fastStringify } from './fast-json';

export interface EventStreamOptions {
  heartbeatMs: number;
  heartbeat: () => object;
  /** Called with every event written (for the wire recorder). */
  onEvent?: (event: object) => void;
}

/**
 * One open streaming response (scheduler or operator SUBSCRIBE): RecordIO-framed JSON events on
 * a chunked 200 response, plus a HEARTBEAT at once and every heartbeat interval.
 */
export class EventStream {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private corked = false;
  private readonly closeHandlers: (() => void)[] = [];

  constructor(
    private readonly res: ServerResponse,
    private readonly opts: EventStreamOptions,
  ) {
    res.on('close', () => this.finish());
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Start heartbeats; the first one goes out immediately, as a Mesos master does. */
  startHeartbeats(): void {
    if (this.closed) return;
    this.send(this.opts.heartbeat());
    this.timer = setInterval(() => this.send(this.opts.heartbeat()), this.opts.heartbeatMs);
    this.timer.unref();
  }

  /** Write one event; false when the stream is already closed. */
  send(event: object): boolean {
    if (this.closed) return false;
    this.opts.onEvent?.(event);
    // Events produced in one tick (e.g. a burst of status updates) leave in one write.
    if (!this.corked) {
      this.corked = true;
      this.res.cork();
      process.nextTick(() => {
        this.corked = false;
        this.res.uncork();
      });
    }
    this.res.write(encodeRecord(fastStringify(event)));
    return true;
  }

  onClose(handler: () => void): void {
    if (this.closed) handler();
    else this.closeHandlers.push(handler);
  }

  /** End the response from the server side (failover, teardown, replaced subscription). */
  close(): void {
    if (this.closed) return;
    this.res.end();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const h of this.closeHandlers.splice(0)) h();
  }
}
