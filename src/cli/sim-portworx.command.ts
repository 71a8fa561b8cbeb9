import { InvalidArgumentError, Option, type Command } from 'commander';
import { Recorder } from '../record/recorder';
import { PortworxSimulator } from '../sim/portworx';
import { parseByteSize, setSimNodeState } from '../sim/portworx/control-client';

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
  json?: boolean;
}

interface NodeFlags {
  portworx: string;
  json?: boolean;
}

/** `pxfw sim portworx …` (the simulator) and `pxfw sim node down|up HOST` (its fault injection). */
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
      });
      const nodes = simulator.nodes().map((n) => n.hostname);
      process.stdout.write(
        flags.json
          ? `${JSON.stringify({ url: simulator.url, cluster_id: simulator.clusterId, nodes })}\n`
          : `Portworx simulator (cluster ${simulator.clusterId}) listening on ${simulator.url} with nodes ${nodes.join(', ')} (Ctrl-C to stop)\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await simulator.stop();
    });

  const node = sim.command('node').description('fault injection on a running Portworx simulator');
  for (const state of ['down', 'up'] as const) {
    node
      .command(`${state} <HOST>`)
      .description(state === 'down' ? 'take the Portworx node on HOST offline' : 'bring the Portworx node on HOST back online')
      .addOption(new Option('--portworx <URL>', 'the simulator URL').env('PXFW_PORTWORX_URL').default(DEFAULT_PORTWORX_URL))
      .option('--json', 'print the node as JSON')
      .action(async (host: string, flags: NodeFlags) => {
        const reply = await setSimNodeState(flags.portworx, host, state);
        process.stdout.write(
          flags.json
            ? `${JSON.stringify(reply)}\n`
            : `node ${reply.hostname} (${reply.id}) is ${reply.online ? 'online' : 'offline'}\n`,
        );
      });
  }
}
