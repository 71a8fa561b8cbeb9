import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import type { NatsConnection } from '@nats-io/nats-core';
import { resolveRunConfig, type RunFlags } from '../controller/run-config';
import { SchedulerService } from '../controller/scheduler-service';
import { SchedulerHttpServer } from '../http/server';
import { parseSpec, type ServiceSpec } from '../service-spec';
import { connectNats, natsSettingsFromEnv } from '../nats/connect';
import { recorderFromEnv } from '../record/recorder';
import { rootLogger, type Logger } from '../log/logger';
import { ValidationError } from '../errors';
import { resolveMarathonSettings, type MarathonSettings } from '../marathon';
import { checkVersionsBeforeSubscribe, mesosIdentityFromEnv, uninstallOnceLeading, uninstallRequested, type MesosIdentity } from './run-startup';

/** How long SIGTERM waits for a clean stop before it abandons what is left (seconds). */
export const DEFAULT_SHUTDOWN_GRACE_S = 20;

function timeScale(): number {
  const raw = process.env.PXFW_TIME_SCALE;
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!(n > 0)) throw new Error(`PXFW_TIME_SCALE must be a positive number, got '${raw}'`);
  return n;
}

function shutdownGraceMs(flag: string | undefined): number {
  const raw = flag ?? process.env.PXFW_SHUTDOWN_GRACE;
  if (raw === undefined || raw === '') return DEFAULT_SHUTDOWN_GRACE_S * 1000;
  const n = Number(raw);
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new ValidationError(`--shutdown-grace must be a positive number of seconds, got '${raw}'`, [{ path: 'shutdownGrace', message: 'not a positive number' }]);
  }
  return Math.round(n * 1000);
}

/** End the process with `code` once pending output is written, even if a handle lingers. */
function exitSoon(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 500).unref();
}

/**
 * Signals: the first SIGTERM/SIGINT asks for a stop bounded by the grace period; a second one,
 * or the grace running out, ends the process at once with status 1 (work was abandoned).
 */
class Signals {
  private count = 0;
  private waiter: ((sig: string) => void) | undefined;
  private early: string | undefined;
  /** Called on the second signal (and on the first while still starting). */
  onForce: (sig: string) => void = () => undefined;
  private readonly handler = (sig: NodeJS.Signals) => {
    this.count += 1;
    if (this.count === 1 && this.waiter) return this.waiter(sig);
    if (this.count === 1 && !this.waiter) this.early = sig;
    this.onForce(sig);
  };

  constructor() {
    process.on('SIGTERM', this.handler);
    process.on('SIGINT', this.handler);
  }

  /** Resolves on the first signal (at once if one came while starting). */
  next(): Promise<string> {
    if (this.early) return Promise.resolve(this.early);
    return new Promise((resolve) => (this.waiter = resolve));
  }
}

interface StartArgs {
  cfg: ReturnType<typeof resolveRunConfig>;
  spec: ServiceSpec;
  yaml: string;
  nc: NatsConnection;
  /** The leader lease's own connection (same settings and credentials as `nc`). */
  leaseNc: NatsConnection;
  http: SchedulerHttpServer;
  identity: MesosIdentity;
  marathonApp: MarathonSettings | undefined;
  log: Logger;
}

/** The version check (before anything subscribes), then the scheduler service. */
async function startScheduler({ cfg, spec, yaml, nc, leaseNc, http, identity, marathonApp, log }: StartArgs): Promise<SchedulerService> {
  const recorder = recorderFromEnv(cfg.record);
  const portworxToken = process.env.PXFW_PORTWORX_TOKEN;
  // A Mesos or Portworx too old to work is a startup error (UnsupportedVersionError, exit 1).
  await checkVersionsBeforeSubscribe({
    mesosUrl: cfg.mesos,
    portworxUrl: cfg.portworx,
    portworxLegacyUrl: cfg.portworxLegacy,
    ...(portworxToken ? { portworxToken } : {}),
    ...(identity.auth ? { auth: identity.auth } : {}),
    ...(recorder ? { recorder } : {}),
    logger: log.child({ module: 'version-check' }),
  });
  return SchedulerService.start({
    spec,
    specYaml: yaml,
    mesosUrl: cfg.mesos,
    // The service account logs in to the scheduler, operator and Marathon APIs alike.
    ...(identity.auth ? { mesosAuth: identity.auth } : {}),
    portworxUrl: cfg.portworx,
    portworxLegacyUrl: cfg.portworxLegacy,
    ...(portworxToken ? { portworxToken } : {}),
    nc,
    leaseNc,
    instanceId: cfg.instance ?? `${hostname()}-${process.pid}`,
    ...(recorder ? { recorder } : {}),
    http,
    ...(marathonApp ? { marathon: marathonApp } : {}),
    // The spec was parsed with the cluster rules (the action): config updates are held to them too.
    clusterRules: true,
    // Divides every interval; for running against the simulators' own speed factor.
    speed: timeScale(),
    logger: log,
  });
}

/** The clean stop within the grace period, then the exit (status 1 when work was abandoned). */
async function stopScheduler(service: SchedulerService, nc: NatsConnection, graceMs: number, why: string, abandonedWhat: () => string, log: Logger): Promise<void> {
  const started = Date.now();
  // Backstop: whatever hangs (a write to an unreachable NATS, a Mesos call), the grace ends it.
  const backstop = setTimeout(() => {
    process.stderr.write(`pxfw: the ${graceMs / 1000} s shutdown grace period expired: exiting, abandoning ${abandonedWhat()}\n`);
    process.exit(1);
  }, graceMs + 1000);
  backstop.unref();
  log.info({ reason: why, graceMs }, 'stopping');
  const outcome = await service.stop({ graceMs });
  const left = Math.max(0, graceMs - (Date.now() - started));
  const drained = await Promise.race([
    nc.drain().then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), Math.min(left, 2000)).unref()),
  ]);
  if (!drained) await nc.close().catch(() => undefined);
  clearTimeout(backstop);
  if (!outcome.clean) {
    process.stderr.write(`pxfw: stopped after the ${graceMs / 1000} s shutdown grace period; abandoned: ${outcome.abandoned.join(', ')}\n`);
    exitSoon(1);
    return;
  }
  log.info({ ms: Date.now() - started }, 'stopped');
  exitSoon(0);
}

/** `pxfw run`: the scheduler itself, as Marathon runs it. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the scheduler of one service (what Marathon runs)')
    .option('--spec <file>', 'service spec (YAML) [PXFW_SPEC]')
    .option('--mesos <url>', 'Mesos master [PXFW_MESOS_URL]')
    .option('--portworx <url>', 'Portworx SDK REST gateway [PXFW_PORTWORX_URL]')
    .option('--portworx-legacy <url>', 'Portworx legacy REST (group snapshots) [PXFW_PORTWORX_LEGACY_URL]')
    .option('--nats <url>', 'NATS server [NATS_URL]')
    .option('--http <port>', 'HTTP port for /health, /metrics, /v1/state, the console [PXFW_HTTP_PORT]')
    .option('--record <dir>', 'record every exchange [PXFW_RECORD_DIR]')
    .option('--marathon <url>', "Marathon's REST API (DC/OS: the adminrouter's /marathon): uninstall removes this scheduler's own app, MARATHON_APP_ID [PXFW_MARATHON_URL]")
    .option('--shutdown-grace <seconds>', `on SIGTERM, stop cleanly within this long, then exit anyway [PXFW_SHUTDOWN_GRACE] (default ${DEFAULT_SHUTDOWN_GRACE_S})`)
    .action(async (flags: RunFlags & { shutdownGrace?: string; marathon?: string }) => {
      const log = rootLogger();
      const signals = new Signals();
      let phase: 'starting' | 'running' | 'stopping' = 'starting';
      let abandonedWhat = 'the start';
      signals.onForce = (sig) => {
        process.stderr.write(`pxfw: ${sig} while ${phase === 'starting' ? 'starting' : 'stopping'}: exiting now, abandoning ${abandonedWhat}\n`);
        process.exit(1);
      };
      const graceMs = shutdownGraceMs(flags.shutdownGrace);
      const { shutdownGrace: _grace, marathon, ...runFlags } = flags;
      const cfg = resolveRunConfig(runFlags);
      // The runtime removes this app at the end of an uninstall (as `dcos package uninstall` expects).
      const marathonApp = resolveMarathonSettings(marathon);
      const yaml = await readFile(cfg.spec, 'utf8');
      // The rules of a real cluster too (an absolute container path needs an image).
      const spec = parseSpec(yaml, cfg.spec, { clusterRules: true });
      // Strict mode: the package's service account secret, and the principal it is allowed to use.
      const identity = mesosIdentityFromEnv(process.env, spec.name);
      const uninstallMode = uninstallRequested(process.env);
      // Bind the HTTP port before anything else: a port we cannot serve on is a startup error
      // (Marathon's health check could never pass), reported before NATS, Mesos or Portworx.
      const http = await SchedulerHttpServer.listen(cfg.httpPort);
      let nc: NatsConnection | undefined;
      let leaseNc: NatsConnection | undefined;
      let service: SchedulerService;
      try {
        const settings = natsSettingsFromEnv(process.env, cfg.nats);
        nc = await connectNats({ ...settings, name: `pxfw-${spec.name}` });
        // The lease renews on a socket of its own: no burst of state writes can delay it (issue 12).
        leaseNc = await connectNats({ ...settings, name: `pxfw-${spec.name}-lease` });
        service = await startScheduler({ cfg, spec, yaml, nc, leaseNc, http, identity, marathonApp, log });
      } catch (err) {
        // Nothing may keep the process alive after a failed start: the caller exits with 1.
        await http.stop().catch(() => undefined);
        await nc?.close().catch(() => undefined);
        await leaseNc?.close().catch(() => undefined);
        exitSoon(1);
        throw err;
      }
      log.info({ principal: identity.principal, strict: identity.auth !== undefined, uninstallMode }, 'started');
      phase = 'running';
      // `dcos package uninstall` (DCOS_COMMONS_API_VERSION v1) restarts the app with SDK_UNINSTALL:
      // uninstall as `pxfw <service> uninstall --yes` would, once leading; the tombstone stays.
      if (uninstallMode) {
        uninstallOnceLeading(service, spec, log.child({ component: 'uninstall-mode' })).catch((err: unknown) => {
          if (phase === 'running') log.error({ err }, 'uninstall mode: could not start the uninstall');
        });
      }
      // After an uninstall the scheduler stays up, `uninstalled` (the tombstone), until a signal:
      // an exit would only make Marathon start it again.
      const why = await signals.next();
      phase = 'stopping';
      abandonedWhat = 'the clean stop (state writes in flight, lease release)';
      await stopScheduler(service, nc, graceMs, why, () => abandonedWhat, log);
      await leaseNc.close().catch(() => undefined);
    });
}
