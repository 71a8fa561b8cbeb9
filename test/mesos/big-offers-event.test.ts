import { afterEach, describe, expect, it, vi } from 'vitest';
import { MesosOperatorClient, MesosProtocolError, MesosSchedulerClient, type SchedulerClientEvent } from '../../src/mesos';
import { parseSchedulerEvent, parseSchedulerEventInSlices, VALIDATE_SLICE_OFFERS } from '../../src/mesos/event-schemas';
import { PARSE_SLICE_CHARS } from '../../src/util/sliced-json';
import { WorkBudget } from '../../src/util/work-budget';
import { FakeMaster, accepted, eventStream, reply, until, type EventWriter } from './helpers/fake-master';
import { offersEvent } from './helpers/offers-event';

const counting = (maxUnits: number): WorkBudget => new WorkBudget({ maxUnits, sliceMs: Infinity, now: () => 0 });

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe('an OFFERS event of 2,000 offers, checked at the boundary in slices', () => {
  it('is checked VALIDATE_SLICE_OFFERS offers per slice, and reads as the one-go check reads it', async () => {
    const raw = offersEvent(2_000);
    const budget = counting(VALIDATE_SLICE_OFFERS);
    const event = await parseSchedulerEventInSlices(raw, budget);
    expect(event).toEqual(parseSchedulerEvent(raw));
    expect(budget.slices).toBeGreaterThanOrEqual(2_000 / VALIDATE_SLICE_OFFERS);
    expect(budget.largestSliceUnits).toBeLessThanOrEqual(VALIDATE_SLICE_OFFERS);
  });

  it('rejects a malformed offer with the path of the offer and field at fault', async () => {
    const raw = offersEvent(2_000);
    raw.offers.offers[1_234]!.hostname = 42;
    const err = await parseSchedulerEventInSlices(raw).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MesosProtocolError);
    expect((err as Error).message).toBe(
      'invalid scheduler event: scheduler event.offers.offers[1234].hostname: Invalid input: expected string, received number',
    );
    // The message the one-go check gives.
    expect(() => parseSchedulerEvent(raw)).toThrow((err as Error).message);
  });

  it('rejects an offer without an id, and an offer list that is not a list', async () => {
    const raw = offersEvent(300);
    delete raw.offers.offers[299]!.id;
    await expect(parseSchedulerEventInSlices(raw)).rejects.toThrow(/scheduler event\.offers\.offers\[299\]\.id: /);
    await expect(parseSchedulerEventInSlices({ type: 'OFFERS', offers: { offers: 'many' } })).rejects.toThrow(
      /scheduler event\.offers\.offers: /,
    );
  });

  it('checks other events in one go, as before (an UPDATE is small)', async () => {
    const update = { type: 'UPDATE', update: { status: { task_id: { value: 't1' }, state: 'TASK_RUNNING' } } };
    expect(await parseSchedulerEventInSlices(update, counting(1))).toEqual(parseSchedulerEvent(update));
    expect(await parseSchedulerEventInSlices({ type: 'SOMETHING_NEWER' })).toBeUndefined();
  });
});

describe('MesosSchedulerClient with a 2,000-offer OFFERS event on the stream', () => {
  async function subscribed(): Promise<{ stream: EventWriter; events: SchedulerClientEvent[] }> {
    const streams: EventWriter[] = [];
    const m = await FakeMaster.start((req, res) => {
      if (req.body.type !== 'SUBSCRIBE') return accepted(res);
      const w = eventStream(res, `stream-${streams.length + 1}`);
      streams.push(w);
      w.send({ type: 'SUBSCRIBED', subscribed: { framework_id: { value: 'fw-1' }, heartbeat_interval_seconds: 15 } });
    });
    cleanups.push(() => m.close());
    const c = new MesosSchedulerClient({ master: m.url, framework: { name: 'px', roles: ['px'] }, backoff: { initialMs: 10, maxMs: 40 } });
    const events: SchedulerClientEvent[] = [];
    c.onEvent((e) => events.push(e));
    cleanups.push(() => c.stop());
    c.start();
    await until(() => events.length === 1);
    return { stream: streams[0]!, events };
  }

  it('parses and checks it in slices of bounded work: the event loop turns in between', async () => {
    const slices: number[] = [];
    const yieldOf = WorkBudget.prototype.yield;
    vi.spyOn(WorkBudget.prototype, 'yield').mockImplementation(function (this: WorkBudget) {
      slices.push(this.largestSliceUnits);
      return yieldOf.call(this);
    });
    const { stream, events } = await subscribed();
    stream.send(offersEvent(2_000));
    await until(() => events.length === 2);
    expect((events[1] as { offers: { offers: unknown[] } }).offers.offers).toHaveLength(2_000);
    // At least one slice per VALIDATE_SLICE_OFFERS offers checked; none of the parse's slices
    // over PARSE_SLICE_CHARS characters plus one offer (the time cap may cut them shorter).
    expect(slices.length).toBeGreaterThanOrEqual(2_000 / VALIDATE_SLICE_OFFERS);
    expect(Math.max(...slices)).toBeLessThanOrEqual(PARSE_SLICE_CHARS + 16 * 1024);
  });

  it('keeps stream order: an UPDATE right behind the OFFERS reaches listeners after it', async () => {
    const { stream, events } = await subscribed();
    stream.send(offersEvent(2_000));
    stream.send({ type: 'UPDATE', update: { status: { task_id: { value: 't1' }, state: 'TASK_RUNNING' } } });
    stream.send({ type: 'RESCIND', rescind: { offer_id: { value: '7a1c0f3e-5b2d-4c8e-9f10-2b3c4d5e6f70-O7' } } });
    await until(() => events.length === 4);
    expect(events.map((e) => e.type)).toEqual(['SUBSCRIBED', 'OFFERS', 'UPDATE', 'RESCIND']);
  });

  it('drops the stream on a malformed offer and says which one, then subscribes again', async () => {
    const { stream, events } = await subscribed();
    const raw = offersEvent(2_000);
    raw.offers.offers[1_999]!.agent_id = { value: '' };
    stream.send(raw);
    await until(() => events.length === 3, 5_000, 'DISCONNECTED and SUBSCRIBED again');
    expect(events.map((e) => e.type)).toEqual(['SUBSCRIBED', 'DISCONNECTED', 'SUBSCRIBED']);
    expect((events[1] as { reason: string }).reason).toMatch(/scheduler event\.offers\.offers\[1999\]\.agent_id\.value/);
  });
});

describe('MesosOperatorClient.getAgents at 2,000 agents (megabytes, int64 timestamps in every agent)', () => {
  it('parses the answer in slices, every registered_time exact', async () => {
    const agents = Array.from({ length: 2_000 }, (_, i) =>
      `{"agent_info":{"hostname":"agent-${i}.sim","id":{"value":"S${i}"},"attributes":[{"name":"rack","type":"TEXT","text":{"value":"rack-${i % 20}"}}]},` +
      `"active":true,"version":"1.5.0","registered_time":{"nanoseconds":${1796676372945123456n + BigInt(i)}},` +
      `"total_resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":16},"role":"*"},{"name":"mem","type":"SCALAR","scalar":{"value":65536},"role":"*"}]}`,
    );
    const body = `{"type":"GET_AGENTS","get_agents":{"agents":[${agents.join(',')}]}}`;
    const m = await FakeMaster.start((_req, res) => reply(res, 200, body, { 'content-type': 'application/json' }));
    cleanups.push(() => m.close());
    const yields = vi.spyOn(WorkBudget.prototype, 'yield');
    const view = await new MesosOperatorClient({ master: m.url }).getAgents();
    expect(view.agents).toHaveLength(2_000);
    const registered = (i: number) => (view.agents[i] as unknown as { registered_time: { nanoseconds: unknown } }).registered_time.nanoseconds;
    expect(registered(0)).toBe(1796676372945123456n);
    expect(registered(1_999)).toBe(1796676372945125455n);
    // The whole answer went down the lossless parser in one task before (150-300 ms at 2,000 agents).
    expect(yields.mock.calls.length).toBeGreaterThanOrEqual(Math.floor((2 * body.length) / PARSE_SLICE_CHARS));
  });
});
