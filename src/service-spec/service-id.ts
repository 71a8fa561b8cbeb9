import { createHash } from 'node:crypto';

/**
 * Per-service launch variables: values every pod of a service shares, derived from the service
 * name alone, so the same service always gets the same value (a reinstall under the same name
 * finds its retained volumes formatted with it) and two services never share one.
 *
 * `SERVICE_UUID` is 16 bytes as 22 base64url characters without padding: the form of a Kafka
 * `Uuid` (`kafka-storage.sh random-uuid`; `Uuid.fromString` decodes base64url to exactly 16 bytes),
 * which a KRaft cluster id must have. Like `Uuid.randomUuid` it never starts with `-` (the tools
 * would read it as an option) and is never one of Kafka's reserved ids (all zero, or 0…01).
 */

/** The names a launch template may use besides discovery.ts' (task and sibling variables). */
export const SERVICE_VARIABLES = ['SERVICE_UUID'] as const;

function digest(name: string, attempt: number): Buffer {
  return createHash('sha256').update(`pxfw/service-uuid/${attempt}/${name}`).digest().subarray(0, 16);
}

function reserved(bytes: Buffer): boolean {
  const allZeroUpTo15 = bytes.subarray(0, 15).every((b) => b === 0);
  return allZeroUpTo15 && (bytes[15] === 0 || bytes[15] === 1);
}

/** The service's stable id: deterministic from its name, a valid KRaft cluster id. */
export function serviceUuid(service: string): string {
  for (let attempt = 0; ; attempt++) {
    const bytes = digest(service, attempt);
    const text = bytes.toString('base64url');
    if (!text.startsWith('-') && !reserved(bytes)) return text;
  }
}

const cache = new Map<string, Readonly<Record<(typeof SERVICE_VARIABLES)[number], string>>>();

/** The per-service variables of a service's launch templates (cached by name). */
export function serviceVariables(service: string): Readonly<Record<(typeof SERVICE_VARIABLES)[number], string>> {
  let vars = cache.get(service);
  if (!vars) {
    vars = Object.freeze({ SERVICE_UUID: serviceUuid(service) });
    cache.set(service, vars);
  }
  return vars;
}
