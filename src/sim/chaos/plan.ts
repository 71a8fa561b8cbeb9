import { Prng } from './prng';

/** One thing a chaos step does. Hosts are hostnames (agent-1 …), pods pod instance names. */
export type Action =
  | { kind: 'crash'; host: string }
  | { kind: 'restart'; host: string; newId: boolean }
  | { kind: 'partition'; host: string; healAfterMs?: number }
  | { kind: 'heal'; host: string; auto: boolean }
  | { kind: 'px-status'; host: string; status: 'STATUS_OFFLINE' | 'STATUS_MAINTENANCE' | 'STATUS_STORAGE_DOWN' | 'STATUS_NONE' }
  | { kind: 'px-flap'; host: string; periodMs: number; count: number }
  | { kind: 'px-duplicate'; host: string }
  | { kind: 'scheduler-kill'; downMs: number }
  | { kind: 'nats-restart' }
  | { kind: 'master-failover' }
  | { kind: 'wire-burst' }
  | { kind: 'wire-cut'; mode: 'reset' | 'end' | 'truncate' }
  | { kind: 'wire-lose'; callType: 'ACCEPT' | 'KILL' | 'ACKNOWLEDGE' | 'RECONCILE' | 'DECLINE' }
  | { kind: 'scale'; podType: string; count: number }
  | { kind: 'replace'; pod: string }
  | { kind: 'snapshot'; name: string }
  | { kind: 'quiet' };

export interface StepPlan {
  step: number;
  actions: Action[];
  dwellMs: number;
}

/** What the simulators and the scheduler handle offer (faults of engineers A and B are detected). */
export interface Features {
  crashAgent: boolean;
  restartAgent: boolean;
  setNodeStatus: boolean;
  flapNode: boolean;
  addDuplicateNode: boolean;
  sigkill: boolean;
  natsRestart: boolean;
}

export interface PlanOptions {
  seed: number;
  steps: number;
  hosts: string[];
  podType: string;
  initialCount: number;
  minCount: number;
  maxCount: number;
  /** Host faults (crash, partition, Portworx down) active at once, at most. */
  maxDown: number;
  /** A host fault is healed automatically after this many steps. */
  maxFaultSteps: number;
  minDwellMs: number;
  maxDwellMs: number;
  /** failure_policy.probation in wall ms (short partitions stay well inside it). */
  probationMs: number;
  features: Features;
  /** Weight per step kind; missing kinds use the defaults, 0 disables a kind. */
  weights?: Partial<Record<StepKind, number>>;
  /** Probability that a step adds a second, different fault at once (default 0). */
  comboRate?: number;
}

export type StepKind =
  | 'crash'
  | 'restart'
  | 'restart-new-id'
  | 'partition-short'
  | 'partition-long'
  | 'heal'
  | 'px-offline'
  | 'px-maintenance'
  | 'px-storage-down'
  | 'px-none'
  | 'px-flap'
  | 'px-duplicate'
  | 'scheduler-kill'
  | 'nats-restart'
  | 'master-failover'
  | 'wire-burst'
  | 'wire-cut'
  | 'wire-lose'
  | 'scale'
  | 'replace'
  | 'snapshot'
  | 'quiet';

export const DEFAULT_WEIGHTS: Record<StepKind, number> = {
  crash: 8,
  restart: 4,
  'restart-new-id': 4,
  'partition-short': 5,
  'partition-long': 6,
  heal: 10,
  'px-offline': 5,
  'px-maintenance': 3,
  'px-storage-down': 3,
  'px-none': 1,
  'px-flap': 3,
  'px-duplicate': 2,
  'scheduler-kill': 5,
  'nats-restart': 3,
  'master-failover': 3,
  'wire-burst': 6,
  'wire-cut': 4,
  'wire-lose': 6,
  scale: 5,
  replace: 3,
  snapshot: 3,
  quiet: 4,
};

/** Host faults that take a host (or its storage) out until healed. */
const DOWN_KINDS = new Set(['crash', 'partition', 'px-status']);

/**
 * The whole step sequence of a run, from the seed alone (no observed state), so a seed and a
 * step count reproduce the same fault list. Faults heal on a later `heal` step or after
 * maxFaultSteps steps.
 */
export function generatePlan(o: PlanOptions): StepPlan[] {
  const rng = new Prng(o.seed);
  const w = { ...DEFAULT_WEIGHTS, ...o.weights };
  const f = o.features;
  const faulted = new Map<string, { kind: string; step: number }>();
  let count = o.initialCount;
  const plan: StepPlan[] = [];
  for (let step = 1; step <= o.steps; step++) {
    const actions: Action[] = [];
    for (const [host, fault] of [...faulted]) {
      if (step - fault.step >= o.maxFaultSteps) {
        actions.push({ kind: 'heal', host, auto: true });
        faulted.delete(host);
      }
    }
    const down = [...faulted.values()].filter((x) => DOWN_KINDS.has(x.kind)).length;
    const free = o.hosts.filter((h) => !faulted.has(h));
    const canDown = down < o.maxDown && free.length > 0;
    const enabled: [StepKind, number][] = [
      ['crash', canDown ? w.crash : 0],
      ['restart', free.length && f.restartAgent ? w.restart : 0],
      ['restart-new-id', free.length && f.restartAgent ? w['restart-new-id'] : 0],
      ['partition-short', free.length ? w['partition-short'] : 0],
      ['partition-long', canDown ? w['partition-long'] : 0],
      ['heal', faulted.size ? w.heal : 0],
      ['px-offline', canDown && f.setNodeStatus ? w['px-offline'] : 0],
      ['px-maintenance', canDown && f.setNodeStatus ? w['px-maintenance'] : 0],
      ['px-storage-down', canDown && f.setNodeStatus ? w['px-storage-down'] : 0],
      ['px-none', free.length && f.setNodeStatus ? w['px-none'] : 0],
      ['px-flap', free.length && f.flapNode ? w['px-flap'] : 0],
      ['px-duplicate', free.length && f.addDuplicateNode ? w['px-duplicate'] : 0],
      ['scheduler-kill', f.sigkill ? w['scheduler-kill'] : 0],
      ['nats-restart', f.natsRestart ? w['nats-restart'] : 0],
      ['master-failover', w['master-failover']],
      ['wire-burst', w['wire-burst']],
      ['wire-cut', w['wire-cut']],
      ['wire-lose', w['wire-lose']],
      ['scale', o.maxCount > o.minCount ? w.scale : 0],
      ['replace', w.replace],
      ['snapshot', w.snapshot],
      ['quiet', w.quiet],
    ];
    const kinds: StepKind[] = [rng.weighted(enabled)];
    if (rng.chance(o.comboRate ?? 0)) {
      const others = enabled.filter(([k]) => k !== kinds[0] && k !== 'heal' && k !== 'quiet' && k !== 'scale');
      if (others.some(([, wt]) => wt > 0)) kinds.push(rng.weighted(others));
    }
    for (const kind of kinds) {
      const freeNow = o.hosts.filter((h) => !faulted.has(h));
      const host = freeNow.length ? rng.pick(freeNow) : o.hosts[0]!;
      const mark = (k: string) => faulted.set(host, { kind: k, step });
      switch (kind) {
        case 'crash':
          actions.push({ kind: 'crash', host });
          mark('crash');
          break;
        case 'restart':
        case 'restart-new-id':
          actions.push({ kind: 'restart', host, newId: kind === 'restart-new-id' });
          break;
        case 'partition-short':
          actions.push({ kind: 'partition', host, healAfterMs: Math.max(20, Math.round(o.probationMs * (0.1 + 0.3 * rng.next()))) });
          break;
        case 'partition-long':
          actions.push({ kind: 'partition', host });
          mark('partition');
          break;
        case 'heal': {
          const h = rng.pick([...faulted.keys()]);
          actions.push({ kind: 'heal', host: h, auto: false });
          faulted.delete(h);
          break;
        }
        case 'px-offline':
        case 'px-maintenance':
        case 'px-storage-down':
        case 'px-none': {
          const status = ({ 'px-offline': 'STATUS_OFFLINE', 'px-maintenance': 'STATUS_MAINTENANCE', 'px-storage-down': 'STATUS_STORAGE_DOWN', 'px-none': 'STATUS_NONE' } as const)[kind];
          actions.push({ kind: 'px-status', host, status });
          mark(kind === 'px-none' ? 'px-soft' : 'px-status');
          break;
        }
        case 'px-flap':
          actions.push({ kind: 'px-flap', host, periodMs: Math.max(20, Math.round(o.probationMs * (0.2 + rng.next()))), count: rng.int(1, 4) });
          mark('px-flap');
          break;
        case 'px-duplicate':
          actions.push({ kind: 'px-duplicate', host });
          mark('px-duplicate');
          break;
        case 'scheduler-kill':
          actions.push({ kind: 'scheduler-kill', downMs: rng.int(0, 1500) });
          break;
        case 'nats-restart':
          actions.push({ kind: 'nats-restart' });
          break;
        case 'master-failover':
          actions.push({ kind: 'master-failover' });
          break;
        case 'wire-burst':
          actions.push({ kind: 'wire-burst' });
          break;
        case 'wire-cut':
          actions.push({ kind: 'wire-cut', mode: rng.pick(['reset', 'end', 'truncate'] as const) });
          break;
        case 'wire-lose':
          actions.push({ kind: 'wire-lose', callType: rng.weighted([['ACCEPT', 4], ['KILL', 3], ['ACKNOWLEDGE', 2], ['RECONCILE', 1], ['DECLINE', 1]] as const) });
          break;
        case 'scale': {
          const choices = [];
          for (let n = o.minCount; n <= o.maxCount; n++) if (n !== count) choices.push(n);
          count = rng.pick(choices);
          actions.push({ kind: 'scale', podType: o.podType, count });
          break;
        }
        case 'replace':
          actions.push({ kind: 'replace', pod: `${o.podType}-${rng.int(0, count - 1)}` });
          break;
        case 'snapshot':
          actions.push({ kind: 'snapshot', name: `chaos-${o.seed}-${step}` });
          break;
        case 'quiet':
          actions.push({ kind: 'quiet' });
          break;
      }
    }
    plan.push({ step, actions, dwellMs: rng.int(o.minDwellMs, o.maxDwellMs) });
  }
  return plan;
}

export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'crash':
      return `crash ${a.host}`;
    case 'restart':
      return `restart ${a.host}${a.newId ? ' --new-id' : ''}`;
    case 'partition':
      return `partition ${a.host}${a.healAfterMs !== undefined ? ` for ${a.healAfterMs}ms` : ''}`;
    case 'heal':
      return `${a.auto ? 'auto-' : ''}heal ${a.host}`;
    case 'px-status':
      return `px ${a.host} ${a.status.replace('STATUS_', '')}`;
    case 'px-flap':
      return `px flap ${a.host} ${a.count}x${a.periodMs}ms`;
    case 'px-duplicate':
      return `px duplicate ${a.host}`;
    case 'scheduler-kill':
      return `scheduler SIGKILL (down ${a.downMs}ms)`;
    case 'wire-cut':
      return `wire cut streams (${a.mode})`;
    case 'wire-lose':
      return `wire lose next ${a.callType} reply`;
    case 'scale':
      return `scale ${a.podType} ${a.count}`;
    case 'replace':
      return `pod replace ${a.pod}`;
    case 'snapshot':
      return `snapshot create ${a.name}`;
    default:
      return a.kind;
  }
}
