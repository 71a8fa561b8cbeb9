import { assign, enqueueActions, fromCallback, fromPromise, setup } from 'xstate';
import {
  allSteps,
  failStep,
  orphanedSteps,
  pauseWorkflow,
  planComplete,
  resumedPlan,
  resumeWorkflow,
  stepsToStart,
  updateStep,
  WORKFLOW_TAGS,
  type CheckpointedEvent,
  type StepInput,
  type WorkflowContext,
  type WorkflowEvent,
  type WorkflowInput,
  type WorkflowPlan,
} from './workflow.types';

/*
 * One persisted plan run by its own actor: phases of steps, each step an effect actor named by
 * the step (`restartPod`, `restoreVolume`, …) and bound in src/ with `.provide()`.
 *
 * Persist before acting: every change of the plan goes through `saving` (the `persistPlan` actor
 * writes `context.plan` to KV) and a step's effect is started, or told that its checkpoint is
 * stored, only from `acting`, i.e. after a write that already holds its STARTING status or its
 * checkpoint. A scheduler killed at any point comes back with the plan as stored: STARTING steps
 * run their effect again, and every effect checks the world first, so what must happen once does.
 */

/** Until src/ provides a step's effect, running it fails the step (never silently passes). */
function unbound(name: string) {
  return fromCallback<CheckpointedEvent, StepInput>(({ input, sendBack }) => {
    sendBack({ type: 'STEP_FAILED', step: input.step.name, reason: `effect ${name} is not bound` });
  });
}

const inFlight = (ctx: WorkflowContext, step: string) => ctx.inFlight.includes(step);
const without = (list: string[], step: string) => list.filter((s) => s !== step);

function stepInput(plan: WorkflowPlan, name: string): StepInput {
  const step = allSteps(plan).find((s) => s.name === name)!;
  return { plan: { name: plan.name, id: plan.id, params: plan.params }, step };
}

export const workflowSetup = setup({
  types: {
    context: {} as WorkflowContext,
    events: {} as WorkflowEvent,
    input: {} as WorkflowInput,
  },
  actors: {
    persistPlan: fromPromise<void, { plan: WorkflowPlan }>(async () => {
      throw new Error('persistPlan is not bound');
    }),
    updateVolumeSpec: unbound('updateVolumeSpec'),
    changeReplication: unbound('changeReplication'),
    restartPod: unbound('restartPod'),
    stopPod: unbound('stopPod'),
    runCommand: unbound('runCommand'),
    restoreVolume: unbound('restoreVolume'),
    startPod: unbound('startPod'),
    killTasks: unbound('killTasks'),
    detachVolumes: unbound('detachVolumes'),
    disposeVolumes: unbound('disposeVolumes'),
    teardown: unbound('teardown'),
    deleteState: unbound('deleteState'),
    removeApp: unbound('removeApp'),
  },
  delays: {
    persistRetry: 1000,
  },
  guards: {
    stepInFlight: ({ context, event }) => 'step' in event && inFlight(context, event.step),
    hasStepsToStart: ({ context }) => stepsToStart(context.plan).length > 0,
    complete: ({ context }) => planComplete(context.plan),
    stopped: ({ context }) => context.plan.error !== null,
    paused: ({ context }) => context.plan.paused,
    writeConflict: ({ event }) => (event as { error?: { code?: string } }).error?.code === 'STATE_CONFLICT',
  },
  actions: {
    markStarting: assign(({ context }) => {
      let plan = context.plan;
      for (const s of stepsToStart(plan)) plan = updateStep(plan, s.name, { status: 'STARTING', message: 'starting' });
      return { plan };
    }),
    /** After a write: start the effects of STARTING steps, release the stored checkpoints. */
    launch: enqueueActions(({ context, enqueue }) => {
      for (const s of orphanedSteps(context)) {
        enqueue.spawnChild(s.effect, { id: s.name, input: stepInput(context.plan, s.name) });
      }
      for (const name of context.checkpoints) enqueue.sendTo(name, { type: 'CHECKPOINTED' });
      const started = orphanedSteps(context).map((s) => s.name);
      enqueue.assign({ inFlight: [...context.inFlight, ...started], checkpoints: [] });
    }),
    recordProgress: assign(({ context, event }) => {
      if (event.type !== 'STEP_PROGRESS') return {};
      return { plan: updateStep(context.plan, event.step, { message: event.message, status: event.waiting ? 'WAITING' : 'STARTING' }) };
    }),
    recordCheckpoint: assign(({ context, event }) => {
      if (event.type !== 'STEP_CHECKPOINT') return {};
      const patch = { status: 'STARTING' as const, params: event.params, ...(event.message ? { message: event.message } : {}) };
      return { plan: updateStep(context.plan, event.step, patch), checkpoints: [...context.checkpoints, event.step] };
    }),
    finishStep: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'STEP_DONE' && event.type !== 'STEP_FAILED') return;
      enqueue.stopChild(event.step);
      const plan =
        event.type === 'STEP_DONE'
          ? updateStep(context.plan, event.step, { status: 'COMPLETE', ...(event.message ? { message: event.message } : {}), ...(event.params ? { params: event.params } : {}) })
          : failStep(context.plan, event.step, event.reason);
      enqueue.assign({ plan, inFlight: without(context.inFlight, event.step), checkpoints: without(context.checkpoints, event.step) });
    }),
    /** Nothing new starts; a step still waiting for its slot (it has not acted) is held too. */
    pause: enqueueActions(({ context, event, enqueue }) => {
      const phase = event.type === 'PAUSE' ? event.phase : undefined;
      const scope = phase === undefined ? context.plan.phases : context.plan.phases.filter((p) => p.name === phase);
      const held = scope.flatMap((p) => p.steps).filter((s) => s.status === 'WAITING' && inFlight(context, s.name)).map((s) => s.name);
      for (const name of held) enqueue.stopChild(name);
      enqueue.assign({ plan: pauseWorkflow(context.plan, phase), inFlight: context.inFlight.filter((s) => !held.includes(s)) });
    }),
    resume: assign(({ context, event }) => ({ plan: resumeWorkflow(context.plan, context.inFlight, event.type === 'RESUME' ? event.phase : undefined) })),
    stopAll: enqueueActions(({ context, enqueue }) => {
      for (const name of context.inFlight) enqueue.stopChild(name);
      enqueue.assign({ inFlight: [], checkpoints: [] });
    }),
  },
});

export const workflowMachine = workflowSetup.createMachine({
  id: 'workflow',
  context: ({ input }) => ({ plan: resumedPlan(input.plan), inFlight: [], checkpoints: [] }),
  initial: 'saving',
  on: {
    STEP_PROGRESS: { guard: 'stepInFlight', target: '.saving', reenter: true, actions: 'recordProgress' },
    STEP_CHECKPOINT: { guard: 'stepInFlight', target: '.saving', reenter: true, actions: 'recordCheckpoint' },
    STEP_DONE: { guard: 'stepInFlight', target: '.saving', reenter: true, actions: 'finishStep' },
    STEP_FAILED: { guard: 'stepInFlight', target: '.saving', reenter: true, actions: 'finishStep' },
    PAUSE: { target: '.saving', reenter: true, actions: 'pause' },
    RESUME: { target: '.saving', reenter: true, actions: 'resume' },
  },
  states: {
    saving: {
      invoke: {
        src: 'persistPlan',
        input: ({ context }) => ({ plan: context.plan }),
        onDone: 'acting',
        onError: [{ guard: 'writeConflict', target: 'superseded' }, { target: 'retrying' }],
      },
    },
    retrying: { after: { persistRetry: 'saving' } },
    acting: {
      tags: [WORKFLOW_TAGS.inProgress],
      entry: 'launch',
      always: [
        { guard: 'hasStepsToStart', target: 'saving', actions: 'markStarting' },
        { guard: 'complete', target: 'complete' },
        { guard: 'stopped', target: 'error' },
        { guard: 'paused', target: 'paused' },
      ],
    },
    complete: { tags: [WORKFLOW_TAGS.complete] },
    error: { tags: [WORKFLOW_TAGS.error] },
    paused: { tags: [WORKFLOW_TAGS.paused] },
    // Another instance wrote the plan: stop every effect and never write again.
    superseded: { tags: [WORKFLOW_TAGS.superseded], entry: 'stopAll', type: 'final' },
  },
});

export type WorkflowMachine = typeof workflowMachine;
