import { Option, type Command } from 'commander';
import type { NatsConnection } from '@nats-io/nats-core';
import { Svcm, type ServiceInfo, type ServiceStats } from '@nats-io/services';
import { connectNats, natsSettingsFromEnv } from '../nats/connect';
import { MICRO_SERVICE_NAME } from '../api/subjects';
import { cliErrorJson, cliErrorLine } from './cli-errors';
import { CliUsageError, type TextSink } from './cli-session';
import { formatTable } from './table';

/** One scheduler answering on NATS: one instance of the micro service `pxfw`. */
export interface SchedulerInstance {
  /** The pxfw service it runs (`pxfw <service> …`), from the micro service metadata. */
  service: string;
  /** The micro service instance id (`$SRV.INFO.pxfw.<id>`). */
  id: string;
  version: string;
  endpoints: number;
  /** When this instance started answering (from `$SRV.STATS`), null when it did not say. */
  started: string | null;
  requests: number;
  errors: number;
}

/** How long to collect answers: every scheduler answers `$SRV.INFO` at once; 2 s is NATS' own default. */
const DEFAULT_WAIT_MS = 2000;

async function collect<T>(iter: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iter) out.push(item);
  return out;
}

/**
 * Ask every `pxfw` micro service instance on this NATS for its info and stats (the micro service
 * discovery subjects `$SRV.INFO.pxfw` and `$SRV.STATS.pxfw`), one row per instance, by service.
 */
export async function listSchedulers(nc: NatsConnection, opts: { maxWaitMs?: number } = {}): Promise<SchedulerInstance[]> {
  // @nats-io/services is typed against an older nats-core; the connection API it uses is the same.
  const client = new Svcm(nc as unknown as ConstructorParameters<typeof Svcm>[0]).client({ strategy: 'stall', maxWait: opts.maxWaitMs ?? DEFAULT_WAIT_MS });
  const [infos, stats] = await Promise.all([
    collect<ServiceInfo>(await client.info(MICRO_SERVICE_NAME)),
    collect<ServiceStats>(await client.stats(MICRO_SERVICE_NAME)),
  ]);
  const statsById = new Map(stats.map((s) => [s.id, s]));
  return infos
    .map((info) => {
      const st = statsById.get(info.id);
      const sum = (f: 'num_requests' | 'num_errors') => (st?.endpoints ?? []).reduce((n, e) => n + (e[f] ?? 0), 0);
      return {
        service: info.metadata?.service ?? '(unknown)',
        id: info.id,
        version: info.version,
        endpoints: info.endpoints.length,
        started: st?.started ?? null,
        requests: sum('num_requests'),
        errors: sum('num_errors'),
      };
    })
    .sort((a, b) => a.service.localeCompare(b.service) || a.id.localeCompare(b.id));
}

export function renderSchedulers(list: readonly SchedulerInstance[], natsUrl: string): string {
  if (list.length === 0) return `no pxfw scheduler answered on ${natsUrl} ($SRV.INFO.${MICRO_SERVICE_NAME})`;
  return formatTable(
    ['SERVICE', 'INSTANCE', 'VERSION', 'VERBS', 'STARTED', 'REQUESTS', 'ERRORS'],
    list.map((s) => [s.service, s.id, s.version, s.endpoints, s.started, s.requests, s.errors]),
  );
}

export interface ServicesFlags {
  nats?: string;
  json?: boolean;
  timeout?: string;
}

export interface ServicesIo {
  nc?: NatsConnection;
  out: TextSink;
  err: TextSink;
  env?: NodeJS.ProcessEnv;
}

/** `pxfw services`: run it and return the exit status (0 also when none answered: that is an answer). */
export async function runServices(flags: ServicesFlags, io: ServicesIo): Promise<number> {
  const env = io.env ?? process.env;
  const settings = natsSettingsFromEnv(env, flags.nats);
  const url = String(settings.url);
  let nc = io.nc;
  try {
    const seconds = flags.timeout === undefined ? DEFAULT_WAIT_MS / 1000 : Number(flags.timeout);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new CliUsageError(`--timeout must be a positive number of seconds (got '${flags.timeout}')`);
    nc ??= await connectNats({ ...settings, name: 'pxfw-cli services' });
    const list = await listSchedulers(nc, { maxWaitMs: seconds * 1000 });
    io.out.write(flags.json ? `${JSON.stringify(list, null, 2)}\n` : `${renderSchedulers(list, url)}\n`);
    return 0;
  } catch (err) {
    io.err.write(`pxfw: ${cliErrorLine(err)}\n`);
    if (flags.json) io.out.write(`${JSON.stringify({ error: cliErrorJson(err) }, null, 2)}\n`);
    return 1;
  } finally {
    if (nc && nc !== io.nc && !nc.isClosed()) await nc.close();
  }
}

/** Register `pxfw services` on the top-level program. */
export function registerServices(program: Command): void {
  program
    .command('services')
    .description('list the pxfw schedulers answering on NATS (micro service discovery, $SRV.INFO.pxfw)')
    .addOption(new Option('--nats <url>', 'NATS server URL').env('NATS_URL'))
    .option('--json', 'print the list as JSON')
    .option('--timeout <seconds>', 'how long to collect answers (default 2)')
    .action(async (flags: ServicesFlags) => {
      const code = await runServices(flags, { out: process.stdout, err: process.stderr });
      if (code !== 0) process.exitCode = code;
    });
}
