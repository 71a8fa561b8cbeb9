import { describe, expect, it } from 'vitest';
import type { MesosSchedulerClient, Offer as MesosOffer } from '../../src/mesos';
import { HOLD_MAX, HOLD_MS, OfferHold, type OfferHoldDeps } from '../../src/controller/held-offers';
import { RescindedOffers } from '../../src/controller/offer-handler-slices';
import { REFUSE_SECONDS_BUSY, REFUSE_SECONDS_IDLE } from '../../src/controller/offer-handler';
import { FakeMesos, metrics, offerFrom, silentLogger } from './fixtures';

/** An offer hold on a fake master: a clock the test moves, rounds it records, a deploy it switches. */
function rig(opts: { agents?: number; waiting?: boolean } = {}) {
  const mesos = new FakeMesos();
  const state = {
    client: mesos.asClient() as MesosSchedulerClient | undefined,
    subscription: 1,
    deploying: true,
    now: 1_000_000,
    waiting: opts.waiting ?? false,
    revives: 0,
    /** The offers of each round, by id. */
    rounds: [] as string[][],
    queued: [] as MesosOffer[][],
    unreachable: new Set<string>(),
  };
  const rescinded = new RescindedOffers(() => state.now);
  const deps: OfferHoldDeps = {
    client: () => state.client,
    subscription: () => state.subscription,
    wanted: () => state.deploying,
    agents: () => opts.agents ?? 2_000,
    // A round places nothing here: it hands its unused offers to the hold as handleOffers does.
    round: async (offers) => {
      state.rounds.push(offers.map((o) => o.id.value));
      const decline = hold.keep(offers.filter((o) => !rescinded.has(o.id.value)));
      if (decline.length > 0) await state.client?.decline(decline.map((o) => o.id.value), REFUSE_SECONDS_BUSY);
      return { waiting: state.waiting };
    },
    enqueue: (offers) => void state.queued.push(offers),
    revive: async () => void (state.revives += 1),
    rescinded,
    reachable: (agentId) => !state.unreachable.has(agentId),
    metrics: metrics(),
    logger: silentLogger(),
    now: () => state.now,
  };
  const hold: OfferHold = new OfferHold(deps);
  return { hold, mesos, state, rescinded };
}

const offers = (n: number, from = 0): MesosOffer[] => Array.from({ length: n }, (_, i) => offerFrom(`h${from + i}`, `r${(from + i) % 5}`));
const declined = (m: FakeMesos) => m.of('DECLINE').flatMap((c) => c.offerIds ?? []);

describe('OfferHold: offers kept between rounds while the deploy plan is in progress', () => {
  it('keeps at most HOLD_MAX of a round’s unused offers, spread over the list, and declines the rest', async () => {
    const { hold, mesos } = rig();
    await hold.round(offers(2_000));
    expect(hold.size).toBe(HOLD_MAX);
    expect(declined(mesos)).toHaveLength(2_000 - HOLD_MAX);
    // A stride over the offers, not the first 32: different racks and zones.
    const held = [...hold.hosts().keys()];
    expect(held).toContain('h0');
    expect(held.some((h) => Number(h.slice(1)) > 1_900)).toBe(true);
    await hold.release();
  });

  it('never keeps more than a tenth of the cluster’s agents (at least one)', async () => {
    const small = rig({ agents: 5 });
    await small.hold.round(offers(5));
    expect(small.hold.size).toBe(1);
    const mid = rig({ agents: 100 });
    await mid.hold.round(offers(100));
    expect(mid.hold.size).toBe(10);
    await Promise.all([small.hold.release(), mid.hold.release()]);
  });

  it('keeps nothing once the deploy plan is not in progress: every unused offer is declined', async () => {
    const { hold, mesos, state } = rig();
    state.deploying = false;
    await hold.round(offers(50));
    expect(hold.size).toBe(0);
    expect(declined(mesos)).toHaveLength(50);
  });

  it('wanting offers with some held runs a round on them alone, and REVIVEs only if pods still wait after it', async () => {
    const { hold, state } = rig();
    await hold.round(offers(100));
    const held = hold.size;
    hold.wantOffers();
    expect(state.revives).toBe(0);
    expect(state.queued).toEqual([[]]);
    await hold.round([]);
    expect(state.rounds[1]).toHaveLength(held);
    expect(state.revives).toBe(0);
    state.waiting = true;
    await hold.round([]);
    expect(state.revives).toBe(1);
    await hold.release();
  });

  it('wanting offers with none held REVIVEs at once (no round)', async () => {
    const { hold, state } = rig();
    hold.wantOffers();
    await Promise.resolve();
    expect(state.revives).toBe(1);
    expect(state.queued).toEqual([]);
  });

  it('a round of new offers takes the held ones too (each offer once)', async () => {
    const { hold, state } = rig();
    await hold.round(offers(100));
    const held = [...hold.hosts().keys()].map((h) => `offer-${h}`);
    await hold.round([...offers(3, 500), offerFrom('h0', 'r0')]);
    const second = state.rounds[1]!;
    expect(second).toEqual(expect.arrayContaining(held));
    expect(new Set(second).size).toBe(second.length);
    await hold.release();
  });

  it('an offer is held HOLD_MS at most, counted from when it was first kept, not from its last round', async () => {
    const { hold, mesos, state } = rig();
    await hold.round(offers(100));
    const first = hold.size;
    state.now += HOLD_MS / 2;
    await hold.round([]);
    expect(hold.size).toBe(first);
    state.now += HOLD_MS / 2;
    const before = declined(mesos).length;
    await hold.sweep();
    expect(hold.size).toBe(0);
    expect(declined(mesos).length - before).toBe(first);
    expect(mesos.of('DECLINE').at(-1)?.refuseSeconds).toBe(REFUSE_SECONDS_BUSY);
  });

  it('declines every held offer for long once the deploy plan ends (complete, paused, uninstalling)', async () => {
    const { hold, mesos, state } = rig();
    await hold.round(offers(100));
    state.deploying = false;
    await hold.sweep();
    expect(hold.size).toBe(0);
    expect(mesos.of('DECLINE').at(-1)?.refuseSeconds).toBe(REFUSE_SECONDS_IDLE);
  });

  it('a rescinded held offer never reaches a round and is not declined', async () => {
    const { hold, mesos, state, rescinded } = rig();
    await hold.round(offers(100));
    const gone = `offer-${[...hold.hosts().keys()][0]}`;
    rescinded.add(gone);
    await hold.round([]);
    expect(state.rounds[1]).not.toContain(gone);
    expect(rescinded.has(gone)).toBe(false);
    state.deploying = false;
    await hold.sweep();
    expect(declined(mesos).filter((id) => id === gone)).toEqual([]);
  });

  it('offers of an ended subscription are dropped without a DECLINE (the master took them back)', async () => {
    const { hold, mesos, state } = rig();
    await hold.round(offers(100));
    const before = mesos.calls.length;
    state.subscription = 2;
    expect(hold.hosts().size).toBe(0);
    await hold.sweep();
    expect(hold.size).toBe(0);
    expect(mesos.calls.length).toBe(before);
    // And a round after the new SUBSCRIBED never sees them.
    await hold.round(offers(2, 900));
    expect(state.rounds.at(-1)).toEqual(['offer-h900', 'offer-h901']);
    await hold.release();
  });

  it('release (stop, step-down) declines every held offer while the connection is up', async () => {
    const { hold, mesos } = rig();
    await hold.round(offers(100));
    const held = hold.size;
    const before = declined(mesos).length;
    await hold.release();
    expect(hold.size).toBe(0);
    expect(declined(mesos).length - before).toBe(held);
  });

  it('a RESCIND takes a held offer out of the hold at once: no longer offered for planning, never used or declined', async () => {
    const { hold, mesos, state } = rig();
    await hold.round(offers(100));
    const host = [...hold.hosts().keys()][0]!;
    hold.drop(`offer-${host}`);
    expect(hold.hosts().has(host)).toBe(false);
    await hold.round([]);
    expect(state.rounds[1]).not.toContain(`offer-${host}`);
    state.deploying = false;
    await hold.sweep();
    expect(declined(mesos)).not.toContain(`offer-${host}`);
  });

  it('never keeps an offer rescinded while its round ran (nor declines it)', async () => {
    const { hold, mesos, rescinded } = rig();
    const batch = offers(100);
    rescinded.add('offer-h0');
    expect(hold.keep(batch).map((o) => o.id.value)).not.toContain('offer-h0');
    expect(hold.hosts().has('h0')).toBe(false);
    await hold.release();
    expect(declined(mesos)).not.toContain('offer-h0');
  });

  it('holds nothing of a round whose offers came before a re-SUBSCRIBE (the master took them back)', async () => {
    const { hold, state } = rig();
    const batch = offers(100);
    hold.arrived(batch);
    state.subscription = 2;
    await hold.round(batch);
    expect(hold.size).toBe(0);
  });

  it('does not use again a held offer of an agent marked unreachable since (it would read the agent as reachable)', async () => {
    const { hold, mesos, state } = rig();
    await hold.round(offers(100));
    const host = [...hold.hosts().keys()][0]!;
    state.unreachable.add(`agent-${host}`);
    await hold.round([]);
    expect(state.rounds[1]).not.toContain(`offer-${host}`);
    expect(declined(mesos)).toContain(`offer-${host}`);
    await hold.release();
  });
});
