import { z } from 'zod';
import { ValidationError } from '../errors/pxfw-error';
import { COS_TYPES, FS_TYPES, IO_PROFILES, RESOURCE_TYPES, SEVERITY_TYPES, type VolumeSpec } from './types';

/* Caller-side inputs of the client, validated before anything is sent. */

const labels = z.record(z.string().min(1), z.string());
const id = z.string().min(1, 'must be a non-empty id');
const bytes = z.union([
  z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  z.bigint().positive(),
  z.string().regex(/^[1-9]\d*$/, 'must be a positive decimal byte count'),
]);

const commonSpec = {
  format: z.enum(FS_TYPES).optional(),
  cos: z.enum(COS_TYPES).optional(),
  io_profile: z.enum(IO_PROFILES).optional(),
  shared: z.boolean().optional(),
  sharedv4: z.boolean().optional(),
  sticky: z.boolean().optional(),
  journal: z.boolean().optional(),
  passphrase: z.string().min(1).optional(),
  /** Consistency group id (VolumeSpec.group.id). */
  group: z.string().min(1).optional(),
  replica_set: z.strictObject({ nodes: z.array(id).min(1) }).optional(),
  snapshot_schedule: z.string().min(1).optional(),
};

export const createVolumeInput = z.strictObject({
  name: z.string().min(1, 'a volume name is required: create is idempotent by name'),
  labels: labels.optional(),
  spec: z.strictObject({
    size: bytes,
    ha_level: z.number().int().min(1).max(3),
    encrypted: z.boolean().optional(),
    topology_requirement: z.strictObject({ labels }).optional(),
    ...commonSpec,
  }),
});
export type CreateVolumeInput = z.input<typeof createVolumeInput>;

export const updateVolumeInput = z.strictObject({
  labels: labels.optional(),
  spec: z
    .strictObject({
      size: bytes.optional(),
      ha_level: z.number().int().min(1).max(3).optional(),
      ...commonSpec,
    })
    .optional(),
});
export type UpdateVolumeInput = z.input<typeof updateVolumeInput>;

export const volumeFiltersInput = z.strictObject({
  name: z.string().min(1).optional(),
  labels: labels.optional(),
  ownership: z.strictObject({ owner: z.string().min(1) }).optional(),
});
export type VolumeFilters = z.input<typeof volumeFiltersInput>;

export const nodeOption = z.strictObject({ node: id.optional() });

export const attachInput = z.strictObject({
  node: id.optional(),
  options: z
    .strictObject({
      secret_name: z.string().optional(),
      secret_key: z.string().optional(),
      secret_context: z.string().optional(),
      fastpath: z.string().optional(),
    })
    .optional(),
  driverOptions: z.record(z.string(), z.string()).optional(),
});
export type AttachInput = z.input<typeof attachInput>;

export const detachInput = z.strictObject({
  node: id.optional(),
  force: z.boolean().optional(),
  unmountBeforeDetach: z.boolean().optional(),
  /** Let the receiving node forward the detach to the node the volume is attached on. */
  redirect: z.boolean().optional(),
});
export type DetachInput = z.input<typeof detachInput>;

export const unmountInput = z.strictObject({
  node: id.optional(),
  deleteMountPath: z.boolean().optional(),
});
export type UnmountInput = z.input<typeof unmountInput>;

export const mountPath = z.string().regex(/^\//, 'must be an absolute path');

export const snapshotFiltersInput = z.strictObject({
  volumeId: id.optional(),
  labels: labels.optional(),
});
export type SnapshotFilters = z.input<typeof snapshotFiltersInput>;

export const groupSnapshotInput = z.strictObject({
  volumeIds: z.array(id).min(1, 'a group snapshot needs at least one volume'),
  /** Group id sent as `id`; generated when absent. */
  groupId: z.string().min(1).optional(),
  labels: labels.optional(),
  deleteOnFailure: z.boolean().optional(),
});
export type GroupSnapshotInput = z.input<typeof groupSnapshotInput>;

const int64 = z.union([z.number().int(), z.string().regex(/^-?\d+$/)]).transform(String);
const alertOption = z.strictObject({
  min_severity_type: z.enum(SEVERITY_TYPES).optional(),
  is_cleared: z.boolean().optional(),
  time_span: z.strictObject({ start_time: z.string().optional(), end_time: z.string().optional() }).optional(),
  count_span: z.strictObject({ min_count: int64.optional(), max_count: int64.optional() }).optional(),
});
const alertQuery = z
  .strictObject({
    resource_type_query: z.strictObject({ resource_type: z.enum(RESOURCE_TYPES) }).optional(),
    alert_type_query: z.strictObject({ resource_type: z.enum(RESOURCE_TYPES), alert_type: int64 }).optional(),
    resource_id_query: z
      .strictObject({ resource_type: z.enum(RESOURCE_TYPES), alert_type: int64, resource_id: id })
      .optional(),
    opts: z.array(alertOption).optional(),
  })
  .refine(
    (q) => [q.resource_type_query, q.alert_type_query, q.resource_id_query].filter(Boolean).length === 1,
    'each alert query needs exactly one of resource_type_query, alert_type_query, resource_id_query',
  );
export const alertQueriesInput = z.array(alertQuery);
export type AlertQueryInput = z.input<typeof alertQuery>;

/** Parse caller input or throw a ValidationError that names every bad field path. */
export function validateInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({
    path: i.path.length ? i.path.map(String).join('.') : '(root)',
    message: i.message,
  }));
  throw new ValidationError(`invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues, {
    cause: parsed.error,
  });
}

type SpecInput = z.output<typeof createVolumeInput>['spec'] | NonNullable<z.output<typeof updateVolumeInput>['spec']>;

/** Caller spec → SDK VolumeSpec JSON: int64 as strings, group as {id}, zero values left out. */
export function toWireSpec(spec: SpecInput): VolumeSpec {
  const { size, ha_level, group, ...rest } = spec;
  const out: VolumeSpec = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) out[k] = v;
  if (size !== undefined) out.size = String(size);
  if (ha_level !== undefined) out.ha_level = String(ha_level);
  if (group !== undefined) out.group = { id: group };
  return out;
}

/** A path id (volume, snapshot, node): a non-empty string. */
export function requireId(value: unknown, field: string): string {
  if (typeof value === 'string' && value !== '') return value;
  throw new ValidationError(`${field} must be a non-empty string`, [{ path: field, message: 'must be a non-empty string' }]);
}
