/** Public API of the Mesos v1 HTTP client (JSON content type). */
export * from './types';
export * from './errors';
export { createAuthProvider, mesosAuthSchema, type AuthProvider, type MesosAuth } from './auth';
export { MesosHttp, type MesosApi, type MesosEventStream, type MesosHttpOptions, type MesosReply, type ExchangeOptions } from './http';
export {
  MesosSchedulerClient,
  type DisconnectedEvent,
  type MesosSchedulerClientOptions,
  type SchedulerClientEvent,
  type SchedulerEventListener,
} from './scheduler-client';
export {
  MesosOperatorClient,
  type AgentsView,
  type MesosOperatorClientOptions,
  type OperatorClientEvent,
  type OperatorEventListener,
  type TasksView,
} from './operator-client';
export * from './builders';
export { ResourcePool, roundScalar } from './resources';
export { parseSchedulerEvent, parseOperatorEvent } from './event-schemas';
export { RecordIODecoder, RecordIOError, RecordIOTruncatedError, encodeRecord, recordStrings } from './recordio';
export { Watchdog, consumeStream, runReconnectLoop, type StreamControl, type ConnectionOutcome } from './stream-loop';
export * from './agent-client';
