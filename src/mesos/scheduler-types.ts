import type {
  AgentID,
  ExecutorID,
  Filters,
  FrameworkID,
  FrameworkInfo,
  InverseOffer,
  MasterInfo,
  Offer,
  OfferID,
  OfferOperation,
  TaskID,
  TaskStatus,
  KillPolicy,
} from './types';

/** Scheduler API (`/api/v1/scheduler`) messages, as in scheduler/scheduler.proto. */

export const SCHEDULER_EVENT_TYPES = [
  'SUBSCRIBED',
  'OFFERS',
  'INVERSE_OFFERS',
  'RESCIND',
  'RESCIND_INVERSE_OFFER',
  'UPDATE',
  'MESSAGE',
  'FAILURE',
  'ERROR',
  'HEARTBEAT',
] as const;
export type SchedulerEventType = (typeof SCHEDULER_EVENT_TYPES)[number];

export interface SubscribedEvent {
  type: 'SUBSCRIBED';
  subscribed: { framework_id: FrameworkID; heartbeat_interval_seconds?: number; master_info?: MasterInfo };
}
export interface OffersEvent { type: 'OFFERS'; offers: { offers?: Offer[] } }
export interface InverseOffersEvent { type: 'INVERSE_OFFERS'; inverse_offers: { inverse_offers?: InverseOffer[] } }
export interface RescindEvent { type: 'RESCIND'; rescind: { offer_id: OfferID } }
export interface RescindInverseOfferEvent {
  type: 'RESCIND_INVERSE_OFFER';
  rescind_inverse_offer: { inverse_offer_id: OfferID };
}
export interface UpdateEvent { type: 'UPDATE'; update: { status: TaskStatus } }
export interface MessageEvent {
  type: 'MESSAGE';
  message: { agent_id: AgentID; executor_id: ExecutorID; data: string };
}
/** An agent loss gives a FAILURE with `agent_id` only; an executor exit adds executor_id+status. */
export interface FailureEvent {
  type: 'FAILURE';
  failure: { agent_id?: AgentID; executor_id?: ExecutorID; status?: number };
}
export interface ErrorEvent { type: 'ERROR'; error: { message: string } }
export interface HeartbeatEvent { type: 'HEARTBEAT' }

export type SchedulerEvent =
  | SubscribedEvent
  | OffersEvent
  | InverseOffersEvent
  | RescindEvent
  | RescindInverseOfferEvent
  | UpdateEvent
  | MessageEvent
  | FailureEvent
  | ErrorEvent
  | HeartbeatEvent;

export const SCHEDULER_CALL_TYPES = [
  'SUBSCRIBE',
  'TEARDOWN',
  'ACCEPT',
  'DECLINE',
  'ACCEPT_INVERSE_OFFERS',
  'DECLINE_INVERSE_OFFERS',
  'REVIVE',
  'KILL',
  'SHUTDOWN',
  'ACKNOWLEDGE',
  'RECONCILE',
  'MESSAGE',
  'REQUEST',
  'SUPPRESS',
] as const;
export type SchedulerCallType = (typeof SCHEDULER_CALL_TYPES)[number];

/** The body of a call, without the top-level framework_id the client adds. */
export type SchedulerCallBody =
  | { type: 'SUBSCRIBE'; subscribe: { framework_info: FrameworkInfo; suppressed_roles?: string[] } }
  | { type: 'TEARDOWN' }
  | { type: 'ACCEPT'; accept: { offer_ids: OfferID[]; operations: OfferOperation[]; filters?: Filters } }
  | { type: 'DECLINE'; decline: { offer_ids: OfferID[]; filters?: Filters } }
  | { type: 'REVIVE'; revive?: { roles?: string[] } }
  | { type: 'SUPPRESS'; suppress?: { roles?: string[] } }
  | { type: 'KILL'; kill: { task_id: TaskID; agent_id?: AgentID; kill_policy?: KillPolicy } }
  | { type: 'SHUTDOWN'; shutdown: { executor_id: ExecutorID; agent_id: AgentID } }
  | { type: 'ACKNOWLEDGE'; acknowledge: { agent_id: AgentID; task_id: TaskID; uuid: string } }
  | { type: 'RECONCILE'; reconcile: { tasks?: { task_id: TaskID; agent_id?: AgentID }[] } }
  | { type: 'MESSAGE'; message: { agent_id: AgentID; executor_id: ExecutorID; data: string } };

export type SchedulerCall = SchedulerCallBody & { framework_id?: FrameworkID };
