import { PxfwError } from '../errors';

/** A volume has no healthy replica left: relaunching elsewhere would lose data. */
export class NoHealthyReplicaError extends PxfwError {
  readonly code = 'NO_HEALTHY_REPLICA';
  readonly retryable = true;
}

/** No host can take a new volume's replicas yet (too few storage nodes up or known). */
export class NoStorageHostError extends PxfwError {
  readonly code = 'NO_STORAGE_HOST';
  readonly retryable = true;
}

/** The scheduler is not subscribed to Mesos, so a Mesos call cannot be made now. */
export class NotConnectedError extends PxfwError {
  readonly code = 'NOT_CONNECTED';
  readonly retryable = true;
}

/** Another scheduler instance leads this service; this one stands by. */
export class NotLeaderError extends PxfwError {
  readonly code = 'NOT_LEADER';
  readonly retryable = true;
}

/** A pre/post snapshot command failed or timed out inside a task. */
export class SnapshotCommandError extends PxfwError {
  readonly code = 'SNAPSHOT_COMMAND_FAILED';
  readonly retryable = false;
}

/** Killed tasks did not report a terminal state in time (the kill is retried). */
export class KillTimeoutError extends PxfwError {
  readonly code = 'KILL_TIMEOUT';
  readonly retryable = true;
  constructor(
    message: string,
    readonly taskIds: string[],
  ) {
    super(message);
  }
}

/** A forced detach returned, but Portworx still shows the volume attached (the fence is retried). */
export class FenceNotConfirmedError extends PxfwError {
  readonly code = 'FENCE_NOT_CONFIRMED';
  readonly retryable = true;
}

/**
 * Portworx refused a new volume because a node its replicas were pinned on is not up (offline,
 * in maintenance, storage down): our view of the nodes was stale. Retryable: the next attempt
 * re-reads the nodes and pins the replicas again, on nodes that are up.
 */
export class ReplicaNodeUnavailableError extends PxfwError {
  readonly code = 'REPLICA_NODE_UNAVAILABLE';
  readonly retryable = true;
  constructor(
    message: string,
    /** The hosts the refused create had pinned replicas on. */
    readonly pinnedHosts: string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
