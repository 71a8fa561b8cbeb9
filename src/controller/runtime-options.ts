import type { NatsConnection } from '@nats-io/nats-core';
import type { PodInstanceInput } from '../../machines/pod-instance.types';
import type { FrameworkTiming } from '../../machines/framework.types';
import type { MesosAuth } from '../mesos';
import type { PortworxClient } from '../portworx';
import type { ServiceSpec } from '../service-spec';
import type { Logger } from '../log/logger';
import type { Recorder } from '../record/recorder';
import type { MarathonSettings } from '../marathon';
import type { CommandRunner } from './snapshots';

/** What `Runtime.start` needs to run one service's scheduler (see runtime.ts). */
export interface RuntimeOptions {
  spec: ServiceSpec;
  specYaml: string;
  mesosUrl: string;
  mesosAuth?: MesosAuth;
  px: PortworxClient;
  nc: NatsConnection;
  /** The leader lease's own connection (default: a second connection to nc's server, see lease-connection.ts). */
  leaseNc?: NatsConnection;
  instanceId: string;
  recorder?: Recorder;
  logger?: Logger;
  commandRunner?: CommandRunner;
  podTiming?: PodInstanceInput['timing'];
  frameworkTiming?: Partial<FrameworkTiming>;
  leaseTtlMs?: number;
  /** How often agents and storage nodes are re-read (level-triggered repair). */
  refreshMs?: number;
  killWaitMs?: number;
  /** Divides the spec's durations (the sandbox and tests run simulated time faster). */
  timeScale?: number;
  /** Shorter Mesos heartbeat expectations etc. for the sandbox. */
  mesosBackoff?: { initialMs: number; maxMs: number };
  /** Where an agent's v1 API lives (default http://<hostname>:5051): GET_HEALTH confirms a host is down. */
  agentUrl?: (agentId: string, hostname: string) => string;
  /** The scheduler's own Marathon app, removed at the end of an uninstall (`pxfw run --marathon`). */
  marathon?: MarathonSettings;
  /**
   * The spec was parsed with the rules of a real cluster (parseSpec `clusterRules`, `pxfw run`):
   * `config update` holds a new spec to them too. Off for the sandbox's short test specs.
   */
  clusterRules?: boolean;
}
