import type { NatsConnection } from '@nats-io/nats-core';
import { planStatus } from '../../machines/plan';
import type { MesosAuth } from '../mesos';
import { PortworxClient } from '../portworx';
import type { ServiceSpec } from '../spec';
import type { Logger } from '../log/logger';
import type { Recorder } from '../record/recorder';
import { SchedulerHttpServer } from '../http/server';
import { startCommandService, type CommandService } from '../api/command-service';
import { PxfwError } from '../errors';
import { Runtime } from './runtime';
import { RuntimeOperations } from './operations';
import { MesosAgentCommandRunner } from './task-commands';

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
  instanceId: string;
  recorder?: Recorder;
  httpPort?: number;
  /** Where a task's agent API lives (default http://<hostname>:5051). */
  agentUrl?: (agentId: string, hostname: string) => string;
  /** Divides every interval (the sandbox runs faster with its simulators). */
  speed?: number;
  logger?: Logger;
}

/** The scheduler process: runtime, HTTP face and NATS command service, started and stopped together. */
export class SchedulerService {
  private constructor(
    readonly runtime: Runtime,
    readonly operations: RuntimeOperations,
    readonly http: SchedulerHttpServer | undefined,
    private readonly commands: CommandService,
  ) {}

  static async start(opts: SchedulerServiceOptions): Promise<SchedulerService> {
    const speed = opts.speed ?? 1;
    const ms = (n: number) => Math.max(10, Math.round(n / speed));
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
      instanceId: opts.instanceId,
      ...(opts.recorder ? { recorder: opts.recorder } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
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
    const commands = await startCommandService(opts.nc, operations, { logger: runtime.logger.child({ component: 'command-service' }) });
    // Uninstall ends with the scheduler going away: stop answering for a service that no longer exists.
    void runtime
      .whenGone()
      .then(() => commands.stop())
      .catch((err: unknown) => runtime.logger.warn({ err }, 'command service did not stop after uninstall'));
    const http =
      opts.httpPort === undefined
        ? undefined
        : await SchedulerHttpServer.start(opts.httpPort, {
            health: () => ({
              healthy: runtime.subscribed && runtime.frameworkStateName.startsWith('active'),
              details: { framework: runtime.frameworkStateName, subscribed: runtime.subscribed },
            }),
            state: () => schedulerState(runtime, operations),
            subscribe: (listener) => runtime.transitions.subscribe((t) => listener({ type: 'transition', data: t })),
            registry: runtime.metrics.registry,
          });
    return new SchedulerService(runtime, operations, http, commands);
  }

  /** Resolve once the deploy plan is complete; reject after `timeoutMs`. */
  async waitDeployed(timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const ctx = this.runtime.frameworkContext;
      if (this.runtime.frameworkStateName.startsWith('active') && planStatus(ctx.deploy) === 'COMPLETE') return;
      if (Date.now() > end) {
        const steps = ctx.deploy.phases.flatMap((p) => p.steps).map((s) => `${s.name}=${s.status}`);
        throw new DeployTimeoutError(`deploy plan not complete after ${Math.round(timeoutMs / 1000)} s (${steps.join(', ')}; scheduler ${this.runtime.frameworkStateName})`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    await this.commands.stop().catch(() => undefined);
    await this.http?.stop();
    await this.runtime.stop();
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
