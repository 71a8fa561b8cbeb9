import { describe, expect, it } from 'vitest';
import { migratePodSnapshot } from '../../machines/pod-instance.migrate';
import { podInput, startPod, toRunning } from './pod-harness';

/** A snapshot as an older pxfw persisted it: running.unreachable, no suspicion / replacing / probation. */
async function legacyUnreachable(): Promise<Record<string, unknown>> {
  const rig = startPod();
  await toRunning(rig);
  rig.actor.send({ type: 'TASK_UPDATE', taskId: 't1', state: 'TASK_UNREACHABLE' });
  const snap = JSON.parse(JSON.stringify(rig.actor.getPersistedSnapshot())) as Record<string, unknown>;
  rig.actor.stop();
  const context = { ...(snap.context as Record<string, unknown>) };
  for (const k of ['suspicion', 'replacing', 'taskHasRun']) delete context[k];
  const policy = { ...(context.failurePolicy as Record<string, unknown>) };
  delete policy.probationMs;
  const timing = { ...(context.timing as Record<string, unknown>) };
  delete timing.probationMs;
  return { ...snap, value: { running: 'unreachable' }, context: { ...context, failurePolicy: policy, timing } };
}

describe('migratePodSnapshot (pod records written before the probation model)', () => {
  it('turns running.unreachable into a probation on the Mesos evidence, which then confirms or heals', async () => {
    const migrated = migratePodSnapshot(await legacyUnreachable());
    const rig = startPod({ snapshot: migrated as never, input: podInput() });
    expect(rig.state()).toBe('running.suspect.probation');
    rig.actor.send({ type: 'RESUMED' });
    rig.clock.increment(10_000);
    expect(rig.state()).toBe('running.suspect.confirming');
    await rig.effects.resolve('confirmHostDown', { down: false, reason: 'the agent answers' });
    rig.actor.send({ type: 'TASK_UPDATE', taskId: 't1', state: 'TASK_RUNNING' });
    expect(rig.state()).toBe('running.up');
  });

  it('maps retired triggers, fills new fields, and is idempotent', async () => {
    const legacy = await legacyUnreachable();
    const old = { ...legacy, value: { failed: 'awaiting-replace' }, context: { ...(legacy.context as object), failure: { kind: 'permanent', trigger: 'node-offline', reason: 'x', excludeHost: 'h1' } } };
    const once = migratePodSnapshot(old);
    expect(migratePodSnapshot(once)).toEqual(once);
    const ctx = (once as { context: Record<string, unknown> }).context;
    expect(ctx).toMatchObject({ suspicion: { mesos: null, portworx: null }, replacing: false, failure: { trigger: 'host-down' }, failurePolicy: { probationMs: 10_000 } });
    const rig = startPod({ snapshot: once as never });
    expect(rig.state()).toBe('failed.awaiting-replace');
    rig.actor.send({ type: 'REPLACE' });
    expect(rig.state()).toBe('re-attaching.fencing');
  });

  it('leaves anything that is not a snapshot alone', () => {
    expect(migratePodSnapshot(null)).toBeNull();
    expect(migratePodSnapshot({ value: 'pending' })).toEqual({ value: 'pending' });
  });
});

describe('migratePodSnapshot on a current snapshot', () => {
  it('returns it as it is (no copy: the same context object is the same record), and the same for its JSON', async () => {
    const rig = startPod();
    await toRunning(rig);
    const live = rig.actor.getSnapshot();
    expect(migratePodSnapshot(live)).toBe(live);
    const persisted = JSON.parse(JSON.stringify(rig.actor.getPersistedSnapshot()));
    expect(migratePodSnapshot(persisted)).toBe(persisted);
    rig.actor.stop();
  });

  it('still fills a field a current pxfw would have (a null suspicion is migrated, a null configId is current)', async () => {
    const rig = startPod();
    await toRunning(rig);
    const persisted = JSON.parse(JSON.stringify(rig.actor.getPersistedSnapshot()));
    rig.actor.stop();
    expect(migratePodSnapshot({ ...persisted, context: { ...persisted.context, configId: null } })).not.toHaveProperty('context.suspicion', null);
    const migrated = migratePodSnapshot({ ...persisted, context: { ...persisted.context, suspicion: null } }) as typeof persisted;
    expect(migrated.context.suspicion).toEqual({ mesos: null, portworx: null });
  });
});
