import { Agent, type Dispatcher } from 'undici';
import { PxfwError } from '../errors';
import { exchange, type ExchangeAnswer } from '../util/http-exchange';

/**
 * How long a kept-alive call connection may sit idle before this client closes it. Shorter than
 * any server we talk to keeps one (Mesos/libprocess never closes an idle connection; the
 * simulators keep them 65 s and more), so the client always closes first and never writes a call
 * onto a socket the server is closing under it (ECONNRESET). A server's `Keep-Alive: timeout=N`
 * hint shortens it further (undici closes 2 s before the hint).
 */
export const CALL_IDLE_TIMEOUT_MS = 30_000;

/** Connections per master: a burst of thousands of ACKNOWLEDGEs queues here instead. */
export const CALL_CONNECTIONS = 32;

/**
 * The scheduler's hot calls (ACKNOWLEDGE, ACCEPT, DECLINE, …) go through undici: it measured
 * about twice node:http's rate and six times got's on the same keep-alive sink
 * (bench/http-clients.bench.ts, docs/bench.md). One dispatcher for the process, one pool per origin
 * (a 307 to another master gets its own pool).
 */
const CALL_DISPATCHER: Dispatcher = new Agent({
  connections: CALL_CONNECTIONS,
  keepAliveTimeout: CALL_IDLE_TIMEOUT_MS,
  keepAliveMaxTimeout: CALL_IDLE_TIMEOUT_MS,
});

/** A call's whole exchange took longer than its timeout (got's `timeout.request` did the same). */
export class CallTimeoutError extends PxfwError {
  readonly code = 'MESOS_CALL_TIMEOUT';
  readonly retryable = true;
  constructor(readonly timeoutMs: number) {
    super(`Timeout awaiting 'request' for ${timeoutMs}ms`);
  }
}

export type CallAnswer = ExchangeAnswer;

/**
 * POST one JSON call and read the whole answer, with no redirect following and no retries (the
 * caller does both). Rejects with the transport's error (connection refused, reset, timeout,
 * abort); `cause.code` keeps the socket error code callSurelyRejected reads.
 *
 * Through undici's dispatch with a handler of our own (util/http-exchange.ts), not undici.request
 * (an ACKNOWLEDGE per status update goes through here).
 */
export function postCall(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<CallAnswer> {
  return exchange(CALL_DISPATCHER, { method: 'POST', url, headers, body }, timeoutMs, () => new CallTimeoutError(timeoutMs), signal);
}
