import { z } from 'zod';
import { PxfwError } from '../errors';
import { childLogger, type Logger } from '../log/logger';
import type { PortworxClient } from '../portworx/client';
import { PortworxNotFoundError } from '../portworx/errors';
import type { Recorder } from '../record/recorder';
import { createAuthProvider, type MesosAuth } from './auth';
import { MesosProtocolError } from './errors';
import { MesosHttp } from './http';
import { parseOrThrow } from './validate';

/**
 * The versions pxfw needs (docs/install.md, "Minimum versions"), checked at scheduler start where
 * they can be read: the Mesos master and agents (operator GET_VERSION, GET_AGENTS) and the
 * OpenStorage SDK of Portworx (OpenStorageIdentity.Version). What cannot be read remotely (the
 * agents' `--isolation` flag, dvdcli on the agents) is only documented.
 */

/** Docker volumes in task groups: the docker/volume isolator is nested-container aware since Mesos 1.5. */
export const MIN_MESOS_VERSION = '1.5.0';
/** `nodes/filters` (SdkNodeEnumerateWithFilters) arrived in SDK 0.59; `inspectwithfilters` in 0.51. */
export const MIN_PORTWORX_SDK_VERSION = '0.59.0';

/** A component runs a version older than pxfw needs. Not retryable: an upgrade is needed. */
export class UnsupportedVersionError extends PxfwError {
  readonly code = 'UNSUPPORTED_VERSION';
  readonly retryable = false;

  constructor(
    readonly component: string,
    readonly found: string,
    readonly minimum: string,
    why: string,
  ) {
    super(`${component} runs ${found}, pxfw needs ${minimum} or later: ${why} (see docs/install.md, "Minimum versions")`);
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), component: this.component, found: this.found, minimum: this.minimum };
  }
}

/** Numeric comparison of dotted versions (`1.10.0` > `1.5.0`); a suffix such as `-rc1` is ignored. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split(/[-+]/)[0]!.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

const getVersionResponse = z.looseObject({
  type: z.literal('GET_VERSION'),
  get_version: z.looseObject({ version_info: z.looseObject({ version: z.string().min(1) }) }),
});
const getAgentsResponse = z.looseObject({
  type: z.literal('GET_AGENTS'),
  get_agents: z
    .looseObject({ agents: z.array(z.looseObject({ version: z.string().optional(), agent_info: z.looseObject({ hostname: z.string() }) })).optional() })
    .optional(),
});
const sdkVersionResponse = z.looseObject({
  sdk_version: z.looseObject({ version: z.string().optional(), major: z.number().optional(), minor: z.number().optional(), patch: z.number().optional() }).optional(),
});

export interface MesosVersions {
  master: string;
  /** Hostname → version of every registered agent. */
  agents: Record<string, string>;
}

/** The master's version (GET_VERSION) and each registered agent's (GET_AGENTS `version`). */
export async function readMesosVersions(opts: { master: string; auth?: MesosAuth; recorder?: Recorder; logger?: Logger }): Promise<MesosVersions> {
  const log = opts.logger ?? childLogger({ module: 'version-check' });
  const http = new MesosHttp({ master: opts.master, api: 'operator', auth: opts.auth ? createAuthProvider(opts.auth, { logger: log }) : undefined, recorder: opts.recorder, logger: log });
  const ask = async <S extends z.ZodType>(type: string, schema: S): Promise<z.output<S>> => {
    const reply = await http.call({ type });
    const body = await http.parseInSlices(reply.body, `${type} response`);
    return parseOrThrow(schema, body, `${type} response`, (m) => new MesosProtocolError(m));
  };
  const version = await ask('GET_VERSION', getVersionResponse);
  const agents = await ask('GET_AGENTS', getAgentsResponse);
  const byHost: Record<string, string> = {};
  for (const a of agents.get_agents?.agents ?? []) if (a.version) byHost[a.agent_info.hostname] = a.version;
  return { master: version.get_version.version_info.version, agents: byHost };
}

/** The SDK version Portworx serves (GET /v1/identities/version); undefined when it has no identity service. */
export async function readPortworxSdkVersion(px: PortworxClient): Promise<string | undefined> {
  try {
    const res = await px.transport.call({ method: 'GET', path: '/v1/identities/version', idempotent: true }, sdkVersionResponse);
    const v = res.sdk_version;
    if (v?.version) return v.version;
    return v?.major !== undefined ? `${v.major}.${v.minor ?? 0}.${v.patch ?? 0}` : undefined;
  } catch (err) {
    if (err instanceof PortworxNotFoundError) return undefined;
    throw err;
  }
}

export interface VersionReport {
  mesos: MesosVersions;
  portworxSdk: string | undefined;
}

/**
 * Throw UnsupportedVersionError for the first component older than pxfw needs. A version that
 * cannot be read (an SDK without the identity service) is logged, not fatal.
 */
export function assertSupportedVersions(report: VersionReport, logger: Logger = childLogger({ module: 'version-check' })): void {
  const why = 'the docker/volume isolator supports nested containers (task groups) since Mesos 1.5';
  if (compareVersions(report.mesos.master, MIN_MESOS_VERSION) < 0) throw new UnsupportedVersionError('the Mesos master', report.mesos.master, MIN_MESOS_VERSION, why);
  for (const [host, version] of Object.entries(report.mesos.agents)) {
    if (compareVersions(version, MIN_MESOS_VERSION) < 0) throw new UnsupportedVersionError(`the Mesos agent on ${host}`, version, MIN_MESOS_VERSION, why);
  }
  if (report.portworxSdk === undefined) {
    logger.warn({ minimum: MIN_PORTWORX_SDK_VERSION }, 'Portworx did not tell its SDK version (no identity service): assuming it is recent enough');
  } else if (compareVersions(report.portworxSdk, MIN_PORTWORX_SDK_VERSION) < 0) {
    throw new UnsupportedVersionError('the Portworx SDK', report.portworxSdk, MIN_PORTWORX_SDK_VERSION, 'pxfw lists nodes with nodes/filters (SDK 0.59) and volumes with inspectwithfilters (SDK 0.51)');
  }
}

/** The one startup call: read what can be read and refuse versions that cannot work. */
export async function checkVersionsAtStartup(opts: { master: string; px: PortworxClient; auth?: MesosAuth; recorder?: Recorder; logger?: Logger }): Promise<VersionReport> {
  const log = opts.logger ?? childLogger({ module: 'version-check' });
  const [mesos, portworxSdk] = await Promise.all([readMesosVersions({ ...opts, logger: log }), readPortworxSdkVersion(opts.px)]);
  const report = { mesos, portworxSdk };
  assertSupportedVersions(report, log);
  log.info({ mesos: mesos.master, portworxSdk }, 'Mesos and Portworx versions supported');
  return report;
}
