import { z } from 'zod';
import { ValidationError } from '../errors';

/** Subject root of Portworx alerts on NATS: `portworx.alerts.<cluster-id>.<resource-type>`. */
export const ALERT_SUBJECT_ROOT = 'portworx.alerts';
/** The JetStream stream that keeps them (created if missing, file storage). */
export const ALERT_STREAM = 'PORTWORX_ALERTS';

const RESOURCE_TYPES = [
  'RESOURCE_TYPE_NONE',
  'RESOURCE_TYPE_VOLUME',
  'RESOURCE_TYPE_NODE',
  'RESOURCE_TYPE_CLUSTER',
  'RESOURCE_TYPE_DRIVE',
  'RESOURCE_TYPE_POOL',
] as const;
const SEVERITIES = ['SEVERITY_TYPE_NONE', 'SEVERITY_TYPE_ALARM', 'SEVERITY_TYPE_WARNING', 'SEVERITY_TYPE_NOTIFY'] as const;
const int64String = z.string().regex(/^-?\d+$/, 'expected an int64 as a decimal string');

/** An OpenStorage SDK `Alert` as the REST gateway writes it (zero values omitted). */
export const sdkAlertSchema = z.object({
  id: int64String.optional(),
  severity: z.enum(SEVERITIES).optional(),
  alert_type: int64String.optional(),
  message: z.string().optional(),
  timestamp: z.iso.datetime({ offset: true }).optional(),
  resource_id: z.string().optional(),
  resource: z.enum(RESOURCE_TYPES).optional(),
  cleared: z.boolean().optional(),
  ttl: z.string().regex(/^\d+$/).optional(),
  unique_tag: z.string().optional(),
  count: int64String.optional(),
  first_seen: z.iso.datetime({ offset: true }).optional(),
});
export type SdkAlert = z.infer<typeof sdkAlertSchema>;

/** `RESOURCE_TYPE_NODE` → `node`: the last subject token. */
export function resourceToken(resource: string | undefined): string {
  return (resource ?? 'RESOURCE_TYPE_NONE').replace(/^RESOURCE_TYPE_/, '').toLowerCase();
}

/** A cluster id must be one NATS subject token. */
export function assertSubjectToken(value: string, what: string): void {
  if (!value || /[\s.*>]/.test(value)) {
    throw new ValidationError(
      `${what} "${value}" cannot be a NATS subject token: it must be non-empty without spaces, '.', '*' or '>'`,
      [{ path: what, message: 'not a NATS subject token' }],
    );
  }
}

export function alertSubject(clusterId: string, resource: string | undefined): string {
  assertSubjectToken(clusterId, 'cluster id');
  return `${ALERT_SUBJECT_ROOT}.${clusterId}.${resourceToken(resource)}`;
}

/**
 * The identity of one alert event: the same alert raised again (new timestamp) or cleared later is
 * a new event; the same state seen twice is not. Used as the JetStream `Nats-Msg-Id`.
 */
export function alertDedupeKey(clusterId: string, alert: SdkAlert): string {
  return `${clusterId}:${alert.id ?? '0'}:${alert.timestamp ?? ''}:${alert.cleared ? 'cleared' : 'open'}`;
}
