import { z } from 'zod';
import { invalidArgument } from '../errors';
import { COS_TYPES, FS_TYPES, IO_PROFILES, RESOURCE_TYPES, SEVERITY_TYPES, VOLUME_SPEC_FIELDS, VOLUME_SPEC_UPDATE_FIELDS } from './enums';

/**
 * Request bodies of the SDK routes the simulator serves. Like the gateway's JSON unmarshaller, an
 * int64 may come as a string or a number and an unknown field is refused with InvalidArgument.
 */

/** An int64/uint64 given as a decimal string or a JSON number, within JavaScript's safe range. */
const int64 = z
  .union([z.string().regex(/^-?\d+$/, 'expected a decimal integer'), z.number().int()])
  .transform((v, ctx) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) {
      ctx.addIssue({ code: 'custom', message: `integer ${String(v)} is beyond 2^53, which the simulator does not model` });
      return z.NEVER;
    }
    return n;
  });
const uint64 = int64.refine((n) => n >= 0, 'expected a non-negative integer');
const stringMap = z.record(z.string(), z.string());

function knownKeys(fields: Set<string>, message: string) {
  return (obj: Record<string, unknown>, ctx: z.RefinementCtx) => {
    for (const key of Object.keys(obj)) {
      if (!fields.has(key)) ctx.addIssue({ code: 'custom', path: [key], message: `unknown field "${key}" in ${message}` });
    }
  };
}

const replicaSet = z.strictObject({
  id: int64.optional(),
  nodes: z.array(z.string()).optional(),
  pool_uuids: z.array(z.string()).optional(),
});
const group = z.strictObject({ id: z.string().optional() });

export const volumeSpecSchema = z
  .object({
    size: uint64.optional(),
    ha_level: int64.optional(),
    format: z.enum(FS_TYPES).optional(),
    shared: z.boolean().optional(),
    sharedv4: z.boolean().optional(),
    sticky: z.boolean().optional(),
    journal: z.boolean().optional(),
    encrypted: z.boolean().optional(),
    nodiscard: z.boolean().optional(),
    cos: z.enum(COS_TYPES).optional(),
    io_profile: z.enum(IO_PROFILES).optional(),
    group: group.optional(),
    replica_set: replicaSet.optional(),
    volume_labels: stringMap.optional(),
    snapshot_schedule: z.string().optional(),
    snapshot_interval: int64.optional(),
    scale: int64.optional(),
    queue_depth: int64.optional(),
    aggregation_level: int64.optional(),
    block_size: int64.optional(),
  })
  .catchall(z.unknown())
  .superRefine(knownKeys(VOLUME_SPEC_FIELDS, 'api.VolumeSpec'));

export const volumeSpecUpdateSchema = z
  .object({
    size: uint64.optional(),
    ha_level: int64.optional(),
    shared: z.boolean().optional(),
    sharedv4: z.boolean().optional(),
    sticky: z.boolean().optional(),
    journal: z.boolean().optional(),
    nodiscard: z.boolean().optional(),
    cos: z.enum(COS_TYPES).optional(),
    io_profile: z.enum(IO_PROFILES).optional(),
    group: group.optional(),
    replica_set: replicaSet.optional(),
    snapshot_schedule: z.string().optional(),
    snapshot_interval: int64.optional(),
    scale: int64.optional(),
    queue_depth: int64.optional(),
  })
  .catchall(z.unknown())
  .superRefine(knownKeys(VOLUME_SPEC_UPDATE_FIELDS, 'api.VolumeSpecUpdate'));

const ownership = z.unknown();

export const volumeCreateSchema = z.strictObject({
  name: z.string().optional(),
  spec: volumeSpecSchema.optional(),
  labels: stringMap.optional(),
});

export const volumeFilterSchema = z.strictObject({
  name: z.string().optional(),
  labels: stringMap.optional(),
  ownership: ownership.optional(),
  group: group.optional(),
  options: z.strictObject({ deep: z.boolean().optional() }).optional(),
});

export const volumeUpdateSchema = z.strictObject({
  volume_id: z.string().optional(),
  labels: stringMap.optional(),
  spec: volumeSpecUpdateSchema.optional(),
});

export const attachSchema = z.strictObject({
  volume_id: z.string().optional(),
  options: z
    .strictObject({
      secret_name: z.string().optional(),
      secret_key: z.string().optional(),
      secret_context: z.string().optional(),
      fastpath: z.string().optional(),
    })
    .optional(),
  driver_options: stringMap.optional(),
});

export const detachSchema = z.strictObject({
  volume_id: z.string().optional(),
  options: z
    .strictObject({
      force: z.boolean().optional(),
      unmount_before_detach: z.boolean().optional(),
      redirect: z.boolean().optional(),
    })
    .optional(),
  driver_options: stringMap.optional(),
});

export const mountSchema = attachSchema.extend({ mount_path: z.string().optional() });

export const unmountSchema = z.strictObject({
  volume_id: z.string().optional(),
  mount_path: z.string().optional(),
  options: z
    .strictObject({
      delete_mount_path: z.boolean().optional(),
      no_delay_before_deleting_mount_path: z.boolean().optional(),
    })
    .optional(),
  driver_options: stringMap.optional(),
});

export const snapshotCreateSchema = z.strictObject({
  volume_id: z.string().optional(),
  name: z.string().optional(),
  labels: stringMap.optional(),
});

export const snapshotFilterSchema = z.strictObject({
  volume_id: z.string().optional(),
  labels: stringMap.optional(),
});

export const snapshotRestoreSchema = z.strictObject({
  volume_id: z.string().optional(),
  snapshot_id: z.string().optional(),
});

const resourceType = z.enum(RESOURCE_TYPES);
const timestamp = z.iso.datetime({ offset: true });

export const alertsQuerySchema = z.strictObject({
  resource_type_query: z.strictObject({ resource_type: resourceType.optional() }).optional(),
  alert_type_query: z.strictObject({ alert_type: int64.optional(), resource_type: resourceType.optional() }).optional(),
  resource_id_query: z
    .strictObject({ resource_id: z.string().optional(), alert_type: int64.optional(), resource_type: resourceType.optional() })
    .optional(),
  opts: z
    .array(
      z.strictObject({
        min_severity_type: z.enum(SEVERITY_TYPES).optional(),
        is_cleared: z.boolean().optional(),
        time_span: z.strictObject({ start_time: timestamp.optional(), end_time: timestamp.optional() }).optional(),
        count_span: z.strictObject({ min_count: int64.optional(), max_count: int64.optional() }).optional(),
      }),
    )
    .optional(),
});
export type AlertsQuery = z.output<typeof alertsQuerySchema>;

export const alertsFilterSchema = z.strictObject({ queries: z.array(alertsQuerySchema).optional() });

/** Legacy REST decodes with Go's encoding/json: field names match case-insensitively, extras are ignored. */
export const groupSnapSchema = z
  .object({
    id: z.string().optional(),
    labels: stringMap.optional(),
    volume_ids: z.array(z.string()).optional(),
    delete_on_failure: z.boolean().optional(),
  })
  .catchall(z.unknown());

export const markerSchema = z.strictObject({ marker: z.string() });

/** Parse a request body, turning schema failures into InvalidArgument naming each field path. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const res = schema.safeParse(body ?? {});
  if (res.success) return res.data;
  const detail = res.error.issues
    .map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`)
    .join('; ');
  throw invalidArgument(`invalid ${what}: ${detail}`);
}

/** Lower-case the keys of a legacy body so Go's case-insensitive field matching can be mirrored. */
export function lowerKeys(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k.toLowerCase(), v]));
}
