import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { TASK_STATES, isTerminalTaskState, type TaskState } from '../../machines/task-status';
import type { PodInstanceContext } from '../../machines/pod-instance.types';
import { effectFailure, flush, type PendingCall } from './effect-harness';
import { podInput, startPod, VOLUME_IDS } from './pod-harness';
import { activePaths } from './state-coverage';

type Command =
  | { kind: 'place'; agent: number }
  | { kind: 'update'; current: boolean; state: TaskState }
  | { kind: 'agentGone'; agent: number }
  | { kind: 'hostDown'; agent: number; source: 'mesos' | 'portworx' }
  | { kind: 'hostUp'; agent: number }
  | { kind: 'grant' }
  | { kind: 'op'; type: 'REPLACE' | 'RESTART' | 'STOP' | 'START' | 'RETRY' | 'RESUMED' | 'DECOMMISSION' }
  | { kind: 'tick'; ms: number }
  | { kind: 'settle'; ok: boolean; retryable: boolean; terminal: boolean };

const agent = fc.integer({ min: 1, max: 3 });
const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('place' as const), agent }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      // Mostly the current task, and RUNNING often enough that pods get somewhere before failing.
      current: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
      state: fc.oneof({ arbitrary: fc.constant<TaskState>('TASK_RUNNING'), weight: 4 }, { arbitrary: fc.constantFrom(...TASK_STATES), weight: 5 }),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant('agentGone' as const), agent }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('hostDown' as const), agent, source: fc.constantFrom('mesos' as const, 'portworx' as const) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('hostUp' as const), agent }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('grant' as const) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('op' as const), type: fc.constantFrom('REPLACE', 'RESTART', 'RETRY', 'RESUMED') }), weight: 2 },
  // Stopping ends most of the story, so it comes rarely.
  { arbitrary: fc.record({ kind: fc.constant('op' as const), type: fc.constantFrom('STOP', 'START', 'DECOMMISSION') }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('tick' as const),
      ms: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 5_000 }), weight: 3 }, { arbitrary: fc.integer({ min: 0, max: 150_000 }), weight: 1 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('settle' as const),
      ok: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
      retryable: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
      terminal: fc.boolean(),
    }),
    weight: 4,
  },
);

/** Every scenario starts from a running pod, where the interesting failures begin. */
const RUNNING_PREFIX: Command[] = [
  { kind: 'settle', ok: true, retryable: true, terminal: false },
  { kind: 'place', agent: 1 },
  { kind: 'update', current: true, state: 'TASK_RUNNING' },
];
const scenario = fc.tuple(fc.boolean(), fc.array(command, { maxLength: 80 })).map(([fromRunning, cmds]) =>
  fromRunning ? [...RUNNING_PREFIX, ...cmds] : cmds,
);

/**
 * What a partition-aware framework may take as "no longer runs" beyond Mesos' terminal states
 * (docs/failure-classification.md rows M6, M9, M10): TASK_LOST comes only from the master
 * removing the agent (it unregistered, killing its tasks, or a new agent took its address after a
 * reboot), and TASK_UNKNOWN answering a launch means the master never launched it.
 */
function endedForPartitionAware(state: TaskState, launching: boolean): boolean {
  return state === 'TASK_LOST' || (state === 'TASK_UNKNOWN' && launching);
}

function output(call: PendingCall, terminal: boolean, agentAnswers: boolean): unknown {
  if (call.name === 'ensureVolumes') return VOLUME_IDS;
  if (call.name === 'killTask') return { terminal };
  if (call.name === 'confirmHostDown') return agentAnswers || !terminal ? { down: false, reason: 'the agent answers' } : { down: true, reason: 'confirmed' };
  if (call.name === 'checkVolumes') return { replicaHosts: ['h2'] };
  return undefined;
}

/**
 * The safety model: which tasks may still be alive (placed and not yet known dead), and whether a
 * fence is owed (a permanent failure happened and no fence or release has completed since).
 */
async function runScenario(commands: Command[], autoReplace: boolean, agentAnswers = false): Promise<void> {
  const model = { live: new Map<string, string>(), fenceOwed: false, seq: 0, confirmedDown: false, violations: [] as string[] };
  const onInspect = (ev: InspectionEvent) => {
    if (ev.type !== '@xstate.microstep') return;
    const snap = ev.snapshot as unknown as { value: never; context: PodInstanceContext };
    const paths = activePaths(snap.value);
    if (paths.includes('failed.permanent')) {
      model.fenceOwed = true;
      // Invariant: a host is written off only on evidence confirmed at the end of a probation.
      if (snap.context.failure?.trigger === 'host-down' && !model.confirmedDown) model.violations.push('host-down without confirmation');
      model.confirmedDown = false;
    }
    // The same task came back (healed partition): it is this pod's task again, nothing to fence.
    if (paths.includes('running')) model.fenceOwed = false;
    // Invariant: a pod moves off its host only by an operator's word or a confirmed host failure.
    if (paths.includes('re-attaching') && snap.context.replacing) {
      const trigger = snap.context.failure?.trigger;
      if (agentAnswers && trigger === 'host-down') model.violations.push('replaced while the agent answers');
      if (!['operator-replace', 'gone-by-operator', 'task-unknown', 'host-down'].includes(trigger ?? '')) model.violations.push(`moved on ${trigger}`);
    }
  };
  const rig = startPod({ input: podInput({ failurePolicy: { permanentFailureTimeoutMs: 120_000, autoReplace } }) });
  const sub = rig.actor.system.inspect(onInspect);
  const ctx = () => rig.actor.getSnapshot().context;
  try {
    for (const cmd of commands) {
      const before = rig.actor.getSnapshot();
      switch (cmd.kind) {
        case 'place': {
          const taskId = `t${++model.seq}`;
          rig.actor.send({ type: 'PLACE', taskId, agentId: `a${cmd.agent}`, hostname: `h${cmd.agent}`, offerId: 'o' });
          if (ctx().task?.taskId === taskId) {
            // Invariant: a placement never overlaps a task that may still run, nor precedes a fence.
            expect([...model.live.keys()]).toEqual([]);
            expect(model.fenceOwed).toBe(false);
            model.live.set(taskId, `a${cmd.agent}`);
          }
          break;
        }
        case 'update': {
          const current = ctx().task;
          const taskId = cmd.current && current ? current.taskId : `stale-${model.seq}`;
          const launching = activePaths(rig.actor.getSnapshot().value as never).includes('placed');
          rig.actor.send({ type: 'TASK_UPDATE', taskId, state: cmd.state });
          if (isTerminalTaskState(cmd.state) || endedForPartitionAware(cmd.state, launching)) model.live.delete(taskId);
          break;
        }
        case 'agentGone':
          rig.actor.send({ type: 'AGENT_GONE', agentId: `a${cmd.agent}` });
          for (const [t, a] of model.live) if (a === `a${cmd.agent}`) model.live.delete(t);
          break;
        case 'hostDown':
          rig.actor.send({ type: 'HOST_DOWN', hostname: `h${cmd.agent}`, source: cmd.source, reason: 'test' });
          break;
        case 'hostUp':
          rig.actor.send({ type: 'HOST_UP', hostname: `h${cmd.agent}` });
          break;
        case 'grant':
          rig.actor.send({ type: 'REPLACE_GRANTED' });
          break;
        case 'op':
          if (cmd.type === 'DECOMMISSION') rig.actor.send({ type: 'DECOMMISSION', volumes: 'delete' });
          else rig.actor.send({ type: cmd.type });
          break;
        case 'tick':
          rig.clock.increment(cmd.ms);
          break;
        case 'settle': {
          // Settle the call the machine waits on; calls it abandoned are drained afterwards.
          const call = rig.effects.calls.find((c) => !c.settled && c.live()) ?? rig.effects.calls.find((c) => !c.settled);
          if (call === undefined) break;
          const live = call.live();
          if (cmd.ok) {
            const out = output(call, cmd.terminal, agentAnswers);
            if (live && call.name === 'confirmHostDown') model.confirmedDown = (out as { down: boolean }).down;
            await rig.effects.resolve(call.name, out);
            const input = call.input as { taskId?: string | null };
            if (live && call.name === 'fence') {
              if (input.taskId) model.live.delete(input.taskId);
              model.fenceOwed = false;
            }
            if (live && call.name === 'killTask' && cmd.terminal && input.taskId) model.live.delete(input.taskId);
            if (live && call.name === 'releaseVolumes') model.fenceOwed = false;
          } else {
            await rig.effects.reject(call.name, effectFailure('injected', cmd.retryable));
          }
          break;
        }
      }
      await flush();
      expect(model.violations).toEqual([]);
      // Invariant: decommissioned is final.
      if (before.status === 'done') expect(rig.actor.getSnapshot().value).toEqual(before.value);
      // Invariant: the context stays plain JSON.
      expect(JSON.parse(JSON.stringify(ctx()))).toEqual(ctx());
    }
  } finally {
    sub.unsubscribe();
    rig.actor.stop();
  }
}

describe('pod instance: model-based safety properties', () => {
  it('never runs two tasks, never places before fencing, and stays decommissioned (auto-replace off)', async () => {
    await fc.assert(fc.asyncProperty(scenario, (cmds) => runScenario(cmds, false)), { numRuns: 150 });
  });

  it('keeps the same guarantees with automatic replacement on', async () => {
    await fc.assert(fc.asyncProperty(scenario, (cmds) => runScenario(cmds, true)), { numRuns: 150 });
  });

  it('never replaces a pod whose agent answers, whatever else Mesos and Portworx say', async () => {
    await fc.assert(fc.asyncProperty(scenario, (cmds) => runScenario(cmds, true, true)), { numRuns: 150 });
  });
});
