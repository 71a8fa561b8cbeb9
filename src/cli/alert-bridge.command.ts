import { InvalidArgumentError, Option, type Command } from 'commander';
import { AlertBridge } from '../alerts';
import { connectNats, natsSettingsFromEnv } from '../nats/connect';

interface BridgeFlags {
  portworx: string;
  nats?: string;
  interval: number;
  json?: boolean;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of milliseconds');
  return n;
}

/** `pxfw alert-bridge --portworx URL [--nats URL]`: relay Portworx SDK alerts to JetStream. */
export function registerAlertBridge(program: Command): void {
  program
    .command('alert-bridge')
    .description('relay the alerts of a Portworx cluster (SDK /v1/alerts/filters) to NATS JetStream, each event once')
    .addOption(new Option('--portworx <URL>', 'Portworx SDK REST URL (port 9021)').env('PXFW_PORTWORX_URL').makeOptionMandatory())
    .addOption(new Option('--nats <URL>', 'NATS server (credentials from NATS_CREDS / NATS_USER / NATS_TOKEN …)').env('NATS_URL'))
    .addOption(new Option('--interval <MS>', 'how often to read the alerts').argParser(positiveInt).default(2000))
    .option('--json', 'print status as JSON')
    .action(async (flags: BridgeFlags) => {
      const nc = await connectNats({ ...natsSettingsFromEnv(process.env, flags.nats), name: 'pxfw-alert-bridge' });
      const bridge = AlertBridge.start({ portworxUrl: flags.portworx.replace(/\/+$/, ''), nc, pollIntervalMs: flags.interval });
      process.stdout.write(
        flags.json
          ? `${JSON.stringify({ portworx: flags.portworx, nats: nc.getServer() })}\n`
          : `relaying alerts from ${flags.portworx} to NATS ${nc.getServer()} (Ctrl-C to stop)\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await bridge.stop();
      await nc.drain();
      if (flags.json) process.stdout.write(`${JSON.stringify(bridge.stats)}\n`);
      else process.stdout.write(`published ${bridge.stats.published} alert events\n`);
    });
}
