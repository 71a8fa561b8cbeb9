import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import type { SimTaskSummary } from '../../src/sim/mesos';
import { expectConformantRecordings } from '../conformance/recordings';
import { eventually } from './helpers';
import { probationMs, recordedKills, replacementWindows, sleep, SPEED, startDeployed } from './helpers-faults';
import { podTasks, readRecords, recordedForcedDetaches, recordedLaunches, runningTask, SafetyWatch } from './helpers-recovery';

const PODS = ['node-0', 'node-1', 'node-2'];
/** Agents re-register at random moments within this window (simulated seconds) after the failover. */
const REREGISTER_WINDOW_S = 40;

/**
 * The shipped Cassandra spec, unchanged. The Mesos master fails over; the agents re-register over
 * a window longer than the probation, and until an agent has, reconciliation says nothing about
 * its tasks. Silence is not evidence that a host is down: nothing may move.
 */
describe('a master failover with agents re-registering over a window moves nothing', () => {
  let sb: Sandbox;
  let record: string;
  let name: string;
  let before: SimTaskSummary[];
  let launchesBefore: number;
  let subscribesBefore: number;
  let recoveringAtFailover: number;
  let violations: string[];

  const subscribes = () =>
    readRecords(record, 'mesos').filter((r) => r.api === 'scheduler' && r.dir === 'call' && (r.body as { type?: string }).type === 'SUBSCRIBE').length;

  beforeAll(async () => {
    ({ sb, record, name } = await startDeployed('cassandra'));
    before = PODS.map((p) => runningTask(sb, name, p));
    launchesBefore = recordedLaunches(record, `${name}__`).length;
    subscribesBefore = subscribes();
    const watches = PODS.map((p) => new SafetyWatch(sb, name, p, `${name}-${p}-data`));
    sb.mesos.failover({ reregisterWindowSeconds: REREGISTER_WINDOW_S });
    recoveringAtFailover = sb.mesos.agents().filter((a) => a.state === 'recovering').length;
    await eventually('the scheduler to subscribe again', () => subscribes() > subscribesBefore, 10_000);
    // The whole window, then a probation more.
    await sleep((REREGISTER_WINDOW_S * 1000) / SPEED + probationMs(sb));
    violations = watches.flatMap((w) => w.stop());
  });

  afterAll(async () => {
    await sb?.stop();
  });

  it('starts from a new master that knows no agent yet', () => {
    expect(recoveringAtFailover).toBe(sb.mesos.agents().length);
  });

  it('has every agent re-registered and every pod running on its task', () => {
    expect(sb.mesos.agents().filter((a) => a.state !== 'registered')).toEqual([]);
    PODS.forEach((p, i) => {
      expect(sb.scheduler.runtime.registry.get(p)?.state, p).toBe('running.up');
      expect(podTasks(sb, name, p).map((t) => [t.taskId, t.state]), p).toEqual([[before[i]!.taskId, 'TASK_RUNNING']]);
    });
  });

  it('launched, killed and detached nothing, and replaced no pod', () => {
    expect(recordedLaunches(record, `${name}__`)).toHaveLength(launchesBefore);
    for (const t of before) expect(recordedKills(record, t.taskId), t.taskId).toEqual([]);
    for (const v of sb.portworx.volumes().filter((x) => PODS.some((p) => x.name === `${name}-${p}-data`))) {
      expect(recordedForcedDetaches(record, v.id), v.name).toEqual([]);
    }
    expect(replacementWindows(record)).toEqual([]);
  });

  it('never had two live tasks of a pod, nor a volume attached on two hosts', () => {
    expect(violations).toEqual([]);
  });

  it('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});
