import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/nats-core';
import { callCommand } from '../../api/client';
import { MesosOperatorClient } from '../../mesos/operator-client';
import { connectNats } from '../../nats/connect';
import { PortworxClient } from '../../portworx';
import { SimulatedCluster } from '../../sandbox/simulated-cluster';
import { parseSpec } from '../../service-spec';
import { ServiceStateStore } from '../../state/state-store';
import { MesosChaosProxy, type WireFaultRates } from './mesos-proxy';
import { ChildScheduler, InProcessScheduler, type SchedulerHandle } from './scheduler-handle';

const FRAMEWORKS = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'deploy', 'frameworks');

/** A NATS server the run may restart (never the shared one). */
export interface NatsHandle {
  readonly url: string;
  restart(): Promise<void>;
}

export interface ChaosEnvironmentOptions {
  seed: number;
  speed: number;
  agents: number;
  racks: number;
  nats: NatsHandle;
  /** 'child' (default): a separate process that can be SIGKILLed; 'inproc': faster, no SIGKILL. */
  scheduler?: 'child' | 'inproc';
  /** Directory for the spec, the scheduler log and (optional) recordings. */
  workDir: string;
  /** A shipped framework name (default cassandra), used unchanged. */
  framework?: string;
  /** Wire faults always on (between bursts). */
  baselineRates?: Partial<WireFaultRates>;
  record?: boolean;
  /** Scheduler log level in child mode (default warn). */
  logLevel?: string;
}

/**
 * Everything a chaos run drives: the simulated cluster (Mesos + Portworx + isolator), the wire
 * fault proxy the scheduler talks to Mesos through, the scheduler (child process or in process),
 * a NATS connection for commands, and outside clients for ground truth.
 */
export class ChaosEnvironment {
  private constructor(
    readonly opts: ChaosEnvironmentOptions,
    readonly service: string,
    readonly specYaml: string,
    readonly nc: NatsConnection,
    readonly cluster: SimulatedCluster,
    readonly proxy: MesosChaosProxy,
    readonly scheduler: SchedulerHandle,
    readonly operator: MesosOperatorClient,
    readonly portworx: PortworxClient,
  ) {}

  static async start(opts: ChaosEnvironmentOptions): Promise<ChaosEnvironment> {
    mkdirSync(opts.workDir, { recursive: true });
    const specYaml = readFileSync(join(FRAMEWORKS, `${opts.framework ?? 'cassandra'}.yml`), 'utf8');
    const spec = parseSpec(specYaml);
    const specFile = join(opts.workDir, 'spec.yml');
    writeFileSync(specFile, specYaml);
    const nc = await connectNats({ url: opts.nats.url, name: 'pxfw-chaos' });
    // The simulators start empty, so the service state must too (a NATS server may serve many runs).
    await (await ServiceStateStore.open(nc, spec.name)).destroy();
    const cluster = await SimulatedCluster.start({ agents: opts.agents, racks: opts.racks, speed: opts.speed, nc });
    const proxy = await MesosChaosProxy.start({ target: cluster.mesos.url, seed: (opts.seed * 7919 + 1) >>> 0, rates: opts.baselineRates ?? {} });
    const cfg = {
      specFile,
      mesosUrl: proxy.url,
      portworxUrl: cluster.portworx.url,
      agentBaseUrl: cluster.mesos.url,
      speed: opts.speed,
      ...(opts.record ? { recordDir: join(opts.workDir, 'rec') } : {}),
    };
    const scheduler: SchedulerHandle =
      (opts.scheduler ?? 'child') === 'child'
        ? new ChildScheduler({ ...cfg, natsUrl: opts.nats.url }, join(opts.workDir, 'scheduler.log'), opts.logLevel)
        : new InProcessScheduler(cfg, nc);
    const operator = new MesosOperatorClient({ master: cluster.mesos.url });
    const portworx = new PortworxClient({ url: cluster.portworx.url, legacyUrl: cluster.portworx.url });
    const env = new ChaosEnvironment(opts, spec.name, specYaml, nc, cluster, proxy, scheduler, operator, portworx);
    await scheduler.start();
    return env;
  }

  get mesos() {
    return this.cluster.mesos;
  }

  get px() {
    return this.cluster.portworx;
  }

  /** One NATS command to the scheduler; resolves to the reply or the error (never throws). */
  async command(verb: string, body: Record<string, unknown>, timeoutMs = 5000): Promise<{ ok: true; reply: unknown } | { ok: false; error: string; definite: boolean }> {
    try {
      return { ok: true, reply: await callCommand(this.nc, this.service, verb, body, { timeoutMs, user: 'chaos' }) };
    } catch (err) {
      const e = err as { name?: string; code?: string; message?: string; status?: number };
      // A service error is a definite refusal; a timeout or no responder leaves the outcome open.
      const definite = e.name === 'ServiceReplyError' && (e.status ?? 500) < 500;
      return { ok: false, error: `${e.name ?? 'Error'}${e.code ? ` ${e.code}` : ''}: ${e.message ?? String(err)}`, definite };
    }
  }

  async stop(): Promise<void> {
    await this.scheduler.stop().catch(() => undefined);
    await this.proxy.stop().catch(() => undefined);
    await this.cluster.stop().catch(() => undefined);
    await this.nc.drain().catch(() => undefined);
  }
}
