import type { AnyStateMachine, InspectionEvent, StateValue } from 'xstate';

interface TransitionLike {
  source: NodeLike;
  eventType: string;
}
interface NodeLike {
  id: string;
  key: string;
  states: Record<string, NodeLike>;
  transitions: Map<string, TransitionLike[]>;
  always?: TransitionLike[];
}

function transitionKey(t: TransitionLike): string {
  const list = t.eventType === '' ? (t.source.always ?? []) : (t.source.transitions.get(t.eventType) ?? []);
  return `${t.source.id} | ${t.eventType || 'always'} | #${list.indexOf(t)}`;
}

/** Every transition of a machine as 'source id | event | #position among that event's candidates'. */
export function allTransitionKeys(machine: AnyStateMachine): string[] {
  const out: string[] = [];
  const walk = (node: NodeLike): void => {
    for (const list of node.transitions.values()) for (const t of list) out.push(transitionKey(t));
    for (const t of node.always ?? []) out.push(transitionKey(t));
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(machine.root as unknown as NodeLike);
  return out.sort();
}

/** Every state node of a machine as a dotted path ('running', 'running.up', …), root excluded. */
export function allStatePaths(machine: AnyStateMachine): string[] {
  const out: string[] = [];
  const walk = (node: NodeLike, prefix: string): void => {
    for (const [key, child] of Object.entries(node.states)) {
      const path = prefix ? `${prefix}.${key}` : key;
      out.push(path);
      walk(child, path);
    }
  };
  walk(machine.root as unknown as NodeLike, '');
  return out.sort();
}

/** Dotted paths of every active node in a state value (ancestors included). */
export function activePaths(value: StateValue, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix ? `${prefix}.${value}` : value];
  const out: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    out.push(path, ...activePaths(child as StateValue, path));
  }
  return out;
}

/**
 * Collects the states visited by machine actors across a whole test file. Pass `inspect` to
 * createActor: every microstep is seen, so states left at once by `always` count too.
 */
export class StateCoverage {
  readonly visited = new Set<string>();
  readonly transitions = new Set<string>();

  readonly inspect = (ev: InspectionEvent): void => {
    if (ev.type !== '@xstate.microstep' && ev.type !== '@xstate.snapshot') return;
    const snap = ev.snapshot as { value?: StateValue; machine?: unknown };
    if (snap.machine === undefined || snap.value === undefined) return;
    if (!this.isRoot(ev.actorRef)) return;
    for (const p of activePaths(snap.value)) this.visited.add(p);
    if (ev.type === '@xstate.microstep') {
      const taken = (ev as unknown as { _transitions?: TransitionLike[] })._transitions ?? [];
      for (const t of taken) this.transitions.add(transitionKey(t));
    }
  };

  /** Only machine actors without a parent count (invoked promise actors are skipped anyway). */
  private isRoot(ref: unknown): boolean {
    return (ref as { _parent?: unknown })._parent === undefined;
  }

  missingStates(machine: AnyStateMachine): string[] {
    return allStatePaths(machine).filter((p) => !this.visited.has(p));
  }

  missingTransitions(machine: AnyStateMachine): string[] {
    return allTransitionKeys(machine).filter((k) => !this.transitions.has(k));
  }
}
