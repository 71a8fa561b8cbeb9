export * from './types';
export * from './errors';
export { PortworxClient, defaultLegacyUrl, LEGACY_REST_PORT, type PortworxClientOptions } from './client';
export { NODE_HEADER, SdkTransport, type CallSpec, type TransportOptions } from './http';
export { JsonLineDecoder, JsonLineSyntaxError } from './json-lines';
export { replicaHealth, type ReplicaHealth } from './volume-health';
export { ALL_ALERTS, type StreamAlertsOptions } from './alerts';
export type {
  AlertQueryInput,
  AttachInput,
  CreateVolumeInput,
  DetachInput,
  GroupSnapshotInput,
  SnapshotFilters,
  UnmountInput,
  UpdateVolumeInput,
  VolumeFilters,
} from './inputs';
export {
  alertSchema,
  storageClusterSchema,
  storageNodeSchema,
  volumeInspectionSchema,
  volumeSchema,
  volumeSpecSchema,
} from './schemas';
