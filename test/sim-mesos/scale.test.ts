import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MesosSimulator } from '../../src/sim/mesos';
import { TestScheduler, launchGroup, operator, scalar, startSim, taskInfo, type Json } from './helpers';

const AGENTS = 2000;
const TASKS_PER_AGENT = 5;

/** Run `fn` over `items` with at most `limit` calls in flight. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

describe('Mesos simulator at scale', () => {
  let sim: MesosSimulator;
  let s: TestScheduler;

  beforeAll(async () => {
    // Long retry interval: unacknowledged updates are not resent during the test.
    sim = await startSim({ agents: AGENTS, racks: 40, statusRetrySeconds: 600 });
    s = await TestScheduler.subscribe(sim.url);
  });
  afterAll(async () => {
    s.close();
    await sim.stop();
  });

  it(`offers all ${AGENTS} agents in a single OFFERS event`, async () => {
    const offers = await s.offers(10_000);
    expect(offers).toHaveLength(AGENTS);
  });

  it(`launches ${AGENTS * TASKS_PER_AGENT} tasks in ${AGENTS} task groups and brings them all to TASK_RUNNING`, async () => {
    const offers = s.events.find((e) => e.type === 'OFFERS')!.offers.offers as Json[];
    const total = AGENTS * TASKS_PER_AGENT;
    await pool(offers, 16, async (offer) => {
      const agentId = offer.agent_id.value as string;
      const tasks = Array.from({ length: TASKS_PER_AGENT }, (_, i) =>
        taskInfo(`${offer.hostname}-t${i}`, agentId, { resources: [scalar('cpus', 0.5), scalar('mem', 512)] }),
      );
      const r = await s.call(launchGroup(offer, tasks, { executor_id: { value: `exec-${offer.hostname}` } }));
      if (r.status !== 202) throw new Error(`ACCEPT answered ${r.status}: ${r.text}`);
    });

    await expect.poll(() => sim.tasks().filter((t) => t.state === 'TASK_RUNNING').length, { timeout: 10_000 }).toBe(total);
    await s.waitFor(() => s.updates().filter((u) => u.state === 'TASK_STARTING').length >= total, 10_000);
    const starting = s.updates().filter((u) => u.state === 'TASK_STARTING');
    expect(new Set(starting.map((u) => u.uuid)).size).toBe(total);

    const { get_tasks } = await operator(sim.url, { type: 'GET_TASKS' });
    expect(get_tasks.tasks).toHaveLength(total);
    expect(get_tasks.tasks.every((t: Json) => t.state === 'TASK_RUNNING')).toBe(true);
  }, 90_000);

  it('delivers the next update of each acknowledged task', async () => {
    const sample = s.updates().filter((u) => u.state === 'TASK_STARTING').slice(0, 500);
    await pool(sample, 16, (st) => s.ack(st));
    for (const st of sample) await s.waitForUpdate(st.task_id.value, 'TASK_RUNNING', 10_000);
    // Unacknowledged tasks wait for their ack: RUNNING arrived for exactly the sample.
    expect(s.updates().filter((u) => u.state === 'TASK_RUNNING')).toHaveLength(500);
  }, 60_000);

  it('re-offers the leftovers of all 2,000 busy agents in one OFFERS event after a DECLINE', async () => {
    const outstanding = new Set<string>();
    for (const e of s.events) {
      if (e.type === 'OFFERS') for (const o of e.offers.offers) outstanding.add(o.id.value);
    }
    const launchedOn = s.events.find((e) => e.type === 'OFFERS')!.offers.offers.map((o: Json) => o.id.value as string);
    for (const id of launchedOn) outstanding.delete(id);
    expect(outstanding.size).toBe(AGENTS);
    const from = s.events.length;
    const r = await s.call({ type: 'DECLINE', decline: { offer_ids: [...outstanding].map((value) => ({ value })), filters: { refuse_seconds: 0 } } });
    expect(r.status).toBe(202);
    const offers = await s.offers(10_000, from);
    expect(offers).toHaveLength(AGENTS);
    const cpus = offers[0]!.resources.find((r: Json) => r.name === 'cpus').scalar.value;
    // 8 cpus − 5 tasks × 0.5 − 0.1 for the executor.
    expect(cpus).toBeCloseTo(5.4);
  });
});
