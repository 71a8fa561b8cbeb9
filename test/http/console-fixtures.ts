import type { PlanView, SnapshotView } from '../../src/api/operations';
import type { ConsoleAgentFact, ConsoleFrameworkFact, ConsolePodFact, ConsoleReadModel } from '../../src/http/console-types';

export const ACTIVE: ConsoleFrameworkFact = {
  state: 'active(plans=complete,offers=suppressed)',
  is: { active: true, uninstalling: false, uninstalled: false, reinstalling: false },
  leading: true,
  subscribed: true,
  reason: null,
};

export const UNINSTALLED: ConsoleFrameworkFact = { ...ACTIVE, state: 'uninstalled', is: { ...ACTIVE.is, active: false, uninstalled: true }, subscribed: false };

/** A pod fact; by default running and ready on agent `a<index>` / host `agent-<index>`. */
export function pod(index: number, over: Partial<ConsolePodFact> = {}): ConsolePodFact {
  return {
    name: `node-${index}`,
    podType: 'node',
    index,
    state: 'running.up',
    tags: ['ready', 'running', 'task-live'],
    actorStatus: 'active',
    reason: 'task running',
    lastEvent: 'TASK_UPDATE',
    agentId: `a${index}`,
    hostname: `agent-${index}`,
    volumes: [{ name: `svc-node-${index}-data`, id: `v${index}`, replicaHosts: [`agent-${index}`, `agent-${index + 3}`], repl: 2 }],
    ...over,
  };
}

/** Agent `a<n>` on host `agent-<n>` in rack-<n mod 3>, zone-<n mod 3>, region-1. */
export function agent(n: number, over: Partial<ConsoleAgentFact> = {}): ConsoleAgentFact {
  const d = (n % 3) + 1;
  return { agentId: `a${n}`, hostname: `agent-${n}`, region: 'region-1', zone: `zone-${d}`, rack: `rack-${d}`, gone: false, unreachable: false, storage: 'online', ...over };
}

export function plan(name: string, statuses: string[], over: Partial<PlanView> = {}): PlanView {
  const steps = statuses.map((status, i) => ({ name: `node-${i}`, status: status as PlanView['status'] & 'COMPLETE' }));
  const status = statuses.every((s) => s === 'COMPLETE') ? 'COMPLETE' : statuses.includes('ERROR') ? 'ERROR' : 'IN_PROGRESS';
  return { name, status, paused: false, phases: [{ name: `${name}-phase`, strategy: 'serial', status, steps }], errors: [], ...over };
}

export interface FakeModel extends ConsoleReadModel {
  fw: ConsoleFrameworkFact;
  podFacts: ConsolePodFact[];
  agentFacts: ConsoleAgentFact[];
  planViews: PlanView[];
  snapshotViews: SnapshotView[];
}

/** A read model whose facts the test sets directly. */
export function fakeModel(over: Partial<Pick<FakeModel, 'fw' | 'podFacts' | 'agentFacts' | 'planViews' | 'snapshotViews'>> = {}): FakeModel {
  const m: FakeModel = {
    service: 'svc',
    fw: ACTIVE,
    podFacts: [pod(1), pod(2), pod(3)],
    agentFacts: [1, 2, 3, 4, 5, 6].map((n) => agent(n)),
    planViews: [plan('deploy', ['COMPLETE', 'COMPLETE', 'COMPLETE'])],
    snapshotViews: [],
    ...over,
    framework: () => m.fw,
    pods: () => m.podFacts,
    agents: () => m.agentFacts,
    plans: async () => m.planViews,
    snapshots: async () => m.snapshotViews,
  };
  return m;
}

export const HEALTHY = {
  healthy: true,
  details: { reasons: [] },
  checks: { mesos: { ok: true }, portworx: { ok: true }, lease: { ok: true } },
};
