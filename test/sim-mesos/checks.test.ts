import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MesosSimulator } from '../../src/sim/mesos';
import { protoViolations } from '../mesos/helpers/proto-check';
import { podCheckRules } from '../../src/sim/mesos/task-checks';
import { SPEED, TestScheduler, launchGroup, post, startSim, taskInfo, type Json } from './helpers';

/** Seconds of simulated time as wall-clock milliseconds at the tests' speed. */
const ms = (seconds: number) => (seconds * 1000) / SPEED;
const sleep = (seconds: number) => new Promise((r) => setTimeout(r, ms(seconds)));

const command = (value: string) => ({ value, shell: true });
const CHECK = { type: 'COMMAND', command: { command: command('ready?') }, delay_seconds: 4, interval_seconds: 2, timeout_seconds: 3 };
const HEALTH = { type: 'TCP', tcp: { port: 31000 }, delay_seconds: 2, interval_seconds: 2, timeout_seconds: 2, consecutive_failures: 3, grace_period_seconds: 0 };

describe('Mesos simulator: the default executor runs TaskInfo.check and health_check', () => {
  let sim: MesosSimulator;
  let s: TestScheduler;
  let offer: Json;

  beforeEach(async () => {
    sim = await startSim({ agents: 1 });
    s = await TestScheduler.subscribe(sim.url);
    s.autoAck();
    offer = (await s.offers())[0]!;
  });
  afterEach(async () => {
    s.close();
    await sim.stop();
  });

  async function launch(extra: Json): Promise<number> {
    await s.call(launchGroup(offer, [taskInfo('t1', offer.agent_id.value, extra)]));
    await s.waitForUpdate('t1', 'TASK_RUNNING');
    return Date.now();
  }
  const checkUpdates = () => s.updates('t1').filter((u) => u.reason === 'REASON_TASK_CHECK_STATUS_UPDATED');
  const healthUpdates = () => s.updates('t1').filter((u) => u.reason === 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED');
  const control = (action: string, body: Json = {}) => post(`${sim.url}/sim/v1/tasks/t1/${action}`, body);

  it('every update of a checked task carries check_status; the first result comes delay_seconds after TASK_RUNNING', async () => {
    const running = await launch({ check: CHECK });
    expect(s.updates('t1').find((u) => u.state === 'TASK_RUNNING')?.check_status).toEqual({ type: 'COMMAND', command: {} });
    const first = await s.waitFor((e) => e.type === 'UPDATE' && e.update.status.reason === 'REASON_TASK_CHECK_STATUS_UPDATED', 3000);
    expect(Date.now() - running).toBeGreaterThanOrEqual(ms(4) - 20);
    expect(first.update.status).toMatchObject({ state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR', check_status: { type: 'COMMAND', command: { exit_code: 0 } } });
    expect(protoViolations('mesos.scheduler.Event', first)).toEqual([]);
  });

  it('sends a check result only when it changes: unready, then ready again', async () => {
    await launch({ check: CHECK });
    await s.waitFor(() => checkUpdates().length === 1, 3000);
    await sleep(6);
    expect(checkUpdates()).toHaveLength(1);
    expect((await control('unready')).status).toBe(200);
    await s.waitFor(() => checkUpdates().length === 2, 3000);
    await sleep(6);
    expect(checkUpdates().map((u) => u.check_status.command.exit_code)).toEqual([0, 1]);
    await control('ready');
    await s.waitFor(() => checkUpdates().length === 3, 3000);
    expect(checkUpdates()[2]!.check_status).toEqual({ type: 'COMMAND', command: { exit_code: 0 } });
  });

  it('an HTTP check fails with 503, a hanging check times out with no result', async () => {
    await launch({ check: { ...CHECK, type: 'HTTP', command: undefined, http: { port: 31000, path: '/ready' } } });
    await s.waitFor(() => checkUpdates().length === 1, 3000);
    await control('unready');
    await s.waitFor(() => checkUpdates().length === 2, 3000);
    expect(checkUpdates()[1]!.check_status).toEqual({ type: 'HTTP', http: { status_code: 503 } });
    await control('unready', { hang: true });
    const hungAt = Date.now();
    await s.waitFor(() => checkUpdates().length === 3, 3000);
    expect(Date.now() - hungAt).toBeGreaterThanOrEqual(ms(3) - 20);
    expect(checkUpdates()[2]!.check_status).toEqual({ type: 'HTTP', http: {} });
  });

  it('health: healthy=true once, healthy=false on each failure, and consecutive_failures failures kill the task (TASK_KILLED healthy=false)', async () => {
    await launch({ health_check: HEALTH });
    await s.waitFor(() => healthUpdates().length === 1, 3000);
    await sleep(5);
    expect(healthUpdates().map((u) => u.healthy)).toEqual([true]);
    await control('unhealthy');
    const killed = await s.waitForUpdate('t1', 'TASK_KILLED', 5000);
    expect(healthUpdates().map((u) => u.healthy)).toEqual([true, false, false, false]);
    expect(killed).toMatchObject({ healthy: false, source: 'SOURCE_EXECUTOR' });
    expect(killed).not.toHaveProperty('check_status');
  });

  it('health: failures before the first pass are ignored within the grace period', async () => {
    await s.call(launchGroup(offer, [taskInfo('t1', offer.agent_id.value, { health_check: { ...HEALTH, grace_period_seconds: 30 } })]));
    await control('unhealthy').catch(() => undefined);
    await s.waitForUpdate('t1', 'TASK_RUNNING');
    await control('unhealthy');
    await sleep(12);
    expect(healthUpdates()).toEqual([]);
    await control('healthy');
    await s.waitFor(() => healthUpdates().length === 1, 3000);
    expect(healthUpdates()[0]!.healthy).toBe(true);
  });

  it('the control API names what is wrong: an unknown task (404), a task without that check (409)', async () => {
    await launch({ check: CHECK });
    expect((await post(`${sim.url}/sim/v1/tasks/nope/unready`, {})).status).toBe(404);
    const res = await control('unhealthy');
    expect(res.status).toBe(409);
    expect(res.text).toContain('launched without a health check');
  });

  it('refuses an invalid check at launch as the master does (TASK_ERROR)', async () => {
    await s.call(launchGroup(offer, [taskInfo('t1', offer.agent_id.value, { health_check: { type: 'HTTP', http: { port: 80, path: 'health' } } })]));
    const st = await s.waitForUpdate('t1', 'TASK_ERROR');
    expect(st.message).toContain("The path 'health' of HTTP health check must start with '/'");
  });
});

describe('Mesos simulator: `unready --pod` fails the readiness of the pod\'s next tasks until `ready --pod`', () => {
  let sim: MesosSimulator;
  let s: TestScheduler;

  beforeEach(async () => {
    sim = await startSim({ agents: 2 });
    s = await TestScheduler.subscribe(sim.url);
    s.autoAck();
  });
  afterEach(async () => {
    podCheckRules.clear();
    s.close();
    await sim.stop();
  });

  /** A task of pod `pod` as pxfw names it: TaskInfo.name and the `pxfw/pod` label. */
  const podTask = (id: string, pod: string, agentId: string) =>
    taskInfo(id, agentId, { name: pod, check: CHECK, labels: { labels: [{ key: 'pxfw/pod', value: pod }] } });
  const results = (id: string) => s.updates(id).filter((u) => u.reason === 'REASON_TASK_CHECK_STATUS_UPDATED').map((u) => u.check_status.command.exit_code as number);

  it('the running task keeps passing; a task of the pod launched after fails from its first check, another pod\'s passes; ready --pod passes it', async () => {
    const [first, second] = await s.offers();
    await s.call(launchGroup(first!, [podTask('node-0__a', 'node-0', first!.agent_id.value)]));
    await s.waitFor(() => results('node-0__a').length === 1, 3000);

    const set = await post(`${sim.url}/sim/v1/pods/node-0/unready`, {});
    expect(set.status).toBe(200);
    expect(JSON.parse(set.text)).toEqual({ pod: 'node-0', rule: { readiness: 'fail' }, tasks: [] });
    await sleep(6);
    expect(results('node-0__a')).toEqual([0]);

    // The relaunch (here on another agent) and a task of another pod, launched after the rule.
    await s.call(launchGroup(second!, [podTask('node-0__b', 'node-0', second!.agent_id.value), podTask('node-1__a', 'node-1', second!.agent_id.value)]));
    await s.waitFor(() => results('node-0__b').length === 1 && results('node-1__a').length === 1, 3000);
    expect(results('node-0__b')).toEqual([1]);
    expect(results('node-1__a')).toEqual([0]);
    await sleep(6);
    expect(results('node-0__b')).toEqual([1]);

    const cleared = await post(`${sim.url}/sim/v1/pods/node-0/ready`, {});
    expect(JSON.parse(cleared.text)).toEqual({ pod: 'node-0', rule: {}, tasks: ['node-0__a', 'node-0__b'] });
    await s.waitFor(() => results('node-0__b').length === 2, 3000);
    expect(results('node-0__b')).toEqual([1, 0]);
    expect(results('node-0__a')).toEqual([0]);
  });

  it('--hang makes the next tasks\' checks time out (no result) instead of failing', async () => {
    const [offer] = await s.offers();
    expect((await post(`${sim.url}/sim/v1/pods/node-2/unready`, { hang: true })).status).toBe(200);
    await s.call(launchGroup(offer!, [podTask('node-2__a', 'node-2', offer!.agent_id.value)]));
    await s.waitForUpdate('node-2__a', 'TASK_RUNNING');
    await sleep(10);
    expect(results('node-2__a')).toEqual([]);
    expect(s.updates('node-2__a').at(-1)?.check_status).toEqual({ type: 'COMMAND', command: {} });
  });
});
