import { z } from 'zod';
import type { Recorder } from '../../record/recorder';
import { SimOptionsError } from './errors';
import type { VolumeIsolator } from './isolator';

/** Options of MesosSimulator.start(); every interval is in seconds of simulated time. */
export interface MesosSimOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  host?: string;
  agents?: number;
  racks?: number;
  /** Zones in the fault domain; default one per rack (rack n lives in zone `zone-n`). */
  zones?: number;
  region?: string;
  /**
   * What every agent offers. `ports`: one range `[begin, end]` or a list of ranges; default the
   * ranges a DC/OS agent offers (DCOS_AGENT_PORTS).
   */
  agentResources?: { cpus?: number; mem?: number; disk?: number; ports?: [number, number] | PortRange[] };
  /** Scheduler and operator heartbeat interval (Mesos: 15 s). */
  heartbeatSeconds?: number;
  /** Offer round interval (Mesos --allocation_interval: 1 s). */
  allocationIntervalSeconds?: number;
  /** Rescind offers not used within this long (Mesos --offer_timeout; default: never). */
  offerTimeoutSeconds?: number;
  /** From launch to TASK_RUNNING on the agent. */
  taskStartSeconds?: number;
  /** From KILL to TASK_KILLED on the agent. */
  taskKillSeconds?: number;
  /** First retry of an unacknowledged status update (Mesos agent: 10 s, doubling to 10 min). */
  statusRetrySeconds?: number;
  statusRetryMaxSeconds?: number;
  /** Divides every interval above (tests and demos run faster than real time). */
  speed?: number;
  isolator?: VolumeIsolator;
  recorder?: Recorder;
  /**
   * A `pxfw sim portworx` to tell when a host crashes or boots (best effort `POST
   * {portworxUrl}/sim/v1/hosts/{hostname}/crash|boot`); also what `--portworx` wires the isolator to.
   */
  portworxUrl?: string;
  /** Called when a host dies (crashAgent, or the reboot of restartAgent with newId) and when it is back. */
  hostEvents?: HostEvents;
  /** Mesos --agent_ping_timeout (15 s): the master pings each agent this often. */
  agentPingTimeoutSeconds?: number;
  /** Mesos --max_agent_ping_timeouts (5): missed pings before the master marks an agent unreachable. */
  maxAgentPingTimeouts?: number;
  /**
   * Mesos --agent_reregister_timeout (10 min): after a master failover, an agent that has not
   * re-registered within this long is marked unreachable.
   */
  agentReregisterTimeoutSeconds?: number;
  /** After a master failover the agents re-register at random moments within this window (default 2 s). */
  reregisterWindowSeconds?: number;
  /** How long a restarted agent (or rebooted host) takes to register again (default 1 s). */
  agentRestartSeconds?: number;
  /**
   * A silently crashed host looks healthy to the master until the ping timeouts, so its free
   * resources are still offered (default true, as in Mesos). false stops offering it at once.
   */
  offerCrashedAgents?: boolean;
}

export interface PortRange {
  begin: number;
  end: number;
}

/**
 * The ports a DC/OS private agent offers: every port from 1025 to 32000 but those of ZooKeeper
 * (2181, 3888), the Mesos agent (5050-5051), Marathon (8080-8081) and Exhibitor (8181). dcos/dcos
 * gen/dcos-config.yaml, `/etc/mesos-slave` MESOS_RESOURCES (commit 79b9a39b, line 1466). Plain Mesos
 * agents offer 31000-32000 (`pxfw sim mesos --ports 31000-32000`).
 */
export const DCOS_AGENT_PORTS: readonly PortRange[] = Object.freeze([
  { begin: 1025, end: 2180 },
  { begin: 2182, end: 3887 },
  { begin: 3889, end: 5049 },
  { begin: 5052, end: 8079 },
  { begin: 8082, end: 8180 },
  { begin: 8182, end: 32000 },
]);

/** What a plain Mesos agent offers when --resources names no ports (apache/mesos src/slave/constants.hpp DEFAULT_PORTS). */
export const MESOS_DEFAULT_PORTS: readonly PortRange[] = Object.freeze([{ begin: 31000, end: 32000 }]);

/**
 * Parse `--ports`: `dcos` (the DC/OS ranges), `mesos` (31000-32000), or ranges such as
 * `1025-2180,2182-32000` or `[31000-32000]` (the Mesos --resources form). Throws on anything else.
 */
export function parsePortRanges(text: string): PortRange[] {
  const t = text.trim().toLowerCase();
  if (t === 'dcos') return DCOS_AGENT_PORTS.map((r) => ({ ...r }));
  if (t === 'mesos') return MESOS_DEFAULT_PORTS.map((r) => ({ ...r }));
  const body = t.replace(/^\[|\]$/g, '');
  const ranges = body.split(',').map((part) => {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part);
    if (!m) throw new SimOptionsError(`--ports: '${part.trim()}' is not a port or a range such as 31000-32000 (or use dcos / mesos)`);
    const begin = Number(m[1]);
    const end = Number(m[2] ?? m[1]);
    if (begin < 1 || end > 65535 || begin > end) throw new SimOptionsError(`--ports: ${part.trim()} is not a range within 1-65535`);
    return { begin, end };
  });
  return ranges;
}

export interface HostEvents {
  down(hostname: string): void;
  up(hostname: string): void;
}

const port = z.number().int().min(1).max(65535);
const rangeSchema = z.object({ begin: port, end: port }).refine((r) => r.begin <= r.end, { error: 'begin must not be above end' });
/** A tuple `[begin, end]` (one range) or a list of ranges; always a list of ranges once parsed. */
const portsSchema = z.union([
  z.tuple([port, port]).transform(([begin, end]) => [{ begin, end }]),
  z.array(rangeSchema).min(1),
]);

const schema = z.object({
  port: z.number().int().min(0).max(65535).default(0),
  host: z.string().min(1).default('127.0.0.1'),
  agents: z.number().int().min(0).max(100_000).default(3),
  racks: z.number().int().min(1).max(10_000).default(3),
  zones: z.number().int().min(1).max(10_000).optional(),
  region: z.string().min(1).default('region-1'),
  agentResources: z
    .object({
      cpus: z.number().positive().default(8),
      mem: z.number().positive().default(32768),
      disk: z.number().positive().default(102400),
      ports: portsSchema.default(() => DCOS_AGENT_PORTS.map((r) => ({ ...r }))),
    })
    .default(() => ({ cpus: 8, mem: 32768, disk: 102400, ports: DCOS_AGENT_PORTS.map((r) => ({ ...r })) })),
  heartbeatSeconds: z.number().positive().default(15),
  allocationIntervalSeconds: z.number().positive().default(1),
  offerTimeoutSeconds: z.number().positive().optional(),
  taskStartSeconds: z.number().nonnegative().default(0.5),
  taskKillSeconds: z.number().nonnegative().default(0.2),
  statusRetrySeconds: z.number().positive().default(10),
  statusRetryMaxSeconds: z.number().positive().default(600),
  speed: z.number().positive().max(10_000).default(1),
  isolator: z.custom<VolumeIsolator>((v) => v === undefined || (typeof v === 'object' && v !== null)).optional(),
  recorder: z.custom<Recorder>((v) => v === undefined || (typeof v === 'object' && v !== null)).optional(),
  portworxUrl: z.string().url().optional(),
  hostEvents: z
    .custom<HostEvents>((v) => v === undefined || (typeof v === 'object' && v !== null && typeof (v as HostEvents).down === 'function' && typeof (v as HostEvents).up === 'function'), 'must have down(hostname) and up(hostname)')
    .optional(),
  agentPingTimeoutSeconds: z.number().positive().default(15),
  maxAgentPingTimeouts: z.number().int().min(1).default(5),
  agentReregisterTimeoutSeconds: z.number().positive().default(600),
  reregisterWindowSeconds: z.number().nonnegative().default(2),
  agentRestartSeconds: z.number().nonnegative().default(1),
  offerCrashedAgents: z.boolean().default(true),
});

export type ResolvedSimOptions = z.output<typeof schema>;

export function resolveOptions(opts: MesosSimOptions): ResolvedSimOptions {
  const result = schema.safeParse(opts);
  if (result.success) return result.data;
  const detail = result.error.issues
    .map((i) => `${['options', ...i.path.map(String)].join('.')}: ${i.message}`)
    .join('; ');
  throw new SimOptionsError(`invalid Mesos simulator options: ${detail}`);
}
