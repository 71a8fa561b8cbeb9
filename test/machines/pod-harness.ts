import { createActor, SimulatedClock, type Actor, type Snapshot } from 'xstate';
import { podInstanceMachine } from '../../machines/pod-instance.machine';
import type { PodInstanceInput } from '../../machines/pod-instance.types';
import { EffectHarness } from './effect-harness';
import type { StateCoverage } from './state-coverage';

export const POD_EFFECTS = ['ensureVolumes', 'fence', 'checkVolumes', 'confirmHostDown', 'killTask', 'releaseVolumes', 'disposeVolumes'] as const;

export function podInput(overrides: Partial<PodInstanceInput> = {}): PodInstanceInput {
  return {
    service: 'cassandra',
    podType: 'node',
    index: 1,
    volumes: [{ name: 'cassandra-node-1-data' }, { name: 'cassandra-node-1-commitlog' }],
    failurePolicy: { permanentFailureTimeoutMs: 120_000, autoReplace: false },
    convergence: { mode: 'soft', maxWaitMs: 30_000 },
    timing: { retryInitialMs: 1_000, retryMaxMs: 8_000, launchTimeoutMs: 60_000, killTimeoutMs: 10_000, relaunchInitialMs: 500, relaunchMaxMs: 4_000, stableAfterMs: 300_000 },
    ...overrides,
  };
}

export interface PodRig {
  actor: Actor<typeof podInstanceMachine>;
  clock: SimulatedClock;
  effects: EffectHarness;
  machine: typeof podInstanceMachine;
  state: () => string;
}

export function statePathOf(value: unknown): string {
  if (typeof value === 'string') return value;
  const [k, v] = Object.entries(value as Record<string, unknown>)[0] ?? ['', ''];
  const rest = statePathOf(v);
  return rest ? `${k}.${rest}` : k;
}

/** A pod actor on a simulated clock with hand-settled effects. */
export function startPod(opts: {
  input?: PodInstanceInput;
  coverage?: StateCoverage;
  snapshot?: Snapshot<unknown>;
  effects?: EffectHarness;
  clock?: SimulatedClock;
} = {}): PodRig {
  const effects = opts.effects ?? new EffectHarness();
  const clock = opts.clock ?? new SimulatedClock();
  const machine = podInstanceMachine.provide({ actors: effects.actors(POD_EFFECTS) as never });
  const actor = createActor(machine, {
    clock,
    input: opts.input ?? podInput(),
    ...(opts.snapshot ? { snapshot: opts.snapshot } : {}),
    ...(opts.coverage ? { inspect: opts.coverage.inspect } : {}),
  });
  actor.start();
  return { actor, clock, effects, machine, state: () => statePathOf(actor.getSnapshot().value) };
}

export const VOLUME_IDS = { volumes: [{ name: 'cassandra-node-1-data', id: 'v1' }, { name: 'cassandra-node-1-commitlog', id: 'v2' }] };

/** Drive a fresh pod to running on agent a1 / host h1 with task t1. */
export async function toRunning(rig: PodRig, taskId = 't1', agentId = 'a1', hostname = 'h1'): Promise<void> {
  if (rig.state().startsWith('pending')) await rig.effects.resolve('ensureVolumes', VOLUME_IDS);
  rig.actor.send({ type: 'PLACE', taskId, agentId, hostname, offerId: `o-${taskId}` });
  rig.actor.send({ type: 'TASK_UPDATE', taskId, state: 'TASK_RUNNING', agentId });
}
