import { PxfwError } from '../errors';
import { GrpcCode } from '../portworx/errors';

/** A volume has no healthy replica left: relaunching elsewhere would lose data. */
export class NoHealthyReplicaError extends PxfwError {
  readonly code = 'NO_HEALTHY_REPLICA';
  readonly retryable = true;
}

/**
 * The pod's type is no longer in the service spec (a rollback or a restart with another spec):
 * its volumes and task cannot be built, and no retry changes that. Terminal, so the pod machine
 * parks the pod (blocked) and the message tells the operator the two ways out.
 */
export class PodTypeRemovedError extends PxfwError {
  readonly code = 'POD_TYPE_REMOVED';
  readonly retryable = false;
  constructor(
    readonly service: string,
    readonly podType: string,
    readonly pod: string,
  ) {
    super(
      `pod type '${podType}' is no longer in the spec of service '${service}', so pod ${pod} is parked: ` +
        `restore pod type '${podType}' in the spec (pxfw ${service} config update), or decommission ${pod}`,
    );
  }
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

/** gRPC codes Portworx answers a create with when a pinned replica node cannot take it (the simulator: INTERNAL). */
const PINNED_NODE_REFUSAL_CODES: ReadonlySet<number> = new Set([
  GrpcCode.UNKNOWN,
  GrpcCode.INVALID_ARGUMENT,
  GrpcCode.FAILED_PRECONDITION,
  GrpcCode.INTERNAL,
  GrpcCode.UNAVAILABLE,
]);
// Portworx says why a node cannot take a replica only in words (no code of its own).
const NODE_UNUSABLE = /\b(offline|not online|is down|not up|storage down|maintenance|unavailable)\b/i;

/**
 * Parser for a refused volume create: one Portworx refused because a node named in
 * `replica_set.nodes` is not up (say "replica_set.nodes: node <id> is offline") is a stale view,
 * not a bad request. It becomes a retryable ReplicaNodeUnavailableError, and the next attempt
 * re-pins. Anything else is returned as is.
 */
export function classifyCreateError(err: unknown, volume: string, pinnedHosts: string[], pinnedNodeIds: string[]): unknown {
  const grpcCode = (err as { grpcCode?: unknown } | null)?.grpcCode;
  const message = (err as { message?: unknown } | null)?.message;
  if (typeof grpcCode !== 'number' || typeof message !== 'string' || !PINNED_NODE_REFUSAL_CODES.has(grpcCode)) return err;
  const namesPinnedNode = message.includes('replica_set') || [...pinnedNodeIds, ...pinnedHosts].some((ref) => message.includes(ref));
  if (!namesPinnedNode || !NODE_UNUSABLE.test(message)) return err;
  return new ReplicaNodeUnavailableError(
    `Portworx refused volume ${volume}: a node its replicas were pinned on (${pinnedHosts.join(', ')}) is not up; re-pinning on the next attempt (${message})`,
    pinnedHosts,
    { cause: err },
  );
}
