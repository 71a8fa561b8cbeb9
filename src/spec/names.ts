import { InvalidNameInputError } from './errors';

/**
 * Deterministic names. Creating a volume or launching a task is idempotent only because the same
 * pod instance always yields the same name, across scheduler restarts and failovers.
 */

/** `<podType>-<index>`, e.g. `node-0`. */
export function podInstanceName(podType: string, index: number): string {
  checkIndex(index, 'index');
  return `${podType}-${index}`;
}

/** `<service>-<podType>-<index>-<volume>`, e.g. `cassandra-node-0-data`. */
export function volumeName(service: string, podType: string, index: number, volume: string): string {
  checkIndex(index, 'index');
  return `${service}-${podType}-${index}-${volume}`;
}

/**
 * `<service>__<podType>-<index>__<attempt>`: unique per launch attempt yet derivable, so a
 * restarted scheduler recognises its own tasks in reconciliation. `__` cannot occur in the DNS-label
 * parts, which keeps the id parseable.
 */
export function taskIdFor(service: string, podType: string, index: number, attempt: number): string {
  checkIndex(index, 'index');
  checkIndex(attempt, 'attempt');
  return `${service}__${podType}-${index}__${attempt}`;
}

export interface ParsedTaskId {
  service: string;
  podType: string;
  index: number;
  attempt: number;
}

/** The inverse of `taskIdFor`; undefined for ids this scheduler did not make. */
export function parseTaskId(taskId: string): ParsedTaskId | undefined {
  const m = /^([a-z][-a-z0-9]*)__([a-z][-a-z0-9]*)-(\d+)__(\d+)$/.exec(taskId);
  if (!m) return undefined;
  return { service: m[1]!, podType: m[2]!, index: Number(m[3]), attempt: Number(m[4]) };
}

function checkIndex(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidNameInputError(`${what} must be a whole number >= 0, got ${n}`);
}
