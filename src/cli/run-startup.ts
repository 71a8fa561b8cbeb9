import type { Logger } from '../log/logger';
import type { MesosAuth } from '../mesos/auth';
import { frameworkPrincipal, mesosAuthFromEnv } from '../mesos/service-account-env';
import { checkVersionsAtStartup, UnsupportedVersionError, type VersionReport } from '../mesos/version-check';
import { PortworxClient } from '../portworx';
import type { Recorder } from '../record/recorder';
import type { ServiceSpec } from '../service-spec';
import type { FrameworkSnapshot } from '../controller/ports/supervisor';
import { frameworkIn } from '../controller/state-names';

/**
 * What `pxfw run` does around SchedulerService.start on a real cluster: who it is to Mesos
 * (strict mode), whether Mesos and Portworx are recent enough, and the dcos-commons uninstall
 * mode (`SDK_UNINSTALL`). Kept out of run.command.ts so each piece is tested on its own.
 */

/** The env var Cosmos sets when `dcos package uninstall` restarts a DCOS_COMMONS_API_VERSION v1 app. */
export const SDK_UNINSTALL_ENV = 'SDK_UNINSTALL';

export interface MesosIdentity {
  /** The service account login (strict mode), or none. */
  auth: MesosAuth | undefined;
  /** FrameworkInfo.principal: PXFW_MESOS_PRINCIPAL (the service account id in strict mode), else the service name. */
  principal: string;
}

/** Who the scheduler is to Mesos, from the package's environment (service.service_account / _secret). */
export function mesosIdentityFromEnv(env: NodeJS.ProcessEnv, service: string): MesosIdentity {
  return { auth: mesosAuthFromEnv(env), principal: frameworkPrincipal(env, service) };
}

/**
 * dcos-commons SchedulerConfig.isUninstallEnabled: the variable being present is the signal,
 * whatever its value ("can be set to anything" in its tests). Cosmos sets it to `true`.
 */
export function uninstallRequested(env: NodeJS.ProcessEnv): boolean {
  return env[SDK_UNINSTALL_ENV] !== undefined;
}

export interface VersionCheckOptions {
  mesosUrl: string;
  portworxUrl: string;
  portworxLegacyUrl: string;
  portworxToken?: string;
  auth?: MesosAuth;
  recorder?: Recorder;
  logger: Logger;
}

/**
 * The startup version check, before the scheduler subscribes: an UnsupportedVersionError ends the
 * start (the caller exits non-zero with its message). A master or Portworx that cannot be asked
 * right now is not a reason to stay down: the scheduler retries its own calls, so the check is
 * logged as skipped and the start goes on.
 */
export async function checkVersionsBeforeSubscribe(opts: VersionCheckOptions): Promise<VersionReport | undefined> {
  const px = new PortworxClient({
    url: opts.portworxUrl,
    legacyUrl: opts.portworxLegacyUrl,
    timeoutMs: 5_000,
    retries: 1,
    ...(opts.portworxToken ? { token: opts.portworxToken } : {}),
    ...(opts.recorder ? { recorder: opts.recorder } : {}),
  });
  try {
    return await checkVersionsAtStartup({
      master: opts.mesosUrl,
      px,
      ...(opts.auth ? { auth: opts.auth } : {}),
      ...(opts.recorder ? { recorder: opts.recorder } : {}),
      logger: opts.logger,
    });
  } catch (err) {
    if (err instanceof UnsupportedVersionError) throw err;
    opts.logger.warn({ err }, 'could not read the Mesos or Portworx version at startup: version check skipped');
    return undefined;
  }
}

/** What uninstall mode needs of the started scheduler (SchedulerService's runtime and operations). */
export interface UninstallTarget {
  runtime: { waitForFramework(predicate: (snap: FrameworkSnapshot) => boolean, timeoutMs: number): Promise<FrameworkSnapshot> };
  operations: { uninstall(opts: { deleteVolumes: boolean; deleteSnapshots: boolean }): Promise<{ message: string }> };
}

/** What `pxfw <service> uninstall --yes` would be given for this spec: volumes by volume_policy, snapshots kept. */
export function uninstallOptions(spec: Pick<ServiceSpec, 'volumePolicy'>): { deleteVolumes: boolean; deleteSnapshots: boolean } {
  return { deleteVolumes: spec.volumePolicy === 'delete', deleteSnapshots: false };
}

/** Already on its way out (a restart in the middle of an uninstall) or out (a restart after one). */
const uninstallingOrDone = (snap: FrameworkSnapshot): boolean => frameworkIn(snap, 'uninstalling') || frameworkIn(snap, 'uninstalled');

/**
 * Uninstall mode (`SDK_UNINSTALL`): once this scheduler leads (past starting/standby, `unsaved`)
 * and its supervisor takes an UNINSTALL, send the one the `uninstall --yes` verb sends. A service
 * already uninstalling or uninstalled is left to finish, or to stay as it is. Rejects when the
 * scheduler stops first (the supervisor ends without either).
 */
export async function uninstallOnceLeading(target: UninstallTarget, spec: Pick<ServiceSpec, 'volumePolicy'>, logger: Logger): Promise<'sent' | 'already'> {
  const opts = uninstallOptions(spec);
  const snap = await target.runtime.waitForFramework((s) => uninstallingOrDone(s) || (!frameworkIn(s, 'unsaved') && s.can({ type: 'UNINSTALL', ...opts })), Infinity);
  if (uninstallingOrDone(snap)) {
    logger.info({ env: SDK_UNINSTALL_ENV }, 'uninstall mode: the service is uninstalling or uninstalled already');
    return 'already';
  }
  const result = await target.operations.uninstall(opts);
  logger.info({ env: SDK_UNINSTALL_ENV, volumePolicy: spec.volumePolicy }, `uninstall mode: ${result.message}`);
  return 'sent';
}
