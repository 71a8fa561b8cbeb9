export {
  PortworxSimulator,
  DEFAULT_POOL_BYTES,
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
export type { SimAlert, Topology, VolumeHealth } from './model/types';
