import { z } from 'zod';
import { MesosProtocolError } from './errors';
import { OPERATOR_EVENT_TYPES, type OperatorEvent } from './operator-types';
import { SCHEDULER_EVENT_TYPES, type SchedulerEvent } from './scheduler-types';
import { TASK_STATES, type TaskStatus } from './types';
import type { CheckStatusInfo } from '../../machines/task-status';
import { parseOrThrow } from './validate';
import { WorkBudget } from '../util/work-budget';

/**
 * Boundary checks on what the master streams: the fields pxfw acts on must be there and have
 * the right shape. Other fields pass through untouched (loose objects), so newer masters work.
 */
const id = z.looseObject({ value: z.string().min(1) });
const resource = z.looseObject({ name: z.string(), type: z.enum(['SCALAR', 'RANGES', 'SET', 'TEXT']) });
const offer = z.looseObject({
  id,
  framework_id: id,
  agent_id: id,
  hostname: z.string(),
  resources: z.array(resource).optional(),
});
/** TaskStatus.check_status (mesos.proto CheckStatusInfo): the type, and the result once there is one. */
const checkStatusInfo = z.looseObject({
  type: z.enum(['UNKNOWN', 'COMMAND', 'HTTP', 'TCP']).optional(),
  command: z.looseObject({ exit_code: z.number().int().optional() }).optional(),
  http: z.looseObject({ status_code: z.number().int().optional() }).optional(),
  tcp: z.looseObject({ succeeded: z.boolean().optional() }).optional(),
});
const taskStatus = z.looseObject({
  task_id: id,
  state: z.enum(TASK_STATES),
  agent_id: id.optional(),
  uuid: z.string().optional(),
  timestamp: z.number().optional(),
  // The health check's verdict (REASON_TASK_HEALTH_CHECK_STATUS_UPDATED) and the check's last
  // result (REASON_TASK_CHECK_STATUS_UPDATED); the default executor copies both into every update.
  healthy: z.boolean().optional(),
  check_status: checkStatusInfo.optional(),
});
const task = z.looseObject({ task_id: id, framework_id: id, agent_id: id, state: z.enum(TASK_STATES), name: z.string() });
const agentInfo = z.looseObject({ hostname: z.string(), id: id.optional() });
const operatorAgent = z.looseObject({ agent_info: agentInfo, active: z.boolean().optional() });

const schedulerEventSchema = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('SUBSCRIBED'),
    subscribed: z.looseObject({ framework_id: id, heartbeat_interval_seconds: z.number().positive().optional() }),
  }),
  z.looseObject({ type: z.literal('OFFERS'), offers: z.looseObject({ offers: z.array(offer).optional() }) }),
  z.looseObject({ type: z.literal('INVERSE_OFFERS'), inverse_offers: z.looseObject({}) }),
  z.looseObject({ type: z.literal('RESCIND'), rescind: z.looseObject({ offer_id: id }) }),
  z.looseObject({ type: z.literal('RESCIND_INVERSE_OFFER'), rescind_inverse_offer: z.looseObject({ inverse_offer_id: id }) }),
  z.looseObject({ type: z.literal('UPDATE'), update: z.looseObject({ status: taskStatus }) }),
  z.looseObject({ type: z.literal('MESSAGE'), message: z.looseObject({ agent_id: id, executor_id: id, data: z.string() }) }),
  z.looseObject({
    type: z.literal('FAILURE'),
    failure: z.looseObject({ agent_id: id.optional(), executor_id: id.optional(), status: z.number().optional() }),
  }),
  z.looseObject({ type: z.literal('ERROR'), error: z.looseObject({ message: z.string() }) }),
  z.looseObject({ type: z.literal('HEARTBEAT') }),
]);

const operatorEventSchema = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('SUBSCRIBED'),
    subscribed: z.looseObject({ heartbeat_interval_seconds: z.number().positive().optional() }),
  }),
  z.looseObject({ type: z.literal('TASK_ADDED'), task_added: z.looseObject({ task }) }),
  z.looseObject({
    type: z.literal('TASK_UPDATED'),
    task_updated: z.looseObject({ framework_id: id, status: taskStatus, state: z.enum(TASK_STATES) }),
  }),
  z.looseObject({ type: z.literal('AGENT_ADDED'), agent_added: z.looseObject({ agent: operatorAgent }) }),
  z.looseObject({ type: z.literal('AGENT_REMOVED'), agent_removed: z.looseObject({ agent_id: id }) }),
  z.looseObject({ type: z.literal('FRAMEWORK_ADDED'), framework_added: z.looseObject({}) }),
  z.looseObject({ type: z.literal('FRAMEWORK_UPDATED'), framework_updated: z.looseObject({}) }),
  z.looseObject({ type: z.literal('FRAMEWORK_REMOVED'), framework_removed: z.looseObject({}) }),
  z.looseObject({ type: z.literal('HEARTBEAT') }),
]);

const typed = z.looseObject({ type: z.string() });
const protocolError = (message: string): MesosProtocolError => new MesosProtocolError(message);

/** A scheduler event, or undefined for an event type this client does not know (newer master). */
export function parseSchedulerEvent(raw: unknown): SchedulerEvent | undefined {
  const { type } = parseOrThrow(typed, raw, 'scheduler event', protocolError);
  if (!(SCHEDULER_EVENT_TYPES as readonly string[]).includes(type)) return undefined;
  return parseOrThrow(schedulerEventSchema, raw, 'scheduler event', protocolError) as SchedulerEvent;
}

/** Offers validated per slice by default: ~1-2 ms of zod on an idle machine (the time cap bounds a loaded one). */
export const VALIDATE_SLICE_OFFERS = 200;

/** An OFFERS event with its offers left unchecked: they are checked one by one, in slices. */
const offersEnvelope = z.looseObject({
  type: z.literal('OFFERS'),
  offers: z.looseObject({ offers: z.array(z.unknown()).optional() }),
});

/**
 * `parseSchedulerEvent`, with the offers of an OFFERS event (2,000 at 2,000 agents) checked a
 * slice of `budget` at a time, so that the event loop turns between slices. The same checks and
 * the same error (the first bad offer's path, e.g. `scheduler event.offers.offers[17].hostname`).
 */
export async function parseSchedulerEventInSlices(
  raw: unknown,
  budget = new WorkBudget({ maxUnits: VALIDATE_SLICE_OFFERS }),
): Promise<SchedulerEvent | undefined> {
  const { type } = parseOrThrow(typed, raw, 'scheduler event', protocolError);
  if (type !== 'OFFERS') return parseSchedulerEvent(raw);
  const envelope = parseOrThrow(offersEnvelope, raw, 'scheduler event', protocolError);
  const list = envelope.offers.offers;
  if (list === undefined) return envelope as SchedulerEvent;
  const offers: unknown[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    offers[i] = parseOrThrow(offer, list[i], 'scheduler event', protocolError, ['offers', 'offers', i]);
    await budget.step(1);
  }
  return { ...envelope, offers: { ...envelope.offers, offers } } as SchedulerEvent;
}

/** An operator event, or undefined for an event type this client does not know. */
export function parseOperatorEvent(raw: unknown): OperatorEvent | undefined {
  const { type } = parseOrThrow(typed, raw, 'operator event', protocolError);
  if (!(OPERATOR_EVENT_TYPES as readonly string[]).includes(type)) return undefined;
  return parseOrThrow(operatorEventSchema, raw, 'operator event', protocolError) as OperatorEvent;
}


/**
 * What a pod learns about its checks from a TaskStatus (already validated by parseSchedulerEvent):
 * `healthy` and `check_status`, as the TASK_UPDATE event to the pod carries them.
 */
export function checkFieldsOf(status: TaskStatus & { check_status?: unknown }): { healthy?: boolean; checkStatus?: CheckStatusInfo } {
  const out: { healthy?: boolean; checkStatus?: CheckStatusInfo } = {};
  if (status.healthy !== undefined) out.healthy = status.healthy;
  // Parsed only when present: most updates carry none, and a failed parse builds an error.
  if (status.check_status !== undefined) {
    const check = checkStatusInfo.safeParse(status.check_status);
    if (check.success) out.checkStatus = check.data as CheckStatusInfo;
  }
  return out;
}
