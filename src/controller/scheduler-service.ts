import type { NatsConnection } from '@nats-io/nats-core';
import type { MarathonSettings } from '../marathon';
import { planStatus } from '../../machines/plan';
import { deployComplete } from '../../machines/framework.logic';
import type { MesosAuth } from '../mesos';
import { PortworxClient } from '../portworx';
import type { ServiceSpec } from '../service-spec';
import type { Logger } from '../log/logger';
import type { Recorder } from '../record/recorder';
import { SchedulerHttpServer } from '../http/server';
import { PortworxProbe } from '../http/portworx-probe';
import { assessHealth } from '../http/health';
import { startCommandService, type CommandService } from '../api/command-service';
import { countCommand, schedulerHttpSources } from '../http/console-wiring';
import { PxfwError } from '../errors';
import { claimServiceState, type StateClaim } from '../state/bucket-owner';
import { Runtime } from './runtime';
import { RuntimeOperations } from './operations';
import { MesosAgentCommandRunner } from './task-commands';
import type { FrameworkSnapshot } from './ports/supervisor';
import { frameworkIn } from './state-names';

export class DeployTimeoutError extends PxfwError {
  readonly code = 'DEPLOY_TIMEOUT';
  readonly retryable = false;
}

export interface SchedulerServiceOptions {
  spec: ServiceSpec;
  specYaml: string;
  mesosUrl: string;
  mesosAuth?: MesosAuth;
  portworxUrl: string;
  portworxLegacyUrl: string;
  portworxToken?: string;
  nc: NatsConnection;
  /** The leader lease's own connection, made with the same settings as `nc` (none: the runtime opens one). */
  leaseNc?: NatsConnection;
  instanceId: string;
  recorder?: Recorder;
  /** Bind this port first (a port that cannot be bound fails the start before anything else). */
  httpPort?: number;
  /** Or an HTTP server already bound by the caller (`pxfw run` binds before it connects NATS). */
  http?: SchedulerHttpServer;
  /** Who may own the state bucket (default: a scheduler). A sandbox claims it with its id. */
  stateClaim?: StateClaim;
  /** Portworx may be unreachable this long before /health answers 503 (default 30 s, divided by speed). */
  portworxGraceMs?: number;
  /** Where a task's agent API lives (default http://<hostname>:5051). */
  agentUrl?: (agentId: string, hostname: string) => string;
  /** The scheduler's own Marathon app, which uninstall removes (`--marathon`; none: left to the operator). */
  marathon?: MarathonSettings;
  /** Divides every interval (the sandbox runs faster with its simulators). */
  speed?: number;
  /** The spec was parsed with the cluster rules: config updates are held to them (RuntimeOptions.clusterRules). */
  clusterRules?: boolean;
  /** How long a stop() given no grace may take (default DEFAULT_STOP_GRACE_MS). */
  stopGraceMs?: number;
  logger?: Logger;
}

/** A stop() given no grace still ends within this long (see SchedulerService.stop). */
export const DEFAULT_STOP_GRACE_MS = 30_000;

/** How a bounded stop went: what did not finish within the grace period. */
export interface StopOutcome {
  clean: boolean;
  abandoned: string[];
}

/** The scheduler process: runtime, HTTP face and NATS command service, started and stopped together. */
export class SchedulerService {
  private constructor(
    readonly runtime: Runtime,
    readonly operations: RuntimeOperations,
    readonly http: SchedulerHttpServer | undefined,
    private readonly commands: CommandService,
    /** The grace of a stop() given none (SchedulerServiceOptions.stopGraceMs). */
    private readonly stopGraceMs: number = DEFAULT_STOP_GRACE_MS,
  ) {}

  /**
   * Start in an order that fails before it acts: bind the HTTP port, then check that the state
   * bucket is ours (StateOwnershipError otherwise; nothing is deleted), then the runtime.
   */
  static async start(opts: SchedulerServiceOptions): Promise<SchedulerService> {
    const http = opts.http ?? (opts.httpPort === undefined ? undefined : await SchedulerHttpServer.listen(opts.httpPort));
    try {
      return await SchedulerService.startWith(opts, http);
    } catch (err) {
      if (!opts.http) await http?.stop().catch(() => undefined);
      throw err;
    }
  }

  private static async startWith(opts: SchedulerServiceOptions, http: SchedulerHttpServer | undefined): Promise<SchedulerService> {
    const speed = opts.speed ?? 1;
    const ms = (n: number) => Math.max(10, Math.round(n / speed));
    await claimServiceState(opts.nc, opts.spec.name, opts.stateClaim ?? { kind: 'scheduler' });
    const px = new PortworxClient({
      url: opts.portworxUrl,
      legacyUrl: opts.portworxLegacyUrl,
      ...(opts.portworxToken ? { token: opts.portworxToken } : {}),
      ...(opts.recorder ? { recorder: opts.recorder } : {}),
    });
    const agentUrl = opts.agentUrl ?? ((_id: string, host: string) => `http://${host}:5051`);
    const runtime = await Runtime.start({
      spec: opts.spec,
      specYaml: opts.specYaml,
      mesosUrl: opts.mesosUrl,
      ...(opts.mesosAuth ? { mesosAuth: opts.mesosAuth } : {}),
      px,
      nc: opts.nc,
      ...(opts.leaseNc ? { leaseNc: opts.leaseNc } : {}),
      instanceId: opts.instanceId,
      ...(opts.recorder ? { recorder: opts.recorder } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
      // The probe that tells a live agent from a dead host must reach the same agent API.
      agentUrl,
      ...(opts.marathon ? { marathon: opts.marathon } : {}),
      ...(opts.clusterRules ? { clusterRules: true } : {}),
      commandRunner: new MesosAgentCommandRunner({ agentUrl: (t: { agentId: string; hostname: string }) => agentUrl(t.agentId, t.hostname) }),
      podTiming: { retryInitialMs: ms(1000), retryMaxMs: ms(60_000), relaunchInitialMs: ms(1000), relaunchMaxMs: ms(60_000), killTimeoutMs: ms(30_000), launchTimeoutMs: ms(300_000) },
      frameworkTiming: { retryInitialMs: ms(1000), retryMaxMs: ms(60_000), leaseRetryMs: ms(10_000), subscribeTimeoutMs: ms(30_000), reconcileInitialMs: ms(4000), reconcileMaxMs: ms(30_000), reviveIntervalMs: ms(60_000) },
      timeScale: speed,
      leaseTtlMs: ms(15_000),
      refreshMs: ms(10_000),
      killWaitMs: ms(60_000),
      mesosBackoff: { initialMs: ms(500), maxMs: ms(30_000) },
    });
    const operations = new RuntimeOperations(runtime);
    const commands = await startCommandService(opts.nc, operations, {
      logger: runtime.logger.child({ component: 'command-service' }),
      audit: { onRecord: (r) => countCommand(runtime.metrics, r) },
    });
    if (http) {
      // Its own client: no retries and a short timeout, so a probe never waits on a retry loop.
      const probeClient = new PortworxClient({
        url: opts.portworxUrl,
        legacyUrl: opts.portworxLegacyUrl,
        timeoutMs: 2000,
        retries: 0,
        ...(opts.portworxToken ? { token: opts.portworxToken } : {}),
        ...(opts.recorder ? { recorder: opts.recorder } : {}),
      });
      const probe = new PortworxProbe({ call: () => probeClient.inspectCluster(), cacheMs: ms(3000), timeoutMs: 2000 });
      const graceMs = opts.portworxGraceMs ?? ms(30_000);
      http.attach(
        schedulerHttpSources({
          runtime,
          operations,
          health: async () =>
            assessHealth({
              framework: runtime.frameworkStateName,
              subscribed: runtime.subscribed,
              leading: runtime.leading,
              leaseHolder: runtime.frameworkContext.leaseHolder,
              instance: opts.instanceId,
              portworx: await probe.status(),
              portworxGraceMs: graceMs,
              now: Date.now(),
            }),
          state: () => schedulerState(runtime, operations),
        }),
      );
    }
    return new SchedulerService(runtime, operations, http, commands, opts.stopGraceMs);
  }

  /** Resolve once the deploy plan is complete; reject after `timeoutMs`. */
  async waitDeployed(timeoutMs: number): Promise<void> {
    // From the maintained counters: this runs on every supervisor change while it waits.
    const deployed = (snap: FrameworkSnapshot) => frameworkIn(snap, 'active') && deployComplete(snap.context);
    try {
      await this.runtime.waitForFramework(deployed, timeoutMs);
    } catch (cause) {
      const steps = this.runtime.frameworkContext.deploy.phases.flatMap((p) => p.steps).map((s) => `${s.name}=${s.status}`);
      throw new DeployTimeoutError(`deploy plan not complete after ${Math.round(timeoutMs / 1000)} s (${steps.join(', ')}; scheduler ${this.runtime.frameworkStateName})`, { cause });
    }
  }

  /**
   * Stop taking work (command service, HTTP), then stop the runtime: it finishes the state writes
   * in flight and releases the lease. Each step gets what is left of the grace (`graceMs`, default
   * DEFAULT_STOP_GRACE_MS: a stop never hangs, e.g. on a KV write NATS never answers) and a step
   * that does not finish in time is abandoned (named in the outcome): a KV write is
   * compare-and-set, so one that never landed leaves the previous value, never a torn one, and the
   * next leader reconciles from there.
   */
  async stop(opts: { graceMs?: number } = {}): Promise<StopOutcome> {
    const graceMs = opts.graceMs ?? this.stopGraceMs;
    const deadline = Date.now() + graceMs;
    const abandoned: string[] = [];
    // The command service and HTTP get at most a quarter of the grace each: the state writes
    // in the runtime's stop are what matter most.
    const step = async (what: string, fn: () => Promise<unknown>, capMs = Number.POSITIVE_INFINITY): Promise<void> => {
      const left = Math.min(deadline - Date.now(), capMs);
      if (left <= 0) {
        abandoned.push(what);
        return;
      }
      const work = fn().catch((err: unknown) => this.runtime.logger.warn({ err }, `stopping: ${what} failed`));
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), left)));
      const outcome = await Promise.race([work.then(() => 'done' as const), expired]);
      clearTimeout(timer);
      if (outcome === 'expired') abandoned.push(what);
    };
    await step('command service', () => this.commands.stop(), graceMs / 4);
    await step('HTTP server', async () => this.http?.stop(), graceMs / 4);
    await step('scheduler (state writes, lease release)', () => this.runtime.stop());
    if (abandoned.length > 0) this.runtime.logger.warn({ abandoned, graceMs }, 'stopped with steps abandoned after the grace period');
    return { clean: abandoned.length === 0, abandoned };
  }
}

export function schedulerState(rt: Runtime, ops: RuntimeOperations) {
  const ctx = rt.frameworkContext;
  return {
    service: rt.service,
    framework: { state: rt.frameworkStateName, frameworkId: ctx.frameworkId, subscribed: rt.subscribed, reason: ctx.reason },
    plans: [ctx.deploy, ctx.decommission].map((p) => ({
      name: p.name,
      status: p.phases.length === 0 ? 'COMPLETE' : planStatus(p),
      phases: p.phases.map((ph) => ({ name: ph.name, status: ph.steps.every((s) => s.status === 'COMPLETE') ? 'COMPLETE' : 'IN_PROGRESS', steps: ph.steps })),
    })),
    pods: rt.registry.all().map((e) => {
      const c = rt.registry.context(e);
      return { name: e.name, state: e.state, reason: c.reason, hostname: c.task?.hostname ?? null, taskId: c.task?.taskId ?? null, volumes: c.volumes };
    }),
    transitions: rt.transitions.latest().slice(-50),
    operationsService: ops.service,
  };
}
