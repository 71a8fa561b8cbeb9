import { z } from 'zod';
import type { Logger } from '../log/logger';
import { Recorder } from '../record/recorder';
import { enumerateAlerts, streamAlerts, type StreamAlertsOptions } from './alerts';
import { SdkTransport } from './http';
import {
  validateInput,
  type AlertQueryInput,
  type AttachInput,
  type CreateVolumeInput,
  type DetachInput,
  type GroupSnapshotInput,
  type SnapshotFilters,
  type UnmountInput,
  type UpdateVolumeInput,
  type VolumeFilters,
} from './inputs';
import { attach, detach, mount, unmount } from './mount-attach';
import { enumerateNodes, inspectCluster, inspectCurrentNode, inspectNode } from './nodes';
import { createGroupSnapshot, createSnapshot, enumerateSnapshots, restoreSnapshot } from './snapshots';
import type { Alert, GroupSnapshotResult, Labels, StorageCluster, StorageNode, VolumeInspection } from './types';
import {
  createVolume,
  deleteVolume,
  enumerateVolumes,
  findVolumeByName,
  inspectVolume,
  inspectVolumeWithFilters,
  updateVolume,
} from './volumes';

/** Legacy REST port of Portworx (group snapshots live there, not in the SDK). */
export const LEGACY_REST_PORT = 9001;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const optionsSchema = z.strictObject({
  /** SDK REST gateway, e.g. http://host:9021. */
  url: httpUrl,
  /** Legacy REST; default: the SDK host on port 9001. */
  legacyUrl: httpUrl.optional(),
  /** Bearer token (JWT) for a secured cluster. */
  token: z.string().min(1).optional(),
  /** Per-attempt timeout. */
  timeoutMs: z.number().int().positive().default(10_000),
  /** Extra attempts for idempotent calls on retryable errors. */
  retries: z.number().int().min(0).max(10).default(3),
  retryBackoff: z
    .strictObject({ baseMs: z.number().int().min(0), maxMs: z.number().int().min(0) })
    .default({ baseMs: 200, maxMs: 5_000 }),
  recorder: z.custom<Recorder>((v) => v instanceof Recorder, { error: 'must be a Recorder' }).optional(),
  logger: z.custom<Logger>((v) => typeof v === 'object' && v !== null && 'child' in v).optional(),
  /** Base URL of one node's own SDK endpoint, for node-local calls (attach, mount, …). */
  nodeEndpoint: z.custom<(node: string) => string>((v) => typeof v === 'function').optional(),
});

export type PortworxClientOptions = z.input<typeof optionsSchema>;

export function defaultLegacyUrl(sdkUrl: string): string {
  const u = new URL(sdkUrl);
  u.port = String(LEGACY_REST_PORT);
  u.pathname = '/';
  return u.toString().replace(/\/$/, '');
}

/**
 * Client of the OpenStorage SDK REST gateway (Portworx) plus the one legacy REST call pxfw
 * needs (group snapshots). Every exchange is timed out, recorded when a recorder is given, and
 * retried only when the call is idempotent (see http.ts).
 */
export class PortworxClient {
  readonly transport: SdkTransport;

  /** The SDK gateway this client talks to (for messages that name the endpoint). */
  get url(): string {
    return this.transport.opts.url;
  }

  constructor(options: PortworxClientOptions) {
    const o = validateInput(optionsSchema, options, 'PortworxClient options');
    this.transport = new SdkTransport({
      url: o.url,
      legacyUrl: o.legacyUrl ?? defaultLegacyUrl(o.url),
      token: o.token,
      timeoutMs: o.timeoutMs,
      retries: o.retries,
      backoff: o.retryBackoff,
      recorder: o.recorder,
      logger: o.logger,
      nodeEndpoint: o.nodeEndpoint,
    });
  }

  // volumes
  createVolume(input: CreateVolumeInput): Promise<string> {
    return createVolume(this.transport, input);
  }
  inspectVolume(volumeId: string): Promise<VolumeInspection> {
    return inspectVolume(this.transport, volumeId);
  }
  inspectVolumeWithFilters(filters: VolumeFilters): Promise<VolumeInspection[]> {
    return inspectVolumeWithFilters(this.transport, filters);
  }
  findVolumeByName(name: string): Promise<VolumeInspection | undefined> {
    return findVolumeByName(this.transport, name);
  }
  updateVolume(volumeId: string, update: UpdateVolumeInput): Promise<void> {
    return updateVolume(this.transport, volumeId, update);
  }
  deleteVolume(volumeId: string): Promise<{ alreadyGone: boolean }> {
    return deleteVolume(this.transport, volumeId);
  }
  enumerateVolumes(filters?: VolumeFilters): Promise<string[]> {
    return enumerateVolumes(this.transport, filters);
  }

  // attach / mount (node-local)
  attach(volumeId: string, opts?: AttachInput): Promise<{ devicePath: string }> {
    return attach(this.transport, volumeId, opts);
  }
  detach(volumeId: string, opts?: DetachInput): Promise<void> {
    return detach(this.transport, volumeId, opts);
  }
  mount(volumeId: string, mountPath: string, opts?: { node?: string }): Promise<void> {
    return mount(this.transport, volumeId, mountPath, opts);
  }
  unmount(volumeId: string, mountPath: string, opts?: UnmountInput): Promise<void> {
    return unmount(this.transport, volumeId, mountPath, opts);
  }

  // snapshots
  createSnapshot(volumeId: string, name: string, labels?: Labels): Promise<string> {
    return createSnapshot(this.transport, volumeId, name, labels);
  }
  enumerateSnapshots(filters?: SnapshotFilters): Promise<string[]> {
    return enumerateSnapshots(this.transport, filters);
  }
  restoreSnapshot(volumeId: string, snapshotId: string): Promise<void> {
    return restoreSnapshot(this.transport, volumeId, snapshotId);
  }
  /** A snapshot is a volume: deleting one is a volume delete. */
  deleteSnapshot(snapshotId: string): Promise<{ alreadyGone: boolean }> {
    return deleteVolume(this.transport, snapshotId);
  }
  createGroupSnapshot(input: GroupSnapshotInput): Promise<GroupSnapshotResult> {
    return createGroupSnapshot(this.transport, input);
  }

  // nodes and cluster
  enumerateNodes(): Promise<StorageNode[]> {
    return enumerateNodes(this.transport);
  }
  inspectNode(nodeId: string): Promise<StorageNode> {
    return inspectNode(this.transport, nodeId);
  }
  inspectCurrentNode(opts?: { node?: string }): Promise<StorageNode> {
    return inspectCurrentNode(this.transport, opts);
  }
  inspectCluster(opts?: { signal?: AbortSignal }): Promise<StorageCluster> {
    return inspectCluster(this.transport, opts);
  }

  // alerts
  streamAlerts(opts?: StreamAlertsOptions): AsyncIterable<Alert> {
    return streamAlerts(this.transport, opts);
  }
  enumerateAlerts(filters?: AlertQueryInput[], signal?: AbortSignal): Promise<Alert[]> {
    return enumerateAlerts(this.transport, filters, signal);
  }
}
