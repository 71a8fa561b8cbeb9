import { PxfwError } from '../errors';

/** A placement input (request, offer, cluster view) is malformed: a caller bug, not retryable. */
export class PlacementInputError extends PxfwError {
  readonly code = 'PLACEMENT_INPUT_INVALID';
  readonly retryable = false;
  constructor(
    readonly what: string,
    readonly issues: readonly { path: string; message: string }[],
    options?: { cause?: unknown },
  ) {
    super(`invalid ${what}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`, options);
  }
}

/**
 * Not enough healthy storage nodes to pin a new volume's replicas (or the chosen host's node is
 * not up). Retryable: nodes may come back or join.
 */
export class InsufficientReplicaHostsError extends PxfwError {
  readonly code = 'INSUFFICIENT_REPLICA_HOSTS';
  readonly retryable = true;
}

/** A request named a pod type the spec does not declare (a caller bug). */
export class UnknownPodTypeError extends PxfwError {
  readonly code = 'UNKNOWN_POD_TYPE';
  readonly retryable = false;
}
