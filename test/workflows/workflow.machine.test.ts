import { describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import { allSteps, WORKFLOW_TAGS, type WorkflowPlan } from '../../machines/workflow.types';
import { FakePlanKv, plan, settled, startWorkflow, step, tick, until } from './workflow-harness';

const status = (p: WorkflowPlan | undefined) => Object.fromEntries(allSteps(p!).map((s) => [s.name, s.status]));

describe('workflow machine', () => {
  it('runs the phases in order, a serial phase one step at a time, and persists STARTING before each effect', async () => {
    const kv = new FakePlanKv();
    const seen: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const effect = async ({ step: s }: { step: { name: string } }) => {
      // Persist before acting: the stored plan already says STARTING for this step.
      expect(kv.value && status(kv.value)[s.name]).toBe('STARTING');
      seen.push(s.name);
      maxRunning = Math.max(maxRunning, ++running);
      await tick(2);
      running -= 1;
      return { message: `${s.name} done` };
    };
    const p = plan('t', [
      { name: 'a', strategy: 'serial', steps: [step('a0', 'stopPod'), step('a1', 'stopPod')] },
      { name: 'b', strategy: 'serial', steps: [step('b0', 'startPod')] },
    ]);
    const actor = startWorkflow(p, kv, { stopPod: effect, startPod: effect });
    const snap = await settled(actor);
    expect(snap.hasTag(WORKFLOW_TAGS.complete)).toBe(true);
    expect(seen).toEqual(['a0', 'a1', 'b0']);
    expect(maxRunning).toBe(1);
    expect(status(kv.value)).toEqual({ a0: 'COMPLETE', a1: 'COMPLETE', b0: 'COMPLETE' });
    expect(allSteps(kv.value!).map((s) => s.message)).toEqual(['a0 done', 'a1 done', 'b0 done']);
  });

  it('a parallel phase runs up to maxInFlight steps at once', async () => {
    const kv = new FakePlanKv();
    let running = 0;
    let maxRunning = 0;
    const effect = async () => {
      maxRunning = Math.max(maxRunning, ++running);
      await tick(3);
      running -= 1;
      return {};
    };
    const steps = ['s0', 's1', 's2', 's3', 's4'].map((n) => step(n, 'restartPod'));
    const actor = startWorkflow(plan('t', [{ name: 'p', strategy: 'parallel', maxInFlight: 2, steps }]), kv, { restartPod: effect });
    await settled(actor);
    expect(maxRunning).toBe(2);
    expect(Object.values(status(kv.value))).toEqual(Array(5).fill('COMPLETE'));
  });

  it('stops at the first failed step with its reason, and `resume` runs that step again', async () => {
    const kv = new FakePlanKv();
    let failures = 1;
    const runs: string[] = [];
    const effect = async ({ step: s }: { step: { name: string } }) => {
      runs.push(s.name);
      if (s.name === 's1' && failures-- > 0) throw new Error('s1 not ready after 600 s');
      return {};
    };
    const steps = ['s0', 's1', 's2'].map((n) => step(n, 'restartPod'));
    const actor = startWorkflow(plan('t', [{ name: 'p', strategy: 'serial', steps }]), kv, { restartPod: effect });
    const stopped = await settled(actor);
    expect(stopped.hasTag(WORKFLOW_TAGS.error)).toBe(true);
    expect(kv.value!.error).toBe('stopped at step s1: s1 not ready after 600 s');
    expect(status(kv.value)).toEqual({ s0: 'COMPLETE', s1: 'ERROR', s2: 'PENDING' });
    actor.send({ type: 'RESUME' });
    await waitFor(actor, (s) => s.hasTag(WORKFLOW_TAGS.complete));
    expect(runs).toEqual(['s0', 's1', 's1', 's2']);
    expect(kv.value!.error).toBeNull();
  });

  it('pause: nothing new starts, a step holding for a slot is held too; resume goes on', async () => {
    const kv = new FakePlanKv();
    const runs: string[] = [];
    let slotFree = false;
    const effect = async ({ step: s }: { step: { name: string } }, io: { progress: (m: string, w?: boolean) => void; signal: AbortSignal }) => {
      while (!slotFree) {
        io.progress('waiting: node-9 down', true);
        await tick(2);
        if (io.signal.aborted) throw new Error('aborted');
      }
      runs.push(s.name);
      return {};
    };
    const steps = ['s0', 's1'].map((n) => step(n, 'restartPod'));
    const actor = startWorkflow(plan('t', [{ name: 'p', strategy: 'serial', steps }]), kv, { restartPod: effect });
    await waitFor(actor, () => kv.value?.phases[0]!.steps[0]!.status === 'WAITING');
    expect(kv.value!.phases[0]!.steps[0]!.message).toBe('waiting: node-9 down');
    actor.send({ type: 'PAUSE' });
    await waitFor(actor, (s) => s.hasTag(WORKFLOW_TAGS.paused));
    slotFree = true;
    await tick(20);
    expect(runs).toEqual([]);
    expect(kv.value!.paused).toBe(true);
    actor.send({ type: 'RESUME' });
    await waitFor(actor, (s) => s.hasTag(WORKFLOW_TAGS.complete));
    expect(runs).toEqual(['s0', 's1']);
  });

  it('a checkpoint is stored before the effect goes on; a plan read back re-runs its STARTING step with it', async () => {
    const kv = new FakePlanKv();
    const acted: string[] = [];
    const first = startWorkflow(plan('t', [{ name: 'p', strategy: 'serial', steps: [step('s0', 'restartPod')] }]), kv, {
      restartPod: async (_input, io) => {
        await io.checkpoint({ taskAtStart: 't-1' }, 'restarting');
        expect(kv.value!.phases[0]!.steps[0]!.params).toEqual({ taskAtStart: 't-1' });
        acted.push('restart');
        return new Promise(() => undefined); // the pod never comes back before the kill
      },
    });
    await until(() => acted.length === 1);
    first.stop(); // SIGKILL: only the KV is left
    const stored = structuredClone(kv.value!);
    expect(stored.phases[0]!.steps[0]!.status).toBe('STARTING');
    const second = startWorkflow(stored, kv, {
      restartPod: async ({ step: s }) => ({ message: `already restarted (task was ${String(s.params.taskAtStart)})` }),
    });
    await waitFor(second, (s) => s.hasTag(WORKFLOW_TAGS.complete));
    expect(kv.value!.phases[0]!.steps[0]!.message).toBe('already restarted (task was t-1)');
  });

  it('a write conflict (another instance drives the plan) stops every effect: superseded', async () => {
    const kv = new FakePlanKv();
    let writes = 0;
    kv.put = async () => {
      if (++writes > 1) throw Object.assign(new Error('conflict'), { code: 'STATE_CONFLICT' });
    };
    const actor = startWorkflow(plan('t', [{ name: 'p', strategy: 'serial', steps: [step('s0', 'restartPod')] }]), kv, {
      restartPod: async () => ({}),
    });
    const snap = await waitFor(actor, (s) => s.hasTag(WORKFLOW_TAGS.superseded));
    expect(snap.context.inFlight).toEqual([]);
  });
});

