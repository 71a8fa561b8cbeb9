import { InvalidArgumentError, Option, type Command } from 'commander';
import { Recorder } from '../record/recorder';
import { DEFAULT_DETECT_DELAY_SECONDS, PortworxSimulator } from '../sim/portworx';
import { registerSimNode } from './sim-node.command';
import { parseByteSize } from '../sim/portworx/control-client';

const DEFAULT_PORTWORX_URL = 'http://127.0.0.1:9021';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port from 0 to 65535');
  return n;
}

function byteSize(value: string): number {
  try {
    return parseByteSize(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

interface PortworxFlags {
  port: number;
  host: string;
  mesos?: string;
  hosts?: string;
  nats?: string;
  record?: string;
  clusterId?: string;
  poolSize?: number;
  detectDelay?: number;
  speed?: number;
  json?: boolean;
}

function nonNegativeSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of seconds ≥ 0, e.g. 3 or 0.5');
  return n;
}

function speedFactor(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 10_000) throw new InvalidArgumentError('expected a factor above 0 and at most 10000');
  return n;
}

/** `pxfw sim portworx …` (the simulator) and `pxfw sim node …` (its fault injection, ./sim-node.command.ts). */
export function registerSimPortworx(sim: Command): void {
  sim
    .command('portworx')
    .description('run a simulated Portworx cluster (OpenStorage SDK REST + legacy group snapshot) until SIGINT/SIGTERM')
    .addOption(new Option('--port <P>', 'TCP port (0 picks a free one)').argParser(port).default(9021))
    .addOption(new Option('--host <ADDR>', 'address to listen on').default('127.0.0.1'))
    .addOption(new Option('--mesos <URL>', 'mirror the agents of this Mesos master as Portworx nodes').conflicts('hosts'))
    .addOption(new Option('--hosts <LIST>', 'nodes as h1,h2=rack/zone/region,… (default node-1,node-2,node-3)'))
    .addOption(new Option('--nats <URL>', 'publish alerts on portworx.alerts.<cluster-id>.<resource-type>').env('NATS_URL'))
    .addOption(new Option('--record <FILE>', 'append every SDK exchange to FILE (JSON lines)'))
    .addOption(new Option('--cluster-id <ID>', 'cluster id (default px-sim-<random>)'))
    .addOption(new Option('--pool-size <SIZE>', 'storage pool size of each node, e.g. 1TiB').argParser(byteSize))
    .addOption(
      new Option('--detect-delay <S>', `seconds from a host's death (or its agent lost in Mesos) to its node reported offline (default ${DEFAULT_DETECT_DELAY_SECONDS})`).argParser(
        nonNegativeSeconds,
      ),
    )
    .addOption(new Option('--speed <FACTOR>', 'divide the detection delay and boot time by FACTOR (default 1)').argParser(speedFactor))
    .option('--json', 'print the listening URL and cluster id as JSON')
    .action(async (flags: PortworxFlags) => {
      const simulator = await PortworxSimulator.start({
        port: flags.port,
        host: flags.host,
        ...(flags.mesos ? { mesosUrl: flags.mesos } : { hosts: flags.hosts }),
        ...(flags.nats ? { natsUrl: flags.nats } : {}),
        ...(flags.record ? { recorder: Recorder.toFile(flags.record) } : {}),
        ...(flags.clusterId ? { clusterId: flags.clusterId } : {}),
        ...(flags.poolSize ? { poolBytes: flags.poolSize } : {}),
        ...(flags.detectDelay !== undefined ? { detectDelaySeconds: flags.detectDelay } : {}),
        ...(flags.speed !== undefined ? { speed: flags.speed } : {}),
      });
      const nodes = simulator.nodes().map((n) => n.hostname);
      process.stdout.write(
        flags.json
          ? `${JSON.stringify({ url: simulator.url, cluster_id: simulator.clusterId, nodes, detect_delay_ms: simulator.faultTiming.detectDelayMs })}\n`
          : `Portworx simulator (cluster ${simulator.clusterId}) listening on ${simulator.url} with nodes ${nodes.join(', ')} (Ctrl-C to stop)\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await simulator.stop();
    });

  registerSimNode(sim, DEFAULT_PORTWORX_URL);
}
