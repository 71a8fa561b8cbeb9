import fc from 'fast-check';
import type { Snapshot } from 'xstate';
import { describe, expect, it } from 'vitest';
import { frameworkCounters, podReport, podReports, podStatesOf } from '../../machines/framework.counters';
import { needsOffers, toSavedState } from '../../machines/framework.logic';
import type { FrameworkContext, FrameworkEvent, SavedFrameworkState } from '../../machines/framework.types';
import { buildPlan, markSteps, planStatus, stepName, type StepRef } from '../../machines/plan';
import { FrameworkLayout, type FrameworkPodRecord } from '../../src/state/framework-layout';
import { EffectHarness } from './effect-harness';
import { HDFS_INPUT, startFramework, toActive, type FrameworkRig } from './framework-harness';

/*
 * The supervisor keeps its plan counters and the count of pods waiting for offers up to date per
 * event (machines/framework.counters.ts). Here: after any sequence of pod reports, plan commands
 * and scale changes they equal a full rescan, and the supervisor decides exactly as one restored
 * from a snapshot taken before the counters existed (no counters, reports as one map by name),
 * which counts afresh from a rescan.
 */

const TYPES = ['journal', 'name', 'data'] as const;
const STATES = ['volume-provisioned', 'placed', 'running.up', 'running.unready', 'decommissioned', 'failed.blocked', 'staging', 'stopping.killing'];

const eventArb: fc.Arbitrary<FrameworkEvent> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ type: fc.constant('POD_STATE' as const), podType: fc.constantFrom(...TYPES), index: fc.integer({ min: 0, max: 3 }), state: fc.constantFrom(...STATES), ready: fc.option(fc.boolean(), { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constantFrom('PLAN_PAUSE' as const, 'PLAN_RESUME' as const), plan: fc.constantFrom('deploy' as const, 'decommission' as const), phase: fc.option(fc.constantFrom('journal', 'name', 'data', 'decommission'), { nil: undefined }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constantFrom('PLAN_FORCE_COMPLETE' as const, 'PLAN_RESTART' as const),
      plan: fc.constantFrom('deploy' as const, 'decommission' as const),
      phase: fc.option(fc.constantFrom('journal', 'name', 'data'), { nil: undefined }),
      step: fc.option(fc.constantFrom('journal-0', 'name-1', 'data-2'), { nil: undefined }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('SCALE' as const), podType: fc.constantFrom(...TYPES), count: fc.integer({ min: 0, max: 4 }) }) },
);

/** A snapshot as the supervisor took it before the counters: none kept, the reports one map by pod name. */
function snapshotFromBefore(rig: FrameworkRig): Snapshot<unknown> {
  const snap = JSON.parse(JSON.stringify(rig.actor.getPersistedSnapshot())) as { context: FrameworkContext & Record<string, unknown> };
  const flat = Object.fromEntries([...podReports(snap.context.podStates)].map(([ref, r]) => [stepName(ref), r]));
  delete snap.context.counters;
  snap.context.podStates = flat as never;
  return snap as unknown as Snapshot<unknown>;
}

function expectCountersTrue(ctx: FrameworkContext): void {
  expect(ctx.counters).toEqual(frameworkCounters(ctx));
}

/** The context without the derived parts, and the reports by pod name (the same whatever their layout and order). */
function comparable(ctx: FrameworkContext) {
  const { counters: _c, podStates: _p, ...rest } = ctx;
  const reports = [...podReports(podStatesOf(ctx))].map(([ref, r]) => [stepName(ref), r] as const).sort(([a], [b]) => (a < b ? -1 : 1));
  return { ...rest, reports };
}

describe('framework counters (property)', () => {
  it('after any reports, plan commands and scaling: counters equal a rescan, and decisions equal a supervisor counting afresh', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { minLength: 1, maxLength: 25 }), async (events) => {
        const rig = startFramework();
        await toActive(rig);
        for (const event of events) {
          const legacy = startFramework({ snapshot: snapshotFromBefore(rig), effects: new EffectHarness() });
          const from = rig.actions.length;
          rig.actor.send(event);
          legacy.actor.send(event);
          expect(legacy.state()).toBe(rig.state());
          expect(legacy.actions).toEqual(rig.actions.slice(from));
          expect(comparable(legacy.ctx())).toEqual(comparable(rig.ctx()));
          expectCountersTrue(rig.ctx());
          const ctx = rig.ctx();
          expect(rig.state().includes('offers.reviving')).toBe([...podReports(ctx.podStates)].some(([, r]) => r.state.startsWith('volume-provisioned')));
          if (!rig.state().includes('plans.paused')) expect(rig.state().includes('plans.complete')).toBe(planStatus(ctx.deploy) === 'COMPLETE');
          legacy.actor.stop();
        }
        rig.actor.stop();
      }),
      { numRuns: 60 },
    );
  });
});

describe('framework counters: restoring state saved before them', () => {
  const pods = HDFS_INPUT.podInstances;
  const journals = pods.filter((p) => p.podType === 'journal');

  /** The journal phase deployed, name-0 starting: what a layout-2 head and its pod records held. */
  function savedMidDeploy(): SavedFrameworkState {
    let deploy = markSteps(buildPlan('deploy', HDFS_INPUT.plans.deploy, pods), journals, 'COMPLETE');
    deploy = markSteps(deploy, [{ podType: 'name', index: 0 }], 'STARTING');
    const rig = startFramework();
    const saved = { ...toSavedState(rig.ctx()), frameworkId: 'fw-1', deploy };
    rig.actor.stop();
    // Through the store's layout: head and pod records written, then read back as a restart does.
    const records = new Map<string, unknown>();
    new FrameworkLayout({ write: (k, v) => void records.set(k, JSON.parse(JSON.stringify(v))), delete: async () => undefined, flushed: async () => undefined }).save(saved);
    const head = records.get('framework');
    const podRecords = [...records].filter(([k]) => k !== 'framework') as [string, FrameworkPodRecord][];
    return new FrameworkLayout({ write: () => undefined, delete: async () => undefined, flushed: async () => undefined }).read(head, podRecords)!;
  }

  it('a layout-2 record (no counters in it) restores with counters counted from its plans, and the deploy carries on', async () => {
    const rig = startFramework();
    rig.actor.send({ type: 'POD_STATE', podType: 'data', index: 0, state: 'volume-provisioned' });
    await rig.effects.resolve('restoreState', { saved: savedMidDeploy(), tasks: [] });
    expectCountersTrue(rig.ctx());
    expect(rig.ctx().counters!.deploy.map((c) => c.COMPLETE)).toEqual([2, 0, 0]);
    expect(rig.ctx().counters!.offersWanted).toBe(1);
    await rig.effects.resolve('acquireLease', { acquired: true, holder: 'me' });
    rig.actor.send({ type: 'SUBSCRIBED', frameworkId: 'fw-1' });
    await rig.effects.resolve('reconcile');
    expect(rig.actions.filter((a) => a.startsWith('startPod'))).toEqual(['startPod name-0']);
    expect(rig.state()).toContain('offers.reviving');
    rig.actor.send({ type: 'POD_STATE', podType: 'name', index: 0, state: 'running.up', ready: true });
    expect(rig.actions.filter((a) => a.startsWith('startPod'))).toEqual(['startPod name-0', 'startPod name-1']);
    expectCountersTrue(rig.ctx());
  });

  it('an actor snapshot from before (no counters, reports by pod name) counts afresh and carries on', async () => {
    const rig = startFramework();
    await toActive(rig);
    rig.actor.send({ type: 'POD_STATE', podType: 'journal', index: 0, state: 'volume-provisioned' });
    rig.actor.send({ type: 'POD_STATE', podType: 'journal', index: 1, state: 'running.up', ready: true });
    const before = snapshotFromBefore(rig);
    expect((before as unknown as { context: Record<string, unknown> }).context.counters).toBeUndefined();
    const restored = startFramework({ snapshot: before, effects: new EffectHarness() });
    expect(needsOffers(restored.ctx())).toBe(true);
    restored.actor.send({ type: 'POD_STATE', podType: 'journal', index: 0, state: 'running.up', ready: true });
    expectCountersTrue(restored.ctx());
    expect(podReport(restored.ctx().podStates, { podType: 'journal', index: 1 })).toEqual({ state: 'running.up', progress: 'running' });
    expect(restored.state()).toContain('offers.suppressed');
    expect(restored.actions).toEqual(['startPod name-0', 'suppress']);
  });
});

describe('framework counters: large plans', () => {
  it('a health flip of a running pod leaves the plans as they were (nothing to save), whatever the pod count', async () => {
    const podInstances: StepRef[] = Array.from({ length: 500 }, (_, index) => ({ podType: 'node', index }));
    const rig = startFramework({ input: { service: 's', podInstances, plans: { deploy: { phases: [{ name: 'node', podType: 'node', strategy: 'parallel' }] } } } });
    await toActive(rig);
    for (const p of podInstances) rig.actor.send({ type: 'POD_STATE', ...p, state: 'running.up', ready: true });
    expect(rig.state()).toContain('plans.complete');
    const { deploy, decommission, pods } = rig.ctx();
    rig.actor.send({ type: 'POD_STATE', podType: 'node', index: 7, state: 'running.unready', ready: false });
    expect(rig.ctx().deploy).toBe(deploy);
    expect(rig.ctx().decommission).toBe(decommission);
    expect(rig.ctx().pods).toBe(pods);
    expectCountersTrue(rig.ctx());
  });
});
