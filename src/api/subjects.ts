import { InvalidRequestError } from './errors';

/** Name of the NATS micro service every pxfw scheduler registers (seen by `$SRV` discovery). */
export const MICRO_SERVICE_NAME = 'pxfw';

/** Headers the CLI sets so the audit log can say who asked (see docs/access-control.md). */
export const USER_HEADER = 'Pxfw-User';
export const CLIENT_ID_HEADER = 'Pxfw-Client-Id';
/** Set by nats-server on requests that cross an account boundary (a service import). */
export const REQUEST_INFO_HEADER = 'Nats-Request-Info';

/**
 * Service names become one subject token and part of the KV bucket name, so they are limited
 * to what both allow (the DC/OS service names pxfw manages are DNS labels, which fit).
 */
const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export function assertServiceName(service: string): string {
  if (!SERVICE_NAME.test(service)) {
    throw new InvalidRequestError(
      `service: '${service}' is not a valid service name (letters, digits, '-' and '_', at most 63, starting with a letter or digit)`,
    );
  }
  return service;
}

/** `pxfw.<service>`: the service group every verb endpoint lives under. */
export function serviceGroupSubject(service: string): string {
  return `pxfw.${assertServiceName(service)}`;
}

/** `pxfw.<service>.<verb>`, e.g. `pxfw.cassandra.pod.replace`. */
export function verbSubject(service: string, verb: string): string {
  return `${serviceGroupSubject(service)}.${verb}`;
}

/** Where every command's audit record is published. */
export function auditSubject(service: string): string {
  return `${serviceGroupSubject(service)}.events.audit`;
}

/** Endpoint names may not contain dots; the subject keeps them (`plan.list` → `plan-list`). */
export function endpointName(verb: string): string {
  return verb.replace(/\./g, '-');
}
