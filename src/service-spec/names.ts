import { randomBytes } from 'node:crypto';
import { InvalidNameInputError } from './errors';

/**
 * Names. Creating a volume is idempotent only because the same pod instance always yields the
 * same volume name, across scheduler restarts and failovers. Task ids are the opposite: unique per
 * launch, so no update about one launch can ever be taken for another.
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

/** Length in hex digits of the random part of a task id (32 random bits). */
export const TASK_ID_NONCE_HEX = 8;

/**
 * `<service>__<podType>-<index>__<attempt>-<8 hex random>`: a new id for every launch, never
 * reused (a pod instance that is decommissioned and created again starts its attempts at 1 again;
 * the random part keeps a late update of the old task away from the new one, as dcos-commons'
 * UUID suffix does). The pod instance stays derivable, so a restarted scheduler recognises its own
 * tasks in reconciliation. `__` cannot occur in the DNS-label parts, which keeps the id parseable.
 * `nonce` is for tests only; by default it is drawn from crypto.randomBytes.
 */
export function taskIdFor(service: string, podType: string, index: number, attempt: number, nonce = randomNonce()): string {
  checkIndex(index, 'index');
  checkIndex(attempt, 'attempt');
  if (!NONCE.test(nonce)) throw new InvalidNameInputError(`nonce must be ${TASK_ID_NONCE_HEX} lower-case hex digits, got '${nonce}'`);
  return `${service}__${podType}-${index}__${attempt}-${nonce}`;
}

export interface ParsedTaskId {
  service: string;
  podType: string;
  index: number;
  attempt: number;
  /** The random part; absent in ids of the older `__<attempt>` form (restored state). */
  nonce?: string;
}

const NONCE = new RegExp(`^[0-9a-f]{${TASK_ID_NONCE_HEX}}$`);
const TASK_ID = new RegExp(`^([a-z][-a-z0-9]*)__([a-z][-a-z0-9]*)-(\\d+)__(\\d+)(?:-([0-9a-f]{${TASK_ID_NONCE_HEX}}))?$`);

/** The inverse of `taskIdFor` (also the older `__<attempt>` form); undefined for ids this scheduler did not make. */
export function parseTaskId(taskId: string): ParsedTaskId | undefined {
  const m = TASK_ID.exec(taskId);
  if (!m) return undefined;
  const parsed: ParsedTaskId = { service: m[1]!, podType: m[2]!, index: Number(m[3]), attempt: Number(m[4]) };
  if (m[5] !== undefined) parsed.nonce = m[5];
  return parsed;
}

/** Random bytes drawn 4 KiB at a time: one crypto call per ~500 launches, not one per launch. */
const pool = { bytes: Buffer.alloc(0), at: 0 };

function randomNonce(): string {
  const n = TASK_ID_NONCE_HEX / 2;
  if (pool.at + n > pool.bytes.length) {
    pool.bytes = randomBytes(4096);
    pool.at = 0;
  }
  const hex = pool.bytes.toString('hex', pool.at, pool.at + n);
  pool.at += n;
  return hex;
}

function checkIndex(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidNameInputError(`${what} must be a whole number >= 0, got ${n}`);
}
