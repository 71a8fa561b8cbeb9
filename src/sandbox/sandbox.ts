import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/nats-core';
import type { MesosSimulator } from '../sim/mesos';
import type { PortworxSimulator } from '../sim/portworx';
import { SimulatedCluster } from './simulated-cluster';
import { parseSpec, type ServiceSpec } from '../spec';
import { Recorder } from '../record/recorder';
import { connectNats, natsSettingsFromEnv } from '../nats/connect';
import { childLogger, type Logger } from '../log/logger';
import { ValidationError } from '../errors';
import { resolveNats, type ResolvedNats } from './nats-resolve';
import { SchedulerService } from '../controller/scheduler-service';
import { ServiceStateStore } from '../state/state-store';

const FRAMEWORKS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'deploy', 'frameworks');

export interface SandboxOptions {
  /** A shipped framework name (cassandra, hdfs, …) or a spec file path. */
  framework?: string;
  /** Or the spec itself (tests). */
  specYaml?: string;
  agents?: number;
  racks?: number;
  nats?: string;
  http?: number;
  record?: string;
  speed?: number;
  logger?: Logger;
  /** Scheduler tuning passed through (tests shorten timeouts). */
  instanceId?: string;
}

export async function loadFramework(framework: string): Promise<{ yaml: string; spec: ServiceSpec }> {
  const path = existsSync(framework) ? framework : join(FRAMEWORKS_DIR, `${framework}.yml`);
  if (!existsSync(path)) {
    throw new ValidationError(`unknown framework '${framework}': give a spec file or one of the shipped frameworks in deploy/frameworks`);
  }
  const yaml = await readFile(path, 'utf8');
  return { yaml, spec: parseSpec(yaml, path) };
}

/**
 * The whole product on one machine: a simulated Mesos master (whose agents play the pxd docker
 * volume isolator against the simulated Portworx), a simulated Portworx cluster mirroring those
 * agents, NATS, and the scheduler with its HTTP and command services.
 */
export class Sandbox {
  private constructor(
    private readonly cluster: SimulatedCluster,
    readonly scheduler: SchedulerService,
    readonly natsUrl: string,
    private readonly nats: ResolvedNats,
    private readonly nc: NatsConnection,
  ) {}

  static async start(opts: SandboxOptions = {}): Promise<Sandbox> {
    const logger = opts.logger ?? childLogger({ module: 'sandbox' });
    const { yaml, spec } = opts.specYaml ? { yaml: opts.specYaml, spec: parseSpec(opts.specYaml) } : await loadFramework(opts.framework ?? 'cassandra');
    const speed = opts.speed ?? 1;
    const nats = await resolveNats(opts.nats);
    const nc = await connectNats({ ...natsSettingsFromEnv(process.env, nats.url), name: 'pxfw-sandbox' });
    const recorder = opts.record ? Recorder.toDir(opts.record) : undefined;
    const cluster = await SimulatedCluster.start({ agents: opts.agents ?? 6, racks: opts.racks ?? 3, speed, nc, logger });
    const { mesos, portworx } = cluster;
    // The simulators start empty, so the sandbox's service state must too.
    await (await ServiceStateStore.open(nc, spec.name)).destroy();
    const scheduler = await SchedulerService.start({
      spec,
      specYaml: yaml,
      mesosUrl: mesos.url,
      portworxUrl: portworx.url,
      portworxLegacyUrl: portworx.url,
      nc,
      instanceId: opts.instanceId ?? `sandbox-${process.pid}`,
      ...(recorder ? { recorder } : {}),
      ...(opts.http !== undefined ? { httpPort: opts.http } : {}),
      agentUrl: (agentId) => `${mesos.url}/agents/${agentId}`,
      speed,
      logger,
    });
    return new Sandbox(cluster, scheduler, nats.url, nats, nc);
  }

  get mesos(): MesosSimulator {
    return this.cluster.mesos;
  }

  get portworx(): PortworxSimulator {
    return this.cluster.portworx;
  }

  async stop(): Promise<void> {
    await this.scheduler.stop();
    await this.cluster.stop();
    await this.nc.drain().catch(() => undefined);
    await this.nats.stop();
  }
}

