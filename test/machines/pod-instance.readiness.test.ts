import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { POD_TAGS } from '../../machines/pod-instance.logic';
import { checkPassed, type CheckStatusInfo } from '../../machines/task-status';
import { startPod, toRunning, VOLUME_IDS, type PodRig } from './pod-harness';

const tags = (rig: PodRig) => [POD_TAGS.running, POD_TAGS.ready].filter((t) => rig.actor.getSnapshot().hasTag(t));
const ctx = (rig: PodRig) => rig.actor.getSnapshot().context;

async function launch(rig: PodRig, opts: { readinessCheck?: boolean; configId?: string } = {}, taskId = 't1'): Promise<void> {
  if (rig.state().startsWith('pending')) await rig.effects.resolve('ensureVolumes', VOLUME_IDS);
  rig.actor.send({ type: 'PLACE', taskId, agentId: 'a1', hostname: 'h1', offerId: `o-${taskId}`, ...opts });
}

function running(rig: PodRig, extra: { checkStatus?: CheckStatusInfo; healthy?: boolean; reason?: string } = {}, taskId = 't1'): void {
  rig.actor.send({ type: 'TASK_UPDATE', taskId, state: 'TASK_RUNNING', agentId: 'a1', ...extra });
}

const noResult: CheckStatusInfo = { type: 'COMMAND', command: {} };
const exit = (exit_code: number): CheckStatusInfo => ({ type: 'COMMAND', command: { exit_code } });

describe('pod readiness: the running and ready tags', () => {
  it('a task launched without a readiness check is ready as soon as it runs (as before checks existed)', async () => {
    const rig = startPod();
    await toRunning(rig);
    expect(rig.state()).toBe('running.up');
    expect(tags(rig)).toEqual(['running', 'ready']);
  });

  it('a checked task runs but is not ready until a check result passes', async () => {
    const rig = startPod();
    await launch(rig, { readinessCheck: true });
    expect(tags(rig)).toEqual([]);
    running(rig, { checkStatus: noResult });
    expect(rig.state()).toBe('running.unready');
    expect(tags(rig)).toEqual(['running']);
    running(rig, { checkStatus: exit(0), reason: 'REASON_TASK_CHECK_STATUS_UPDATED' });
    expect(rig.state()).toBe('running.up');
    expect(tags(rig)).toEqual(['running', 'ready']);
  });

  it('readiness that fails later clears ready; a pass sets it again', async () => {
    const rig = startPod();
    await launch(rig, { readinessCheck: true });
    running(rig, { checkStatus: exit(0) });
    running(rig, { checkStatus: exit(2) });
    expect(tags(rig)).toEqual(['running']);
    running(rig, { checkStatus: exit(0) });
    expect(tags(rig)).toEqual(['running', 'ready']);
  });

  it('an update without check_status (a health update of an unchecked task) leaves readiness as it was', async () => {
    const rig = startPod();
    await launch(rig, { readinessCheck: true });
    running(rig, { checkStatus: exit(0) });
    running(rig, { healthy: true, reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED' });
    expect(tags(rig)).toEqual(['running', 'ready']);
    expect(ctx(rig).healthy).toBe(true);
  });

  it('a relaunch starts unready again: the check result belonged to the old task', async () => {
    const rig = startPod();
    await launch(rig, { readinessCheck: true });
    running(rig, { checkStatus: exit(0) });
    rig.actor.send({ type: 'TASK_UPDATE', taskId: 't1', state: 'TASK_FAILED', agentId: 'a1' });
    rig.clock.increment(500);
    await launch(rig, { readinessCheck: true }, 't2');
    running(rig, { checkStatus: noResult }, 't2');
    expect(rig.state()).toBe('running.unready');
  });

  it('an update of another (stray) task never changes readiness', async () => {
    const rig = startPod();
    await launch(rig, { readinessCheck: true });
    running(rig, { checkStatus: noResult });
    rig.actor.send({ type: 'TASK_UPDATE', taskId: 'old', state: 'TASK_RUNNING', checkStatus: exit(0) });
    expect(tags(rig)).toEqual(['running']);
  });

  it('records the config id its task was launched with', async () => {
    const rig = startPod();
    await launch(rig, { configId: 'abc123def456' });
    expect(ctx(rig).configId).toBe('abc123def456');
  });

  it('property: a checked pod is ready exactly when the last check result it got passed', async () => {
    const status = fc.oneof(
      fc.constant(noResult),
      fc.integer({ min: 0, max: 3 }).map(exit),
      fc.integer({ min: 100, max: 599 }).map((status_code): CheckStatusInfo => ({ type: 'HTTP', http: { status_code } })),
      fc.boolean().map((succeeded): CheckStatusInfo => ({ type: 'TCP', tcp: { succeeded } })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(status, { minLength: 1, maxLength: 12 }), async (results) => {
        const rig = startPod();
        await launch(rig, { readinessCheck: true });
        for (const r of results) running(rig, { checkStatus: r });
        const last = results[results.length - 1]!;
        expect(rig.actor.getSnapshot().hasTag(POD_TAGS.ready)).toBe(checkPassed(last) === true);
        expect(rig.actor.getSnapshot().hasTag(POD_TAGS.running)).toBe(true);
        rig.actor.stop();
      }),
      { numRuns: 100 },
    );
  });
});

describe('checkPassed reads a CheckStatusInfo as the default executor does', () => {
  it.each<[string, CheckStatusInfo | undefined, boolean | undefined]>([
    ['no status', undefined, undefined],
    ['only a type (no result yet, or the check timed out)', noResult, undefined],
    ['exit code 0', exit(0), true],
    ['exit code 1', exit(1), false],
    ['HTTP 200', { type: 'HTTP', http: { status_code: 200 } }, true],
    ['HTTP 399', { type: 'HTTP', http: { status_code: 399 } }, true],
    ['HTTP 400', { type: 'HTTP', http: { status_code: 400 } }, false],
    ['HTTP 199', { type: 'HTTP', http: { status_code: 199 } }, false],
    ['TCP connected', { type: 'TCP', tcp: { succeeded: true } }, true],
    ['TCP refused', { type: 'TCP', tcp: { succeeded: false } }, false],
  ])('%s', (_, status, passed) => expect(checkPassed(status)).toBe(passed));
});

describe('an unhealthy task killed by its executor is relaunched in place', () => {
  it('TASK_KILLED with healthy=false: a transient failure that prefers the same agent, reason says why', async () => {
    const rig = startPod();
    await launch(rig);
    running(rig, { healthy: true });
    running(rig, { healthy: false, reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED' });
    expect(rig.state()).toBe('running.up');
    rig.actor.send({ type: 'TASK_UPDATE', taskId: 't1', state: 'TASK_KILLED', agentId: 'a1', healthy: false });
    expect(rig.state()).toBe('failed.transient');
    expect(ctx(rig).failure?.reason).toMatch(/killed by its health check/);
    expect(ctx(rig).preferAgent).toBe('a1');
    expect(ctx(rig).needsFence).toBe(false);
    rig.clock.increment(500);
    expect(rig.state()).toMatch(/^volume-provisioned/);
    expect(ctx(rig).preferAgent).toBe('a1');
  });
});
