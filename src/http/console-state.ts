import type { PlanView, SnapshotView } from '../api/operations';
import type { CompletedRecovery } from '../observe/recoveries';
import type { RateSample } from '../observe/rates';
import type { ConsoleEvent } from '../observe/event-feed';
import type { ConsoleAgentFact, ConsoleFrameworkFact, ConsolePodFact, ConsoleReadModel } from './console-types';
import { agentSaid, ageSaid, frameworkSaid, holderSaid, planSaid, podSaid, stepSaid, type Said } from './console-words';
import type { HealthReport } from './server';

export interface PodOnAgent extends Said {
  name: string;
}
export interface AgentRow extends Said {
  agentId: string;
  hostname: string;
  pods: PodOnAgent[];
}
export interface TopologyRegion {
  name: string;
  zones: { name: string; racks: { name: string; agents: AgentRow[] }[] }[];
}
export interface VolumeRow extends Said {
  name: string;
  pod: string;
  repl: number | null;
  degraded: boolean;
  holders: ({ host: string } & Said)[];
}
export interface PodRow extends Said {
  name: string;
  podType: string;
  hostname: string | null;
  reason: string | null;
}
export interface PlanRow extends Said {
  name: string;
  paused: boolean;
  done: number;
  total: number;
  /** `paused`: this phase is paused itself (phase-level pause), or its plan is. */
  phases: ({ name: string; paused: boolean; steps: ({ name: string; message: string | null } & Said)[] } & Said)[];
  errors: string[];
}
export interface SnapshotRow {
  name: string;
  createdAt: string;
  ageSeconds: number;
  age: string;
  volumes: number;
  problem: string | null;
}
export interface ConsoleState {
  service: string;
  at: string;
  framework: Said & { leading: boolean; reason: string | null };
  healthy: boolean;
  checks: ({ name: string } & Said)[];
  reasons: string[];
  topology: TopologyRegion[];
  /** Pods not on any known agent (waiting for an offer, or their agent unknown). */
  unplaced: PodOnAgent[];
  pods: PodRow[];
  volumes: VolumeRow[];
  plans: PlanRow[];
  snapshots: SnapshotRow[];
  events: ConsoleEvent[];
  charts: { recoveries: CompletedRecovery[]; recovering: { pod: string; type: string; startedAt: number }[]; rates: RateSample[] };
}

export interface ConsoleExtras {
  health: HealthReport;
  events: ConsoleEvent[];
  recoveries: readonly CompletedRecovery[];
  recovering: { pod: string; type: string; startedAt: number }[];
  rates: readonly RateSample[];
  now: number;
}

/** The console's whole view at one moment: what `/v1/console` answers and the `console` SSE event carries. */
export async function buildConsoleState(read: ConsoleReadModel, x: ConsoleExtras): Promise<ConsoleState> {
  const fw = read.framework();
  const [plans, snapshots] = await Promise.all([read.plans().catch(() => []), read.snapshots().catch(() => [])]);
  const agents = read.agents();
  const pods = fw.is.uninstalled ? [] : read.pods();
  const { topology, unplaced } = topologyOf(agents, pods, fw);
  return {
    service: read.service,
    at: new Date(x.now).toISOString(),
    framework: { ...frameworkSaid(fw), leading: fw.leading, reason: fw.reason },
    healthy: x.health.healthy,
    checks: Object.entries(x.health.checks ?? {}).map(([name, c]) => ({ name, text: c.ok ? 'ok' : 'not ok', tone: c.ok ? 'ok' : 'bad' })),
    reasons: ((x.health.details as { reasons?: string[] }).reasons ?? []).slice(),
    topology,
    unplaced,
    pods: pods.map((p) => ({ name: p.name, podType: p.podType, hostname: p.hostname, reason: p.reason, ...podSaid(p, fw) })),
    volumes: volumesOf(pods, agents),
    plans: plans.map(planRow),
    snapshots: snapshotRows(snapshots, x.now),
    events: x.events,
    charts: { recoveries: [...x.recoveries], recovering: x.recovering, rates: [...x.rates] },
  };
}

const UNKNOWN = '(none)';

function topologyOf(agents: ConsoleAgentFact[], pods: ConsolePodFact[], fw: ConsoleFrameworkFact): { topology: TopologyRegion[]; unplaced: PodOnAgent[] } {
  const onAgent = new Map<string, PodOnAgent[]>();
  const unplaced: PodOnAgent[] = [];
  const known = new Set(agents.map((a) => a.agentId));
  for (const p of pods) {
    const row = { name: p.name, ...podSaid(p, fw) };
    if (p.agentId && known.has(p.agentId)) onAgent.set(p.agentId, [...(onAgent.get(p.agentId) ?? []), row]);
    else unplaced.push(row);
  }
  const regions = new Map<string, Map<string, Map<string, AgentRow[]>>>();
  const sorted = [...agents].sort((a, b) => a.hostname.localeCompare(b.hostname));
  for (const a of sorted) {
    // An agent removed for good with nothing on it is history, not topology.
    if (a.gone && !onAgent.has(a.agentId)) continue;
    const zones = regions.get(a.region ?? UNKNOWN) ?? new Map<string, Map<string, AgentRow[]>>();
    regions.set(a.region ?? UNKNOWN, zones);
    const racks = zones.get(a.zone ?? UNKNOWN) ?? new Map<string, AgentRow[]>();
    zones.set(a.zone ?? UNKNOWN, racks);
    const row: AgentRow = { agentId: a.agentId, hostname: a.hostname, ...agentSaid(a), pods: onAgent.get(a.agentId) ?? [] };
    racks.set(a.rack ?? UNKNOWN, [...(racks.get(a.rack ?? UNKNOWN) ?? []), row]);
  }
  const byName = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => a.localeCompare(b));
  const topology = byName(regions).map(([name, zones]) => ({
    name,
    zones: byName(zones).map(([zname, racks]) => ({ name: zname, racks: byName(racks).map(([rname, rows]) => ({ name: rname, agents: rows })) })),
  }));
  return { topology, unplaced };
}

/** Each volume's holders with their health; degraded when fewer healthy holders than its repl. */
function volumesOf(pods: ConsolePodFact[], agents: ConsoleAgentFact[]): VolumeRow[] {
  const byHost = new Map(agents.filter((a) => !a.gone).map((a) => [a.hostname, a]));
  const rows: VolumeRow[] = [];
  for (const p of pods) {
    for (const v of p.volumes) {
      const holders = (v.replicaHosts ?? []).map((host) => {
        const a = byHost.get(host);
        return { host, ...holderSaid(a ? a.storage : undefined, !a || a.unreachable) };
      });
      const healthy = holders.filter((h) => h.tone === 'ok').length;
      const degraded = v.replicaHosts !== null && v.repl !== null && healthy < v.repl;
      const said: Said =
        v.replicaHosts === null
          ? { text: 'replicas not read yet', tone: 'muted' }
          : degraded
            ? { text: `degraded: ${healthy} of ${v.repl} replicas healthy`, tone: 'bad' }
            : { text: 'healthy', tone: 'ok' };
      rows.push({ name: v.name, pod: p.name, repl: v.repl, degraded, holders, ...said });
    }
  }
  return rows;
}

function planRow(p: PlanView): PlanRow {
  const steps = p.phases.flatMap((ph) => ph.steps);
  return {
    name: p.name,
    ...planSaid(p.status, p.paused),
    paused: p.paused,
    done: steps.filter((s) => s.status === 'COMPLETE').length,
    total: steps.length,
    phases: p.phases.map((ph) => ({
      name: ph.name,
      ...planSaid(ph.status, ph.paused === true),
      paused: p.paused || ph.paused === true,
      steps: ph.steps.map((s) => ({ name: s.name, message: s.message ?? null, ...stepSaid(s.status) })),
    })),
    errors: p.errors,
  };
}

function snapshotRows(snaps: SnapshotView[], now: number): SnapshotRow[] {
  return [...snaps]
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))
    .map((s) => {
      const ageSeconds = Math.max(0, (now - Date.parse(s.createdAt)) / 1000);
      return { name: s.name, createdAt: s.createdAt, ageSeconds, age: ageSaid(ageSeconds), volumes: s.volumes.length, problem: s.postCommandsError ?? null };
    });
}
