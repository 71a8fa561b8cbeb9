export {
  PortworxSimulator,
  DEFAULT_POOL_BYTES,
  DEFAULT_DETECT_DELAY_SECONDS,
  DEFAULT_BOOT_SECONDS,
  type PortworxSimulatorOptions,
  type SimNodeView,
  type SimVolumeView,
} from './simulator';
export { parseHostsSpec, defaultTopology, type HostSpec } from './hosts';
export { SERVING_NODE_HEADER } from './http/server';
export { GROUP_SNAPSHOT_LABEL } from './model/snapshot-ops';
export { SimAlertType } from './model/alert-store';
export { SdkStatusError, LegacyApiError, SimConfigError, SimControlError, SimUnknownNodeError } from './errors';
export { placeReplicas, PlacementError, type PlacementCandidate, type PlacementRequest } from './model/placement';
export { SIM_NODE_STATUSES, type SimAlert, type SimNodeStatus, type Topology, type VolumeHealth } from './model/types';
export { NODE_STATUS_TRAITS, type NodeStatusTraits } from './model/node-status';
export type { FlapOptions, NodeFaultTiming } from './node-faults';
