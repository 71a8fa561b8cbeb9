import { createActor, fromCallback, SimulatedClock, type Actor, type EventObject, type Snapshot } from 'xstate';
import { frameworkMachine } from '../../machines/framework.machine';
import { UNINSTALL_STEPS, type FrameworkContext, type FrameworkInput, type UninstallPlanInput, type UninstallPlanUpdate, type UninstallStep } from '../../machines/framework.types';
import type { StepRef } from '../../machines/plan';
import { EffectHarness, flush } from './effect-harness';
import { statePathOf } from './pod-harness';
import type { StateCoverage } from './state-coverage';

export const FRAMEWORK_EFFECTS = [
  'restoreState', 'acquireLease', 'reconcile', 'runPreCommands', 'groupSnapshot', 'runPostCommands',
  'reinstall',
] as const;

/**
 * The uninstall plan the supervisor starts (`runUninstallPlan`, src/workflows/uninstall-plan-actor.ts):
 * records each start and its input; a test reports the plan's stored progress with `report`.
 */
export class UninstallPlanFake {
  readonly runs: { input: UninstallPlanInput; send: (e: UninstallPlanUpdate) => void; live: boolean }[] = [];

  actor() {
    return fromCallback<EventObject, UninstallPlanInput>(({ input, sendBack }) => {
      const run = { input, send: sendBack as (e: UninstallPlanUpdate) => void, live: true };
      this.runs.push(run);
      return () => {
        run.live = false;
      };
    });
  }

  get live() {
    return this.runs.filter((r) => r.live);
  }

  /** The running plan stored `step` done (and completed, if it was the last); `extra` adds outputs or an error. */
  async step(rig: { ctx(): FrameworkContext }, step: UninstallStep | null, extra: Partial<UninstallPlanUpdate> = {}): Promise<void> {
    const run = this.live.at(-1);
    if (!run) throw new Error('no uninstall plan runs');
    const done = UNINSTALL_STEPS.filter((s) => s === step || (rig.ctx().uninstall?.done.includes(s) ?? false));
    run.send({ type: 'UNINSTALL_PLAN', done, complete: done.length === UNINSTALL_STEPS.length, error: null, ...extra });
    await flush();
  }
}

export const HDFS_INPUT: FrameworkInput = {
  service: 'hdfs',
  podInstances: [
    { podType: 'journal', index: 0 }, { podType: 'journal', index: 1 },
    { podType: 'name', index: 0 }, { podType: 'name', index: 1 },
    { podType: 'data', index: 0 }, { podType: 'data', index: 1 },
  ],
  plans: {
    deploy: {
      strategy: 'serial',
      phases: [
        { name: 'journal', podType: 'journal', strategy: 'parallel' },
        { name: 'name', podType: 'name', strategy: 'serial', dependsOn: ['journal'] },
        { name: 'data', podType: 'data', strategy: 'parallel', dependsOn: ['name'] },
      ],
    },
  },
  timing: { leaseRetryMs: 5_000, subscribeTimeoutMs: 20_000, reviveIntervalMs: 60_000 },
};

export interface FrameworkRig {
  actor: Actor<typeof frameworkMachine>;
  clock: SimulatedClock;
  effects: EffectHarness;
  uninstall: UninstallPlanFake;
  /** Named actions in the order the machine ran them, e.g. 'startPod journal-0'. */
  actions: string[];
  state: () => string;
  ctx: () => FrameworkContext;
}

const ref = (p: StepRef) => `${p.podType}-${p.index}`;

/** State value of a parallel machine as sorted dotted leaf paths joined by ' | '. */
export function leafPaths(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix ? `${prefix}.${value}` : value];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k)).sort();
}

export function startFramework(opts: { input?: FrameworkInput; coverage?: StateCoverage; snapshot?: Snapshot<unknown>; effects?: EffectHarness } = {}): FrameworkRig {
  const effects = opts.effects ?? new EffectHarness();
  const uninstall = new UninstallPlanFake();
  const clock = new SimulatedClock();
  const actions: string[] = [];
  const machine = frameworkMachine.provide({
    actors: { ...effects.actors(FRAMEWORK_EFFECTS), runUninstallPlan: uninstall.actor() } as never,
    actions: {
      subscribe: (_, p) => void actions.push(`subscribe ${p.frameworkId ?? 'new'}`),
      startPod: (_, p) => void actions.push(`startPod ${ref(p)}`),
      decommissionPod: (_, p) => void actions.push(`decommissionPod ${ref(p)}`),
      revive: () => void actions.push('revive'),
      suppress: () => void actions.push('suppress'),
      stepDown: () => void actions.push('stepDown'),
    },
  });
  const actor = createActor(machine, {
    clock,
    input: opts.input ?? HDFS_INPUT,
    ...(opts.snapshot ? { snapshot: opts.snapshot } : {}),
    ...(opts.coverage ? { inspect: opts.coverage.inspect } : {}),
  });
  actor.start();
  const state = () => {
    const v = actor.getSnapshot().value;
    return typeof v === 'object' && 'active' in v ? leafPaths(v).join(' | ') : statePathOf(v);
  };
  return { actor, clock, effects, uninstall, actions, state, ctx: () => actor.getSnapshot().context };
}

/** Drive a fresh supervisor to `active` with the given stored tasks (all answered at once). */
export async function toActive(rig: FrameworkRig, tasks: { taskId: string; agentId: string }[] = []): Promise<void> {
  await rig.effects.resolve('restoreState', { saved: null, tasks });
  await rig.effects.resolve('acquireLease', { acquired: true, holder: 'me' });
  rig.actor.send({ type: 'SUBSCRIBED', frameworkId: 'fw-1' });
  await flush();
  if (tasks.length > 0) {
    await rig.effects.resolve('reconcile');
    for (const t of tasks) rig.actor.send({ type: 'TASK_UPDATE', taskId: t.taskId, state: 'TASK_RUNNING' });
  }
  await rig.effects.resolve('reconcile');
}
