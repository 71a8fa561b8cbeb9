import type { SidecarPlanSpec } from '../sidecar/sidecar-plan';
import type { PlacementConstraint } from './constraints';

/**
 * The validated service spec. YAML keys are snake_case (`io_profile`, `depends_on`); these types
 * are the camelCase result of `parseSpec`, with every default filled in. Plain JSON: machines may
 * keep it in their context.
 */
export interface ServiceSpec {
  /** DNS-label-safe: it appears in volume names, task ids and NATS subjects. */
  name: string;
  /** The virtual network the pods join (ExecutorInfo.container.network_infos); absent: host network. */
  network?: NetworkSpec;
  /** Pod types in declaration order (object key order is declaration order). */
  pods: Record<string, PodSpec>;
  /** The deploy plan, and the operator-started sidecar plans (repair, cleanup, …) by name. */
  plans: { deploy: DeployPlan; sidecars: Record<string, SidecarPlanSpec> };
  failurePolicy: FailurePolicy;
  convergence: ConvergencePolicy;
  /** What scale-down and uninstall do with volumes. */
  volumePolicy: VolumePolicy;
}

/** A CNI network every pod joins (network.ts: which ports are host ports). */
export interface NetworkSpec {
  name: string;
  labels: Record<string, string>;
  /** Pod ports are also host ports, taken from the offer and mapped 1:1; false: container ports only. */
  hostPorts: boolean;
}

export type Strategy = 'serial' | 'parallel';
export type ConvergenceMode = 'soft' | 'hard';
export type VolumePolicy = 'delete' | 'retain';
export type VolumePriority = 'high' | 'medium' | 'low';
export type FileSystem = 'ext4' | 'xfs';
/** Portworx IO profiles (OpenStorage `IoProfile` without the `IO_PROFILE_` prefix, lower case). */
export const IO_PROFILES = [
  'sequential',
  'random',
  'db',
  'db_remote',
  'cms',
  'sync_shared',
  'auto',
  'none',
  'journal',
  'auto_journal',
] as const;
export type IoProfile = (typeof IO_PROFILES)[number];

export interface PodSpec {
  /** The pod type: the key under `pods`. */
  type: string;
  count: number;
  cpus: number;
  /** MiB. */
  mem: number;
  /** MiB of sandbox disk (not the Portworx volumes). */
  disk: number;
  ports: PortSpec[];
  command: string;
  env: Record<string, string>;
  /** Env variables (keys of `env`) a package install may set, with what each sets. */
  tunables: Record<string, string>;
  image?: string;
  placement: PlacementConstraint[];
  volumes: VolumeSpec[];
  preSnapshot?: string;
  postSnapshot?: string;
  /** Seconds allowed for each pre/post snapshot command. */
  snapshotTimeout: number;
  /** Mesos health check (TaskInfo.health_check): the executor kills the task after repeated failures. */
  healthCheck?: HealthCheckSpec;
  /** Mesos check (TaskInfo.check): the pod is ready once it passes; plan steps wait for it. */
  readinessCheck?: ReadinessCheckSpec;
}

/** What a check probes: a port is a pod port name (resolved at launch) or a fixed port number. */
export type CheckProbe =
  | { kind: 'command'; command: string }
  | { kind: 'http'; port: string | number; path: string; scheme?: 'http' | 'https' }
  | { kind: 'tcp'; port: string | number };

/** Seconds, as mesos.proto CheckInfo has them. */
export interface ReadinessCheckSpec {
  probe: CheckProbe;
  /** After TASK_RUNNING, before the first check. */
  delay: number;
  /** Between the end of one check and the start of the next. */
  interval: number;
  /** One check's limit (0: none). */
  timeout: number;
}

/** HealthCheck adds what decides a kill: failures are ignored for `gracePeriod` (until a first pass). */
export interface HealthCheckSpec extends ReadinessCheckSpec {
  gracePeriod: number;
  consecutiveFailures: number;
}

export interface PortSpec {
  name: string;
  /** A fixed port; absent means any port from the offer. */
  port?: number;
}

export interface VolumeSpec {
  name: string;
  /** Container path the volume is mounted at. */
  path: string;
  /** GiB (units in the YAML are converted). */
  size: number;
  repl: 1 | 2 | 3;
  ioProfile?: IoProfile;
  priority: VolumePriority;
  shared: boolean;
  fs: FileSystem;
  /** Name of a secret holding the key; never the key itself. */
  encryptionSecret?: string;
}

export interface DeployPlan {
  strategy: Strategy;
  phases: PhaseSpec[];
}

export interface PhaseSpec {
  name: string;
  pod: string;
  strategy: Strategy;
  dependsOn: string[];
}

export interface FailurePolicy {
  /** Seconds an agent may stay lost before its pods count as permanently failed. */
  permanentFailureTimeout: number;
  /** Replace permanently failed pods without an operator's `pod replace` (default true). */
  autoReplace: boolean;
  /** Seconds a host must stay down (Mesos or Portworx evidence) before its pods are replaced. */
  probation: number;
  /** Pods of one type replaced at the same time, at most. */
  maxConcurrentReplacements: number;
  /** Pods of each type (every pod type is a key) that may be down at once, at most. */
  maxUnavailable: Record<string, number>;
  storageOutage: StorageOutagePolicy;
  /** Per pod type (every pod type is a key, overrides applied): keep or break the spread when no holder keeps it. */
  spread: Record<string, 'keep' | 'break'>;
}

/**
 * Pause automatic replacement when more than `share` of the Portworx nodes, and at least
 * `minNodes`, went offline within `window` seconds: a storage outage, not host failures.
 */
export interface StorageOutagePolicy {
  share: number;
  minNodes: number;
  /** Seconds. */
  window: number;
}

export interface ConvergencePolicy {
  /** soft: prefer replica holders, fall back after maxWait; hard: replica holders only. */
  mode: ConvergenceMode;
  /** Seconds a soft placement waits for a replica holder's offer. */
  maxWait: number;
}
