import { InvalidArgumentError, Option, type Command } from 'commander';
import { childLogger } from '../log/logger';
import { PortworxClient } from '../portworx';
import { Recorder } from '../record/recorder';
import { PortworxVolumeIsolator } from '../sim/isolator/portworx-isolator';
import { MesosSimulator, simControl, type MesosSimOptions } from '../sim/mesos';
import { simPodCheck, type CheckAction } from '../sim/mesos/control-client';
import { parsePortRanges, type PortRange } from '../sim/mesos/options';

const DEFAULT_MESOS_URL = 'http://127.0.0.1:5050';

function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return n;
  };
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

export interface MesosFlags {
  port: number;
  agents: number;
  racks: number;
  zones?: number;
  region: string;
  portworx?: string;
  record?: string;
  heartbeat: number;
  speed: number;
  offerTimeout?: number;
  agentPingTimeout: number;
  maxAgentPingTimeouts: number;
  reregisterWindow?: number;
  agentRestart?: number;
  /** The ports each agent offers (default the DC/OS ranges). */
  ports?: PortRange[];
  json?: boolean;
}

interface AgentFlags {
  mesos: string;
  json?: boolean;
  newId?: boolean;
  loseExecutors?: boolean;
}

/**
 * What `pxfw sim mesos` flags mean to the simulator. With `--portworx URL` the agents' docker/volume
 * isolator attaches and mounts each task's pxd volumes through that Portworx SDK (DESIGN.md); its
 * Portworx exchanges go to the same `--record` file as the Mesos traffic.
 */
export function simulatorOptions(flags: MesosFlags): MesosSimOptions {
  const recorder = flags.record !== undefined ? Recorder.toFile(flags.record) : undefined;
  const isolator =
    flags.portworx !== undefined
      ? new PortworxVolumeIsolator(
          new PortworxClient({ url: flags.portworx, ...(recorder ? { recorder } : {}) }),
          childLogger({ module: 'sim-mesos-isolator' }),
        )
      : undefined;
  return {
    port: flags.port,
    agents: flags.agents,
    racks: flags.racks,
    ...(flags.zones !== undefined ? { zones: flags.zones } : {}),
    region: flags.region,
    heartbeatSeconds: flags.heartbeat,
    speed: flags.speed,
    ...(flags.offerTimeout !== undefined ? { offerTimeoutSeconds: flags.offerTimeout } : {}),
    agentPingTimeoutSeconds: flags.agentPingTimeout,
    maxAgentPingTimeouts: flags.maxAgentPingTimeouts,
    ...(flags.reregisterWindow !== undefined ? { reregisterWindowSeconds: flags.reregisterWindow } : {}),
    ...(flags.agentRestart !== undefined ? { agentRestartSeconds: flags.agentRestart } : {}),
    ...(flags.portworx !== undefined ? { portworxUrl: flags.portworx, isolator } : {}),
    ...(flags.ports !== undefined ? { agentResources: { ports: flags.ports } } : {}),
    ...(recorder ? { recorder } : {}),
  };
}

function portRanges(value: string): PortRange[] {
  try {
    return parsePortRanges(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace(/^--ports: /, ''));
  }
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number >= 0');
  return n;
}

/** `pxfw sim mesos …` (the simulator) and `pxfw sim agent crash|restart|partition|heal|gone|kill AGENT` (its faults). */
export function registerSimMesos(sim: Command): void {
  sim
    .command('mesos')
    .description('run a simulated Mesos master and agents (v1 scheduler and operator HTTP APIs) until SIGINT/SIGTERM')
    .addOption(new Option('--port <P>', 'TCP port on 127.0.0.1 (0 picks a free one)').argParser(integer(0, 65535)).default(5050))
    .addOption(new Option('--agents <N>', 'number of agents').argParser(integer(0, 100_000)).default(3))
    .addOption(new Option('--racks <N>', 'racks (agent attribute rack=rack-<n>)').argParser(integer(1, 10_000)).default(3))
    .addOption(new Option('--zones <N>', 'fault-domain zones (default: one per rack)').argParser(integer(1, 10_000)))
    .addOption(new Option('--region <NAME>', 'fault-domain region of every agent').default('region-1'))
    .addOption(new Option('--portworx <URL>', 'Portworx SDK URL for the volume isolator').env('PXFW_PORTWORX_URL'))
    .addOption(new Option('--record <FILE>', 'append every Mesos call, event and response to FILE (JSON lines)'))
    .addOption(new Option('--heartbeat <S>', 'heartbeat interval in seconds').argParser(positive).default(15))
    .addOption(new Option('--speed <F>', 'divide every interval by F').argParser(positive).default(1))
    .addOption(new Option('--offer-timeout <S>', 'rescind offers unused after S seconds').argParser(positive))
    .addOption(new Option('--agent-ping-timeout <S>', 'Mesos --agent_ping_timeout: seconds per ping').argParser(positive).default(15))
    .addOption(
      new Option('--max-agent-ping-timeouts <N>', 'Mesos --max_agent_ping_timeouts: missed pings before an agent is unreachable')
        .argParser(integer(1, 1_000))
        .default(5),
    )
    .addOption(new Option('--reregister-window <S>', 'after a master failover, agents re-register within S seconds (default 2)').argParser(nonNegative))
    .addOption(new Option('--agent-restart <S>', 'seconds a restarted agent or rebooted host takes to register (default 1)').argParser(nonNegative))
    .addOption(
      new Option('--ports <RANGES>', 'ports every agent offers: dcos (default: DC/OS agents, 1025-32000 but its own), mesos (31000-32000), or ranges like 9000-9100,31000-32000')
        .argParser(portRanges),
    )
    .option('--json', 'print the listening URL as JSON')
    .action(async (flags: MesosFlags) => {
      const simulator = await MesosSimulator.start(simulatorOptions(flags));
      process.stdout.write(
        flags.json
          ? `${JSON.stringify({ url: simulator.url, agents: flags.agents })}\n`
          : `Mesos simulator listening on ${simulator.url} with ${flags.agents} agents (Ctrl-C to stop)\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await simulator.stop();
    });

  registerSimTask(sim);

  const agent = sim.command('agent').description('inject agent and host faults into a running `pxfw sim mesos` (real Mesos semantics)');
  const actions: [string, string][] = [
    ['crash', 'the host dies silently: no updates, KILLs lost; TASK_UNREACHABLE after the ping timeouts'],
    ['restart', 'the agent process restarts and re-registers with its tasks (--new-id: the host rebooted)'],
    ['partition', 'partition the agent from the master: its tasks become TASK_UNREACHABLE'],
    ['heal', 'end a partition (a crashed host reboots; a removed or gone host comes back as a new agent)'],
    ['gone', 'the operator marks the agent gone (MARK_AGENT_GONE): TASK_GONE_BY_OPERATOR'],
    ['kill', 'the operator removes the agent (it unregisters): its tasks become TASK_LOST'],
  ];
  for (const [action, description] of actions) {
    const cmd = agent
      .command(`${action} <agent>`)
      .description(`${description}; AGENT is an agent id or hostname`)
      .addOption(new Option('--mesos <URL>', 'URL of the Mesos simulator').env('PXFW_MESOS_URL').default(DEFAULT_MESOS_URL))
      .option('--json', 'print the agent as JSON');
    if (action === 'restart') {
      cmd
        .option('--new-id', 'the host rebooted: its tasks died and a new agent id registers')
        .option('--lose-executors', 'executors do not re-register: their tasks end TASK_GONE');
    }
    cmd.action(async (name: string, flags: AgentFlags) => {
      const body = action === 'restart' ? { new_id: flags.newId === true, lose_executors: flags.loseExecutors === true } : undefined;
      const result = (await simControl(flags.mesos, `sim/v1/agents/${encodeURIComponent(name)}/${action}`, body)) as {
        agent?: { id?: string; hostname?: string; state?: string; hostDown?: boolean };
      };
      const a = result.agent ?? {};
      const state = `${a.state ?? 'unknown'}${a.hostDown === true ? ' (host down)' : ''}`;
      process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : `agent ${a.hostname ?? name} (${a.id ?? '?'}) is now ${state}\n`);
    });
  }
}

interface TaskFlags {
  mesos: string;
  json?: boolean;
  hang?: boolean;
  pod?: string;
}

/**
 * `pxfw sim task unready|ready|unhealthy|healthy TASK`: make a task's readiness check
 * (TaskInfo.check) or health check fail, or pass again. The simulated executor reports the change
 * at its next check; a health check failing `consecutive_failures` times kills the task.
 * `--pod POD` in place of TASK: the pod's tasks launched from now on fail that check from their
 * first run (a relaunched task fails before it ever passes), until `ready|healthy --pod POD`.
 */
function registerSimTask(sim: Command): void {
  const task = sim.command('task').description("make a task's checks fail or pass in a running `pxfw sim mesos` (the executor's checkers report it)");
  const actions: [CheckAction, string][] = [
    ['unready', 'its readiness check (TaskInfo.check) fails from its next run'],
    ['ready', 'its readiness check passes again'],
    ['unhealthy', 'its health check fails from its next run; consecutive_failures failures kill the task'],
    ['healthy', 'its health check passes again'],
  ];
  for (const [action, description] of actions) {
    const cmd = task
      .command(`${action} [task]`)
      .description(`${description}; TASK is a task id (or --pod POD: the pod's next tasks, until the opposite --pod)`)
      .addOption(new Option('--mesos <URL>', 'URL of the Mesos simulator').env('PXFW_MESOS_URL').default(DEFAULT_MESOS_URL))
      .option('--pod <pod>', "the pod's tasks launched from now on (sticky), in place of a task id")
      .option('--json', 'print the task as JSON');
    if (action === 'unready' || action === 'unhealthy') cmd.option('--hang', 'the check hangs and times out (timeout_seconds) instead of failing');
    cmd.action(async (id: string | undefined, flags: TaskFlags) => {
      if ((id === undefined) === (flags.pod === undefined)) cmd.error('error: give a task id or --pod POD (one of them)');
      if (flags.pod !== undefined) {
        const result = await simPodCheck(flags.mesos, flags.pod, action, { hang: flags.hang === true });
        const failing = action === 'unready' || action === 'unhealthy';
        const what = failing ? `its tasks launched from now on fail the check${flags.hang ? ' (hanging)' : ''}` : `its checks pass again${result.tasks.length > 0 ? ` (${result.tasks.join(', ')})` : ''}`;
        process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : `pod ${flags.pod}: ${action}: ${what}\n`);
        return;
      }
      const body = flags.hang === true ? { hang: true } : undefined;
      const result = (await simControl(flags.mesos, `sim/v1/tasks/${encodeURIComponent(id!)}/${action}`, body)) as { task?: { taskId?: string; state?: string } };
      process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : `task ${result.task?.taskId ?? id} (${result.task?.state ?? '?'}): ${action}${flags.hang ? ' (hanging checks)' : ''}\n`);
    });
  }
}
