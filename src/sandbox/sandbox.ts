import { randomBytes } from 'node:crypto';
import type { MarathonSettings } from '../marathon';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/nats-core';
import type { MesosSimulator } from '../sim/mesos';
import type { PortworxSimulator } from '../sim/portworx';
import { SimulatedCluster } from './simulated-cluster';
import { parseSpec, type ServiceSpec } from '../service-spec';
import { Recorder } from '../record/recorder';
import { connectNats, natsSettingsFromEnv } from '../nats/connect';
import { childLogger, type Logger } from '../log/logger';
import { ValidationError } from '../errors';
import { resolveNats, type ResolvedNats } from './nats-resolve';
import { SchedulerService } from '../controller/scheduler-service';
import { SchedulerHttpServer } from '../http/server';
import { claimServiceState, destroyOwnSandboxState } from '../state/bucket-owner';

const FRAMEWORKS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'deploy', 'frameworks');

export interface SandboxOptions {
  /** A shipped framework name (cassandra, hdfs, …) or a spec file path. */
  framework?: string;
  /** Or the spec itself (tests). */
  specYaml?: string;
  agents?: number;
  racks?: number;
  /** A NATS server to share (else the sandbox starts its own nats-server). */
  nats?: string;
  /**
   * On a shared NATS (`nats` given): run the service under `<name>-<namespace>`, so its bucket
   * (`pxfw-<name>-<namespace>`) and subjects (`pxfw.<name>-<namespace>.…`) can never be a real
   * service's. `true`: a fresh sandbox id. Default: none (the caller picks unique service names,
   * as the tests do); the bucket is still claimed, so the sandbox never uses or deletes another's.
   */
  namespace?: boolean | string;
  http?: number;
  /** When `http` is taken, serve on a free port instead and say so (the CLI's default port). */
  httpFallback?: boolean;
  record?: string;
  speed?: number;
  logger?: Logger;
  /** Scheduler tuning passed through (tests shorten timeouts). */
  instanceId?: string;
  /** A Marathon app for the scheduler to remove at the end of an uninstall (tests with a fake Marathon). */
  marathon?: MarathonSettings;
}

export async function loadFramework(framework: string): Promise<{ yaml: string; spec: ServiceSpec }> {
  const path = existsSync(framework) ? framework : join(FRAMEWORKS_DIR, `${framework}.yml`);
  if (!existsSync(path)) {
    throw new ValidationError(`unknown framework '${framework}': give a spec file or one of the shipped frameworks in deploy/frameworks`);
  }
  const yaml = await readFile(path, 'utf8');
  return { yaml, spec: parseSpec(yaml, path) };
}

/** Service names are one NATS subject token and part of a bucket name (src/api/subjects.ts). */
const MAX_SERVICE_NAME = 63;

/** A short random sandbox id: lower-case hex, so `<service>-sb<id>` stays a DNS label. */
export function newSandboxId(): string {
  return `sb${randomBytes(3).toString('hex')}`;
}

/** Undo what a start did so far, in reverse order, never throwing. */
class Teardown {
  private readonly steps: (() => Promise<unknown>)[] = [];
  push(fn: () => Promise<unknown>): void {
    this.steps.unshift(fn);
  }
  async run(): Promise<void> {
    for (const fn of this.steps.splice(0)) await fn().catch(() => undefined);
  }
}

/**
 * The whole product on one machine: a simulated Mesos master (whose agents play the pxd docker
 * volume isolator against the simulated Portworx), a simulated Portworx cluster mirroring those
 * agents, NATS, and the scheduler with its HTTP and command services.
 *
 * It owns its world (issue 10): by default its own nats-server on a free port with a temporary
 * store; on a shared NATS its bucket is claimed with its sandbox id (and, with `namespace`, its
 * service name carries that id). It deletes only a bucket it created, and never one it did not.
 */
export class Sandbox {
  private constructor(
    private readonly cluster: SimulatedCluster,
    readonly scheduler: SchedulerService,
    readonly natsUrl: string,
    private readonly nats: ResolvedNats,
    private readonly nc: NatsConnection,
    /** This sandbox's id (owner of the state bucket it created). */
    readonly id: string,
    /** The service name the scheduler runs under (the spec's name, plus the namespace if any). */
    readonly service: string,
    /** The spec's own name (what a person asked for). */
    readonly specName: string,
    private readonly createdBucket: boolean,
  ) {}

  static async start(opts: SandboxOptions = {}): Promise<Sandbox> {
    const logger = opts.logger ?? childLogger({ module: 'sandbox' });
    const loaded = opts.specYaml ? { yaml: opts.specYaml, spec: parseSpec(opts.specYaml) } : await loadFramework(opts.framework ?? 'cassandra');
    const id = typeof opts.namespace === 'string' ? opts.namespace : newSandboxId();
    const namespaced = opts.namespace !== undefined && opts.namespace !== false;
    const spec: ServiceSpec = namespaced ? { ...loaded.spec, name: `${loaded.spec.name}-${id}` } : loaded.spec;
    if (spec.name.length > MAX_SERVICE_NAME) {
      throw new ValidationError(
        `service name '${loaded.spec.name}' is too long to namespace on a shared NATS ('${spec.name}' has more than ${MAX_SERVICE_NAME} characters): shorten it, or run the sandbox without --nats`,
        [{ path: 'name', message: 'too long to namespace' }],
      );
    }
    const speed = opts.speed ?? 1;
    const undo = new Teardown();
    try {
      // The port first: a taken port must fail (or fall back) before anything is started.
      const http =
        opts.http === undefined ? undefined : await SchedulerHttpServer.listen(opts.http, { fallbackToFreePort: opts.httpFallback ?? false });
      if (http) undo.push(() => http.stop());
      const nats = await resolveNats(opts.nats);
      undo.push(() => nats.stop());
      // Our own server has no users: the NATS_* credentials are for a server we were given.
      const settings = nats.own ? { url: nats.url } : natsSettingsFromEnv(process.env, nats.url);
      const nc = await connectNats({ ...settings, name: 'pxfw-sandbox' });
      undo.push(() => nc.close());
      // The simulators start empty, so the service state must too: a bucket that already exists
      // is someone else's (never deleted, never reused).
      const claim = { kind: 'sandbox' as const, sandbox: id };
      const claimed = await claimServiceState(nc, spec.name, claim);
      if (claimed.created) undo.push(() => destroyOwnSandboxState(nc, spec.name, id));
      const recorder = opts.record ? Recorder.toDir(opts.record) : undefined;
      const cluster = await SimulatedCluster.start({ agents: opts.agents ?? 6, racks: opts.racks ?? 3, speed, nc, logger });
      undo.push(() => cluster.stop());
      const { mesos, portworx } = cluster;
      const scheduler = await SchedulerService.start({
        spec,
        specYaml: loaded.yaml,
        mesosUrl: mesos.url,
        portworxUrl: portworx.url,
        portworxLegacyUrl: portworx.url,
        nc,
        instanceId: opts.instanceId ?? `sandbox-${id}-${process.pid}`,
        stateClaim: claim,
        ...(recorder ? { recorder } : {}),
        ...(http ? { http } : {}),
        agentUrl: (agentId) => `${mesos.url}/agents/${agentId}`,
        ...(opts.marathon ? { marathon: opts.marathon } : {}),
        speed,
        logger,
      });
      return new Sandbox(cluster, scheduler, nats.url, nats, nc, id, spec.name, loaded.spec.name, claimed.created);
    } catch (err) {
      await undo.run();
      throw err;
    }
  }

  get mesos(): MesosSimulator {
    return this.cluster.mesos;
  }

  get portworx(): PortworxSimulator {
    return this.cluster.portworx;
  }

  /** Stop everything it started; delete the state bucket only if this sandbox created it. */
  async stop(): Promise<void> {
    await this.scheduler.stop();
    await this.cluster.stop();
    if (this.createdBucket && !this.nats.own) {
      await destroyOwnSandboxState(this.nc, this.service, this.id).catch((err: unknown) => childLogger({ module: 'sandbox' }).warn({ err }, 'could not delete the sandbox state bucket'));
    }
    await this.nc.drain().catch(() => undefined);
    await this.nats.stop();
  }
}
