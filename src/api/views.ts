import { z } from 'zod';
import { BadReplyError } from './client-errors';

/**
 * Schemas of the replies the CLI renders (the JSON of operations.ts). Unknown fields are
 * dropped here (a newer scheduler may add some); --json prints the raw reply with them.
 */
const nullableString = z.string().nullable();

export const stepViewSchema = z.object({ name: z.string(), status: z.string(), message: z.string().optional() });
/** `paused`: the phase is paused itself (phase-level pause); optional, an older scheduler does not say. */
export const phaseViewSchema = z.object({
  name: z.string(),
  strategy: z.string(),
  status: z.string(),
  steps: z.array(stepViewSchema),
  paused: z.boolean().optional(),
});
export const planViewSchema = z.object({
  name: z.string(),
  status: z.string(),
  paused: z.boolean(),
  phases: z.array(phaseViewSchema),
  errors: z.array(z.string()),
});

export const podViewSchema = z.object({
  name: z.string(),
  podType: z.string(),
  index: z.number(),
  state: z.string(),
  reason: nullableString,
  taskId: nullableString,
  taskState: nullableString,
  agentId: nullableString,
  hostname: nullableString,
  volumes: z.array(z.object({ name: z.string(), id: nullableString, replicaHosts: z.array(z.string()) })),
});
export const podInfoSchema = podViewSchema.extend({ spec: z.unknown(), history: z.array(z.unknown()) });

export const operationResultSchema = z.object({ accepted: z.boolean(), message: z.string() });
export const scaleResultSchema = operationResultSchema.extend({ plan: planViewSchema.nullable() });
export const configUpdateResultSchema = operationResultSchema.extend({ changedPods: z.array(z.string()) });

export const snapshotViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  podType: nullableString,
  volumes: z.array(z.object({ volumeId: z.string(), volumeName: z.string(), snapshotId: z.string() })),
  postCommandsError: nullableString.optional(),
});
export const endpointViewSchema = z.object({
  name: z.string(),
  addresses: z.array(z.string()),
  dns: z.array(z.string()).optional(),
  podType: z.string().optional(),
  port: z.string().optional(),
});
export const configListSchema = z.object({
  target: nullableString,
  configs: z.array(z.object({ id: z.string(), storedAt: nullableString, target: z.boolean() })),
});
export const storedConfigSchema = z.object({ id: z.string(), yaml: z.string(), storedAt: nullableString, target: z.boolean() });
export const offerEvaluationSchema = z.object({ pod: z.string(), evaluatedAt: z.string(), lines: z.array(z.string()) });
export const serviceStatusSchema = z.object({
  service: z.string(),
  state: z.string(),
  uninstalled: z.boolean(),
  message: z.string(),
  uninstall: z
    .object({
      deleteVolumes: z.boolean(),
      deleteSnapshots: z.boolean(),
      done: z.array(z.string()),
      uninstalledAt: nullableString,
      app: nullableString,
    })
    .nullable(),
});
export const configShowSchema = z.object({
  yaml: z.string(),
  spec: z.unknown(),
  target: z.string().optional(),
  previous: z.string().nullable().optional(),
  pods: z.array(z.object({ name: z.string(), configId: z.string().nullable() })).optional(),
});

/** Check a reply against its schema; a mismatch names the field, so version skew is obvious. */
export function parseReply<S extends z.ZodType>(schema: S, reply: unknown, verb: string): z.output<S> {
  const parsed = schema.safeParse(reply);
  if (parsed.success) return parsed.data;
  const where = parsed.error.issues.map((i) => `${i.path.join('.') || 'reply'}: ${i.message}`).join('; ');
  throw new BadReplyError(`unexpected reply to ${verb} (is the scheduler a different pxfw version?): ${where}`, { cause: parsed.error });
}
