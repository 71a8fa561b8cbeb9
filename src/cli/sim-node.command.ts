import { InvalidArgumentError, Option, type Command } from 'commander';
import { SIM_NODE_STATUSES } from '../sim/portworx';
import {
  addSimDuplicateNode,
  flapSimNode,
  getSimNode,
  removeSimDuplicateNode,
  setSimNodeState,
  setSimNodeStatus,
  simHostEvent,
  type NodeStateReply,
} from '../sim/portworx/control-client';

interface NodeFlags {
  portworx: string;
  json?: boolean;
}

/**
 * A node status as the SDK names it (STATUS_MAINTENANCE), or its short form (maintenance,
 * storage-down), case-insensitive.
 */
export function parseStatusArg(value: string): string {
  const name = value.trim().toUpperCase().replace(/-/g, '_');
  const full = name.startsWith('STATUS_') ? name : `STATUS_${name}`;
  if ((SIM_NODE_STATUSES as readonly string[]).includes(full)) return full;
  throw new InvalidArgumentError(`"${value}" is not a node status; use one of ${SIM_NODE_STATUSES.join(', ')} (or ok, offline, maintenance, storage-down, none)`);
}

function positiveInt(what: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) {
      throw new InvalidArgumentError(`expected ${what}: a whole number from 1 to ${max}`);
    }
    return n;
  };
}

function describe(n: NodeStateReply): string {
  const extra = [n.hostDown ? 'host down' : '', n.stale ? 'stale entry' : ''].filter(Boolean).join(', ');
  return `node ${n.hostname} (${n.id}) is ${n.status === 'STATUS_OK' ? 'online' : n.status === 'STATUS_OFFLINE' ? 'offline' : n.status}${extra ? ` [${extra}]` : ''}`;
}

function print(flags: { json?: boolean }, value: unknown, human: string): void {
  process.stdout.write(flags.json ? `${JSON.stringify(value)}\n` : `${human}\n`);
}

/** `pxfw sim node down|up|status|flap|duplicate|crash|boot HOST`: fault injection on a running Portworx simulator. */
export function registerSimNode(sim: Command, defaultUrl: string): void {
  const node = sim.command('node').description('fault injection on a running Portworx simulator');
  const urlOption = () => new Option('--portworx <URL>', 'the simulator URL').env('PXFW_PORTWORX_URL').default(defaultUrl);

  for (const state of ['down', 'up'] as const) {
    node
      .command(`${state} <HOST>`)
      .description(state === 'down' ? 'take the Portworx node on HOST offline (STATUS_OFFLINE) at once' : 'bring the Portworx node on HOST back (STATUS_OK) at once')
      .addOption(urlOption())
      .option('--json', 'print the node as JSON')
      .action(async (host: string, flags: NodeFlags) => {
        const reply = await setSimNodeState(flags.portworx, host, state);
        print(flags, reply, describe(reply));
      });
  }

  node
    .command('status <HOST>')
    .description(`show the node's status, or set it with --status (${SIM_NODE_STATUSES.join(', ')})`)
    .addOption(new Option('--status <S>', 'the status to set, e.g. STATUS_MAINTENANCE or storage-down').argParser(parseStatusArg))
    .addOption(urlOption())
    .option('--json', 'print the node as JSON')
    .action(async (host: string, flags: NodeFlags & { status?: string }) => {
      if (flags.status) {
        const reply = await setSimNodeStatus(flags.portworx, host, flags.status);
        print(flags, reply, describe(reply));
        return;
      }
      const { node: current, entries } = await getSimNode(flags.portworx, host);
      print(flags, { node: current, entries }, entries.map(describe).join('\n') || describe(current));
    });

  node
    .command('flap <HOST>')
    .description('alternate the node STATUS_OFFLINE / STATUS_OK: offline now, a change every --period, --count times offline, ending online')
    .addOption(new Option('--period <MS>', 'milliseconds between two changes').argParser(positiveInt('a period in ms', 3_600_000)).default(1000))
    .addOption(new Option('--count <N>', 'how many times the node goes offline').argParser(positiveInt('a count', 1000)).default(3))
    .addOption(urlOption())
    .option('--json', 'print the node as JSON')
    .action(async (host: string, flags: NodeFlags & { period: number; count: number }) => {
      const reply = await flapSimNode(flags.portworx, host, flags.period, flags.count);
      print(flags, reply, `${describe(reply)}; flapping ${flags.count} time(s) every ${flags.period} ms`);
    });

  node
    .command('duplicate <HOST>')
    .description('add a stale second node entry for HOST (same hostname, another node id), as after a re-install; --remove takes it away')
    .addOption(new Option('--status <S>', 'status of the stale entry (default STATUS_OFFLINE)').argParser(parseStatusArg))
    .option('--remove', 'remove the stale entries of HOST instead')
    .addOption(urlOption())
    .option('--json', 'print the result as JSON')
    .action(async (host: string, flags: NodeFlags & { status?: string; remove?: boolean }) => {
      if (flags.remove) {
        if (flags.status) throw new InvalidArgumentError('--status and --remove do not go together');
        const removed = await removeSimDuplicateNode(flags.portworx, host);
        print(flags, { removed }, removed > 0 ? `removed ${removed} stale entr${removed === 1 ? 'y' : 'ies'} of ${host}` : `${host} has no stale entry`);
        return;
      }
      const reply = await addSimDuplicateNode(flags.portworx, host, flags.status);
      print(flags, reply, describe(reply));
    });

  for (const event of ['crash', 'boot'] as const) {
    node
      .command(`${event} <HOST>`)
      .description(
        event === 'crash'
          ? 'the host dies: its node is reported offline after the detection delay'
          : 'the host is back: its node is online after a short startup',
      )
      .addOption(urlOption())
      .option('--json', 'print the node as JSON')
      .action(async (host: string, flags: NodeFlags) => {
        const reply = await simHostEvent(flags.portworx, host, event);
        print(flags, reply, `${describe(reply)}; host ${event === 'crash' ? 'crashed' : 'booting'}`);
      });
  }
}
