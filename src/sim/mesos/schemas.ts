import { SCHEDULER_CALL_TYPES as CLIENT_CALL_TYPES } from '../../mesos/scheduler-types';
import { z } from 'zod';

/**
 * Boundary schemas of the calls the simulated master accepts. They mirror the required fields of
 * scheduler.proto / master.proto / mesos.proto; unknown fields are tolerated, as Mesos' JSON to
 * protobuf conversion ignores them.
 */

/** uint64/int64 arrive as bigint from the lossless parser when they exceed 2^53. */
const num = z.union([z.number(), z.bigint()]).transform((v) => Number(v));

export const idSchema = z.looseObject({ value: z.string().min(1) });

export const resourceSchema = z.looseObject({
  name: z.string().min(1),
  type: z.enum(['SCALAR', 'RANGES', 'SET', 'TEXT']),
  scalar: z.looseObject({ value: num }).optional(),
  ranges: z.looseObject({ range: z.array(z.looseObject({ begin: num, end: num })).default([]) }).optional(),
});

const containerSchema = z.looseObject({ type: z.enum(['DOCKER', 'MESOS']).optional() });

export const executorInfoSchema = z.looseObject({
  type: z.enum(['UNKNOWN', 'DEFAULT', 'CUSTOM']).optional(),
  executor_id: idSchema,
  framework_id: idSchema.optional(),
  command: z.looseObject({}).optional(),
  container: containerSchema.optional(),
  resources: z.array(resourceSchema).default([]),
});

export const taskInfoSchema = z.looseObject({
  name: z.string(),
  task_id: idSchema,
  agent_id: idSchema,
  resources: z.array(resourceSchema).default([]),
  executor: executorInfoSchema.optional(),
  command: z.looseObject({}).optional(),
  container: containerSchema.optional(),
});

export const operationSchema = z.looseObject({
  type: z.enum(['UNKNOWN', 'LAUNCH', 'LAUNCH_GROUP', 'RESERVE', 'UNRESERVE', 'CREATE', 'DESTROY']),
  launch: z.looseObject({ task_infos: z.array(taskInfoSchema).default([]) }).optional(),
  launch_group: z
    .looseObject({
      executor: executorInfoSchema,
      task_group: z.looseObject({ tasks: z.array(taskInfoSchema).default([]) }),
    })
    .optional(),
});

const filtersSchema = z.looseObject({ refuse_seconds: num.optional() });

const capabilitySchema = z.looseObject({
  type: z
    .enum([
      'UNKNOWN',
      'REVOCABLE_RESOURCES',
      'TASK_KILLING_STATE',
      'GPU_RESOURCES',
      'SHARED_RESOURCES',
      'PARTITION_AWARE',
      'MULTI_ROLE',
      'RESERVATION_REFINEMENT',
      'REGION_AWARE',
    ])
    .optional(),
});

export const frameworkInfoSchema = z.looseObject({
  user: z.string(),
  name: z.string(),
  id: idSchema.optional(),
  failover_timeout: num.optional(),
  role: z.string().optional(),
  roles: z.array(z.string()).optional(),
  capabilities: z.array(capabilitySchema).default([]),
});

// The client's call types, plus UNKNOWN, which Mesos parses and then rejects.
export const SCHEDULER_CALL_TYPES = ['UNKNOWN', ...CLIENT_CALL_TYPES] as const;

export const schedulerCallSchema = z.looseObject({
  type: z.enum(SCHEDULER_CALL_TYPES),
  framework_id: idSchema.optional(),
  subscribe: z.looseObject({ framework_info: frameworkInfoSchema }).optional(),
  accept: z
    .looseObject({
      offer_ids: z.array(idSchema).default([]),
      operations: z.array(operationSchema).default([]),
      filters: filtersSchema.optional(),
    })
    .optional(),
  decline: z.looseObject({ offer_ids: z.array(idSchema).default([]), filters: filtersSchema.optional() }).optional(),
  kill: z.looseObject({ task_id: idSchema, agent_id: idSchema.optional() }).optional(),
  acknowledge: z.looseObject({ agent_id: idSchema, task_id: idSchema, uuid: z.string() }).optional(),
  reconcile: z
    .looseObject({
      tasks: z.array(z.looseObject({ task_id: idSchema, agent_id: idSchema.optional() })).default([]),
    })
    .optional(),
  shutdown: z.looseObject({ executor_id: idSchema, agent_id: idSchema }).optional(),
  message: z.looseObject({ agent_id: idSchema, executor_id: idSchema, data: z.string() }).optional(),
  request: z.looseObject({}).optional(),
  accept_inverse_offers: z.looseObject({}).optional(),
  decline_inverse_offers: z.looseObject({}).optional(),
});

export type SchedulerCall = z.output<typeof schedulerCallSchema>;
export type Operation = z.output<typeof operationSchema>;
export type TaskInfoIn = z.output<typeof taskInfoSchema>;
export type ExecutorInfoIn = z.output<typeof executorInfoSchema>;
export type FrameworkInfoIn = z.output<typeof frameworkInfoSchema>;

export const OPERATOR_CALL_TYPES = [
  'UNKNOWN',
  'GET_HEALTH',
  'GET_FLAGS',
  'GET_VERSION',
  'GET_METRICS',
  'GET_LOGGING_LEVEL',
  'SET_LOGGING_LEVEL',
  'LIST_FILES',
  'READ_FILE',
  'GET_STATE',
  'GET_AGENTS',
  'GET_FRAMEWORKS',
  'GET_EXECUTORS',
  'GET_OPERATIONS',
  'GET_TASKS',
  'GET_ROLES',
  'GET_WEIGHTS',
  'UPDATE_WEIGHTS',
  'GET_MASTER',
  'SUBSCRIBE',
  'RESERVE_RESOURCES',
  'UNRESERVE_RESOURCES',
  'CREATE_VOLUMES',
  'DESTROY_VOLUMES',
  'GROW_VOLUME',
  'SHRINK_VOLUME',
  'GET_MAINTENANCE_STATUS',
  'GET_MAINTENANCE_SCHEDULE',
  'UPDATE_MAINTENANCE_SCHEDULE',
  'START_MAINTENANCE',
  'STOP_MAINTENANCE',
  'DRAIN_AGENT',
  'DEACTIVATE_AGENT',
  'REACTIVATE_AGENT',
  'GET_QUOTA',
  'UPDATE_QUOTA',
  'SET_QUOTA',
  'REMOVE_QUOTA',
  'TEARDOWN',
  'MARK_AGENT_GONE',
] as const;

export const operatorCallSchema = z.looseObject({
  type: z.enum(OPERATOR_CALL_TYPES),
  mark_agent_gone: z.looseObject({ agent_id: idSchema }).optional(),
});

export type OperatorCall = z.output<typeof operatorCallSchema>;

/** One line naming every bad field path, in the style of Mesos' JSON to protobuf errors. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      return `${path.replace(/^\./, '') || '(root)'}: ${i.message}`;
    })
    .join('; ');
}
