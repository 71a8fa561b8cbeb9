import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { resolveRunConfig, type RunFlags } from '../controller/run-config';
import { SchedulerService } from '../controller/scheduler-service';
import { parseSpec } from '../spec';
import { connectNats, natsSettingsFromEnv } from '../nats/connect';
import { recorderFromEnv } from '../record/recorder';
import { rootLogger } from '../log/logger';

function timeScale(): number {
  const raw = process.env.PXFW_TIME_SCALE;
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!(n > 0)) throw new Error(`PXFW_TIME_SCALE must be a positive number, got '${raw}'`);
  return n;
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
    .option('--http <port>', 'HTTP port for /health, /metrics, /v1/state, the dashboard [PXFW_HTTP_PORT]')
    .option('--record <dir>', 'record every exchange [PXFW_RECORD_DIR]')
    .action(async (flags: RunFlags) => {
      const cfg = resolveRunConfig(flags);
      const yaml = await readFile(cfg.spec, 'utf8');
      const spec = parseSpec(yaml, cfg.spec);
      const nc = await connectNats({ ...natsSettingsFromEnv(process.env, cfg.nats), name: `pxfw-${spec.name}` });
      const recorder = recorderFromEnv(cfg.record);
      const service = await SchedulerService.start({
        spec,
        specYaml: yaml,
        mesosUrl: cfg.mesos,
        portworxUrl: cfg.portworx,
        portworxLegacyUrl: cfg.portworxLegacy,
        ...(process.env.PXFW_PORTWORX_TOKEN ? { portworxToken: process.env.PXFW_PORTWORX_TOKEN } : {}),
        nc,
        instanceId: cfg.instance ?? `${hostname()}-${process.pid}`,
        ...(recorder ? { recorder } : {}),
        httpPort: cfg.httpPort,
        // Divides every interval; for running against the simulators' own speed factor.
        speed: timeScale(),
        logger: rootLogger(),
      });
      const stop = async () => {
        await service.stop();
        await nc.drain().catch(() => undefined);
      };
      const gone = service.runtime.whenGone().then(() => 'gone' as const);
      const signalled = new Promise<'signal'>((resolve) => {
        process.once('SIGINT', () => resolve('signal'));
        process.once('SIGTERM', () => resolve('signal'));
      });
      await Promise.race([gone, signalled]);
      await stop();
    });
}
