import type { SeverityName, SimNode, SimNodeStatus } from './types';
import { SIM_NODE_STATUSES } from './types';

/**
 * What each simulated node status means. Facts and their sources are in docs/portworx-api.md
 * ("Node statuses"); in short:
 * - STATUS_OK: serves I/O, answers, takes attaches and new replicas.
 * - STATUS_OFFLINE: Portworx on the node is down: its endpoint does not answer, its replicas are
 *   out, a volume attached there can only be force-detached.
 * - STATUS_MAINTENANCE: Portworx runs and answers, but the node serves no I/O: its replicas are out
 *   and it refuses attaches.
 * - STATUS_STORAGE_DOWN: the node's pools are down, so its replicas are out, but it still answers
 *   and runs volumes whose data lives on other nodes' replicas.
 * - STATUS_NONE: no status reported; the node works as OK does (Stork counts it online).
 */
export interface NodeStatusTraits {
  /** The node's own SDK endpoint answers requests. */
  answers: boolean;
  /** Replicas on the node count for volume health and serve I/O. */
  replicasServeIo: boolean;
  /** A volume may be attached (and mounted) on the node. */
  takesAttach: boolean;
  /** New replicas may be placed on the node. */
  takesReplicas: boolean;
  /** Stork's reading (mapNodeStatus): online unless offline, maintenance and the like. */
  online: boolean;
  severity: SeverityName;
  /** Alert unique tag, one per status. */
  tag: string;
  /** How the alert message describes the status. */
  describe: string;
}

export const NODE_STATUS_TRAITS: Record<SimNodeStatus, NodeStatusTraits> = {
  STATUS_OK: {
    answers: true,
    replicasServeIo: true,
    takesAttach: true,
    takesReplicas: true,
    online: true,
    severity: 'SEVERITY_TYPE_NOTIFY',
    tag: 'node-online',
    describe: 'is online',
  },
  STATUS_OFFLINE: {
    answers: false,
    replicasServeIo: false,
    takesAttach: false,
    takesReplicas: false,
    online: false,
    severity: 'SEVERITY_TYPE_ALARM',
    tag: 'node-offline',
    describe: 'is offline',
  },
  STATUS_MAINTENANCE: {
    answers: true,
    replicasServeIo: false,
    takesAttach: false,
    takesReplicas: false,
    online: false,
    severity: 'SEVERITY_TYPE_WARNING',
    tag: 'node-maintenance',
    describe: 'is in maintenance mode: its replicas serve no I/O and it takes no attach',
  },
  STATUS_STORAGE_DOWN: {
    answers: true,
    replicasServeIo: false,
    takesAttach: true,
    takesReplicas: false,
    online: true,
    severity: 'SEVERITY_TYPE_ALARM',
    tag: 'node-storage-down',
    describe: 'has its storage down: its replicas serve no I/O, volumes attached there use replicas on other nodes',
  },
  STATUS_NONE: {
    answers: true,
    replicasServeIo: true,
    takesAttach: true,
    takesReplicas: true,
    online: true,
    severity: 'SEVERITY_TYPE_WARNING',
    tag: 'node-status-none',
    describe: 'reports no status (STATUS_NONE)',
  },
};

export function isSimNodeStatus(value: unknown): value is SimNodeStatus {
  return typeof value === 'string' && (SIM_NODE_STATUSES as readonly string[]).includes(value);
}

export function traits(node: SimNode): NodeStatusTraits {
  return NODE_STATUS_TRAITS[node.status];
}

/** The node's own endpoint answers: the host is alive and Portworx on it is not offline. */
export function answers(node: SimNode): boolean {
  return !node.hostDown && traits(node).answers;
}

/**
 * Replicas on the node count for volume health: what the cluster reports, so a crashed host's
 * replicas still count until the cluster notices (the detection delay).
 */
export function replicasServeIo(node: SimNode): boolean {
  return traits(node).replicasServeIo;
}
