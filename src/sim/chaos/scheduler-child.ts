/**
 * Entry of the scheduler child process of a chaos run (`node --import tsx scheduler-child.ts`):
 * the scheduler as Marathon runs it, except that it talks to the simulated agents' API through
 * the simulator. Configured by the JSON in PXFW_CHAOS_SCHEDULER (see SchedulerChildConfig).
 */
import { readFile } from 'node:fs/promises';
import { SchedulerService } from '../../controller/scheduler-service';
import { parseSpec } from '../../service-spec';
import { connectNats } from '../../nats/connect';
import { Recorder } from '../../record/recorder';
import { rootLogger } from '../../log/logger';
import type { SchedulerChildConfig } from './scheduler-handle';

const cfg = JSON.parse(process.env.PXFW_CHAOS_SCHEDULER ?? '{}') as SchedulerChildConfig;
const yaml = await readFile(cfg.specFile, 'utf8');
const nc = await connectNats({ url: cfg.natsUrl, name: `pxfw-chaos-${cfg.instanceId}` });
const service = await SchedulerService.start({
  spec: parseSpec(yaml, cfg.specFile),
  specYaml: yaml,
  mesosUrl: cfg.mesosUrl,
  portworxUrl: cfg.portworxUrl,
  portworxLegacyUrl: cfg.portworxUrl,
  nc,
  instanceId: cfg.instanceId,
  ...(cfg.recordDir ? { recorder: Recorder.toDir(cfg.recordDir) } : {}),
  agentUrl: (agentId) => `${cfg.agentBaseUrl}/agents/${encodeURIComponent(agentId)}`,
  speed: cfg.speed,
  logger: rootLogger(),
});
process.send?.({ type: 'started' });
const stop = async () => {
  await service.stop().catch(() => undefined);
  await nc.drain().catch(() => undefined);
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
