import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { fromPromise } from 'xstate';
import { podInstanceMachine } from '../../machines/pod-instance.machine';
import type { CheckVolumesInput, CheckVolumesOutput, EnsureVolumesInput, EnsureVolumesOutput, KillTaskInput, KillTaskOutput } from '../../machines/pod-instance.types';
import { handleOffers, RescindedOffers, REFUSE_SECONDS_BUSY, Slicer, type OfferHandlerDeps } from '../../src/controller/offer-handler';
import { filterInSlices, sortInSlices } from '../../src/controller/offer-handler-slices';
import { PodRegistry, type PodEntry } from '../../src/controller/pod-registry';
import { ReplicaMoves } from '../../src/controller/replica-moves';
import { VolumeLocations } from '../../src/controller/volume-locations';
import type { Offer as MesosOffer, OfferOperation, Resource } from '../../src/mesos';
import { checkMessage } from '../conformance/mesos-proto-checker';
import { TransitionLog } from '../../src/observe/transition-log';
import { PlacementMemory } from '../../src/placement';
import { memoryStore } from '../helpers/memory-kv';
import { clusterOf, demoSpec, FakeMesos, FakePortworx, hosts, inspected, metrics, offerFrom, silentLogger } from './fixtures';

/**
 * A big offer round runs in slices (the event loop turns between pods once a slice has run long
 * enough). Slicing only lets others in: the round places what one unsliced round places, uses each
 * offer at most once, declines the rest, and reads again between slices what others change
 * (leadership, the pods, rescinded offers).
 */

const podMachine = podInstanceMachine.provide({
  actors: {
    ensureVolumes: fromPromise<EnsureVolumesOutput, EnsureVolumesInput>(async ({ input }) => ({
      volumes: input.volumes.map((v) => ({ name: v.name, id: `vol-${v.name}` })),
    })),
    killTask: fromPromise<KillTaskOutput, KillTaskInput>(async () => ({ terminal: true })),
    checkVolumes: fromPromise<CheckVolumesOutput, CheckVolumesInput>(async () => ({ replicaHosts: [] })),
  },
});


interface Shape {
  hosts: number;
  racks: number;
  pods: number;
  placement: string[];
  convergence: 'soft' | 'hard';
  /** Per pod: the host index holding its volume's replica (modulo hosts), or null for none yet. */
  holders: (number | null)[];
}

interface SliceRig {
  deps: OfferHandlerDeps;
  mesos: FakeMesos;
  registry: PodRegistry;
  offers: MesosOffer[];
  pods: PodEntry[];
}

const registries: PodRegistry[] = [];
afterEach(() => {
  for (const r of registries.splice(0)) r.stopAll();
});

async function sliceRig(shape: Shape, sliceMs: number): Promise<SliceRig> {
  const spec = demoSpec({ count: shape.pods, convergence: shape.convergence, ...(shape.placement.length > 0 ? { placement: shape.placement } : {}) });
  const logger = silentLogger();
  const registry = new PodRegistry({ spec: () => spec, machine: podMachine, store: memoryStore(), logger, transitions: new TransitionLog(spec.name, logger), metrics: metrics(), onPodState: () => undefined });
  registries.push(registry);
  const shapeHosts = hosts(shape.hosts, shape.racks);
  const cluster = clusterOf(shapeHosts);
  const px = new FakePortworx();
  shape.holders.slice(0, shape.pods).forEach((h, i) => {
    px.add(inspected(`demo-node-${i}-data`, `vol-demo-node-${i}-data`, h === null ? [] : [`h${h % shape.hosts}`]));
  });
  const mesos = new FakeMesos();
  const client = mesos.asClient();
  const volumes = new VolumeLocations(px.asClient(), cluster);
  const memory = new PlacementMemory({ now: () => new Date(0) });
  const deps: OfferHandlerDeps = {
    spec: () => spec,
    registry,
    cluster,
    volumes,
    memory,
    replicaMoves: new ReplicaMoves({ px: volumes.portworx, cluster, volumes, memory, logger }),
    mesos: () => client,
    podsByAgent: () => new Map(),
    launching: () => true,
    logger,
    metrics: metrics(),
    sliceMs,
  };
  const pods = Array.from({ length: shape.pods }, (_, i) => registry.ensure('node', i));
  await until(() => pods.every((p) => p.state.startsWith('volume-provisioned')));
  const offers = shapeHosts.map((h) => offerFrom(h.host, h.rack));
  return { deps, mesos, registry, offers, pods };
}

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting for the pods');
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** What a round did that anyone outside can see: launches (pod → offer), declines, `debug offers`. */
function outcome(r: SliceRig): { launched: Record<string, string>; declined: string[]; explained: string[][] } {
  const launched: Record<string, string> = {};
  for (const call of r.mesos.of('ACCEPT')) {
    for (const op of call.operations!) {
      if (op.type !== 'LAUNCH_GROUP') throw new Error(`expected a LAUNCH_GROUP, got ${op.type}`);
      const task = op.launch_group.task_group.tasks![0]!;
      launched[task.name] = call.offerIds![0]!;
    }
  }
  const declined = r.mesos.of('DECLINE').flatMap((c) => c.offerIds ?? []).sort();
  const explained = r.pods.map((p) => r.deps.memory.explain(p.name));
  return { launched, declined, explained };
}

const shapeArb: fc.Arbitrary<Shape> = fc.record({
  hosts: fc.integer({ min: 1, max: 7 }),
  racks: fc.integer({ min: 1, max: 3 }),
  pods: fc.integer({ min: 1, max: 7 }),
  placement: fc.subarray(['hostname:UNIQUE', 'rack:MAX_PER:2', 'rack:GROUP_BY']),
  convergence: fc.constantFrom<'soft' | 'hard'>('soft', 'hard'),
  holders: fc.array(fc.option(fc.nat(6), { nil: null }), { minLength: 7, maxLength: 7 }),
});

describe('handleOffers in slices', () => {
  it('places the same pods on the same offers, declines the same and explains the same as one unsliced round', async () => {
    let placed = 0;
    await fc.assert(
      fc.asyncProperty(shapeArb, async (shape) => {
        const sliced = await sliceRig(shape, 0);
        const whole = await sliceRig(shape, Number.POSITIVE_INFINITY);
        const report = await handleOffers(sliced.deps, sliced.offers);
        await handleOffers(whole.deps, whole.offers);
        expect(outcome(sliced)).toEqual(outcome(whole));
        // Sliced after every pod: the loop turned at least once per pod judged.
        expect(report.slices).toBeGreaterThanOrEqual(shape.pods);
        // Each offer is in at most one ACCEPT (all its pods' operations), and every offer is
        // launched on or declined.
        placed += Object.keys(outcome(sliced).launched).length;
        const accepted = sliced.mesos.of('ACCEPT').map((c) => c.offerIds![0]!);
        expect(new Set(accepted).size).toBe(accepted.length);
        expect([...accepted, ...outcome(sliced).declined].sort()).toEqual(sliced.offers.map((o) => o.id.value).sort());
        sliced.registry.stopAll();
        whole.registry.stopAll();
      }),
      { numRuns: 40 },
    );
    // The rounds placed pods (not only waits): more than one pod a round on average.
    expect(placed).toBeGreaterThan(40);
  }, 120_000);

  it('stops placing when leadership (launching) goes between slices, and declines what it did not use', async () => {
    const r = await sliceRig({ hosts: 4, racks: 2, pods: 4, placement: [], convergence: 'soft', holders: [null, null, null, null] }, 0);
    let leading = true;
    r.deps.launching = () => leading;
    // The first placement (its PLACE persisted) ends the lead: the round must not place anyone
    // after the next slice; the pod already placed still gets its ACCEPT.
    const flush = r.registry.flush.bind(r.registry);
    r.registry.flush = async (entry) => {
      leading = false;
      return flush(entry);
    };
    await handleOffers(r.deps, r.offers);
    expect(r.mesos.of('ACCEPT')).toHaveLength(1);
    expect(r.mesos.of('DECLINE').flatMap((c) => c.offerIds ?? [])).toHaveLength(3);
  });

  it('launches at most maxLaunchesPerRound pods in one round: their ACCEPTs go out, the rest wait for the next round', async () => {
    const r = await sliceRig({ hosts: 5, racks: 1, pods: 5, placement: ['hostname:UNIQUE'], convergence: 'soft', holders: [null, null, null, null, null] }, 0);
    r.deps.maxLaunchesPerRound = 2;
    await handleOffers(r.deps, r.offers);
    expect(Object.keys(outcome(r).launched).sort()).toEqual(['node-0', 'node-1']);
    // The unused offers come back soon: pods still wait for them.
    const declines = r.mesos.of('DECLINE');
    expect(declines.flatMap((c) => c.offerIds ?? [])).toHaveLength(3);
    expect(declines.every((c) => c.refuseSeconds === REFUSE_SECONDS_BUSY)).toBe(true);
    // The next round places the next two.
    await handleOffers(r.deps, r.offers);
    expect(Object.keys(outcome(r).launched).sort()).toEqual(['node-0', 'node-1', 'node-2', 'node-3']);
  });

  it('skips a pod that stopped waiting between slices (it is not placed, its offer goes to the next pod)', async () => {
    const r = await sliceRig({ hosts: 1, racks: 1, pods: 2, placement: [], convergence: 'soft', holders: [null, null] }, 0);
    // node-0 is decommissioned after the round listed the waiting pods, before its turn.
    const [first, second] = r.pods;
    let asked = 0;
    r.deps.launching = () => {
      if (++asked === 2) r.registry.send(first!, { type: 'DECOMMISSION' } as never);
      return true;
    };
    const round = handleOffers(r.deps, r.offers);
    await round;
    expect(Object.keys(outcome(r).launched)).toEqual([second!.name]);
  });

  it('neither launches on nor declines an offer rescinded while the round holds it; the pod gets another', async () => {
    const r = await sliceRig({ hosts: 3, racks: 1, pods: 2, placement: ['hostname:UNIQUE'], convergence: 'soft', holders: [null, null] }, 0);
    const rescinded = new RescindedOffers();
    r.deps.rescinded = rescinded;
    // The master takes back h1's offer while the round yields after node-0 took h0's.
    const flush = r.registry.flush.bind(r.registry);
    r.registry.flush = async (entry) => {
      rescinded.add('offer-h1');
      return flush(entry);
    };
    await handleOffers(r.deps, r.offers);
    const { launched, declined } = outcome(r);
    expect(launched).toEqual({ 'node-0': 'offer-h0', 'node-1': 'offer-h2' });
    expect(declined).toEqual([]);
    // The round is over: its offers' ids are forgotten.
    expect(rescinded.size).toBe(0);
  });

  it('tells the pod its offer was rescinded when that happens while its intent is persisted (no ACCEPT on it)', async () => {
    const r = await sliceRig({ hosts: 1, racks: 1, pods: 1, placement: [], convergence: 'soft', holders: [null] }, 0);
    const rescinded = new RescindedOffers();
    r.deps.rescinded = rescinded;
    const flush = r.registry.flush.bind(r.registry);
    r.registry.flush = async (entry) => {
      rescinded.add('offer-h0');
      return flush(entry);
    };
    await handleOffers(r.deps, r.offers);
    expect(r.mesos.of('ACCEPT')).toEqual([]);
    expect(r.mesos.of('DECLINE')).toEqual([]);
    // The pod waits for another offer: placeable again in the next round.
    await until(() => r.pods[0]!.state.startsWith('volume-provisioned') && r.registry.context(r.pods[0]!).task === null);
  });
});

/** Every resource an ACCEPT's operations take (executors and tasks). */
function resourcesOfCall(call: { operations?: OfferOperation[] }): Resource[] {
  return (call.operations ?? []).flatMap((op) =>
    op.type === 'LAUNCH_GROUP' ? [...(op.launch_group.executor.resources ?? []), ...(op.launch_group.task_group.tasks ?? []).flatMap((t) => t.resources ?? [])] : [],
  );
}

describe('several pods on one offer (one ACCEPT, a LAUNCH_GROUP per pod)', () => {
  const withPorts = '    ports:\n      - name: http\n      - name: admin\n';

  async function rigWithPorts(pods: number, hostCount: number, placement: string[]): Promise<SliceRig> {
    const r = await sliceRig({ hosts: hostCount, racks: 1, pods, placement, convergence: 'soft', holders: Array.from({ length: pods }, () => null) }, 0);
    const spec = demoSpec({ count: pods, convergence: 'soft', extra: withPorts, ...(placement.length > 0 ? { placement } : {}) });
    r.deps.spec = () => spec;
    return r;
  }

  it('launches two pods that fit one offer in one ACCEPT whose operations take disjoint resources within the offer, and the call is a valid scheduler::Call', async () => {
    const r = await rigWithPorts(2, 1, []);
    const report = await handleOffers(r.deps, r.offers);
    const accepts = r.mesos.of('ACCEPT');
    expect(accepts).toHaveLength(1);
    expect(accepts[0]!.offerIds).toEqual(['offer-h0']);
    expect(accepts[0]!.operations!.map((op) => op.type)).toEqual(['LAUNCH_GROUP', 'LAUNCH_GROUP']);
    expect(outcome(r).launched).toEqual({ 'node-0': 'offer-h0', 'node-1': 'offer-h0' });
    expect(report.launched).toBe(1);
    expect(r.mesos.of('DECLINE')).toEqual([]);

    const resources = resourcesOfCall(accepts[0]!);
    const ports = resources.filter((x) => x.name === 'ports').flatMap((x) => (x.ranges?.range ?? []).map((g) => [Number(g.begin), Number(g.end)] as const));
    const each = ports.flatMap(([b, e]) => Array.from({ length: e - b + 1 }, (_, k) => b + k));
    expect(each).toHaveLength(4);
    expect(new Set(each).size).toBe(4);
    expect(each.every((p) => p >= 31000 && p <= 31999)).toBe(true);
    const total = (name: string) => resources.filter((x) => x.name === name).reduce((n, x) => n + (x.scalar?.value ?? 0), 0);
    expect(total('cpus')).toBeCloseTo(2 * (0.5 + 0.1));
    expect(total('cpus')).toBeLessThanOrEqual(8);
    expect(total('mem')).toBeLessThanOrEqual(32_768);

    const call = {
      type: 'ACCEPT',
      framework_id: { value: 'fw-test' },
      accept: { offer_ids: accepts[0]!.offerIds!.map((value) => ({ value })), operations: accepts[0]!.operations, filters: { refuse_seconds: REFUSE_SECONDS_BUSY } },
    };
    expect(checkMessage('mesos.v1.scheduler.Call', JSON.parse(JSON.stringify(call)))).toEqual([]);
  });

  it('keeps hostname:UNIQUE: the second pod does not take the rest of the first one\'s offer', async () => {
    const one = await rigWithPorts(2, 1, ['hostname:UNIQUE']);
    await handleOffers(one.deps, one.offers);
    expect(Object.keys(outcome(one).launched)).toEqual(['node-0']);
    expect(one.mesos.of('ACCEPT')[0]!.operations).toHaveLength(1);

    const two = await rigWithPorts(2, 2, ['hostname:UNIQUE']);
    await handleOffers(two.deps, two.offers);
    expect(outcome(two).launched).toEqual({ 'node-0': 'offer-h0', 'node-1': 'offer-h1' });
    expect(two.mesos.of('ACCEPT').map((c) => c.operations!.length)).toEqual([1, 1]);
  });

  it('counts a pod placed earlier in the round at every attribute of its agent: disk:MAX_PER:1 keeps the second pod off another ssd agent', async () => {
    const r = await rigWithPorts(2, 3, ['disk:MAX_PER:1']);
    const disks = ['ssd', 'ssd', 'hdd'];
    r.offers.forEach((o, i) => o.attributes!.push({ name: 'disk', type: 'TEXT', text: { value: disks[i]! } }));
    await handleOffers(r.deps, r.offers);
    // node-0 takes h0 (ssd); node-1 may not take h1 (ssd as well): h2 (hdd).
    expect(outcome(r).launched).toEqual({ 'node-0': 'offer-h0', 'node-1': 'offer-h2' });
  });

  it('places only as many pods on an offer as its resources hold; the next wait', async () => {
    const r = await rigWithPorts(3, 1, []);
    // An offer for two pods (0.6 cpus each with the executor) and a bit.
    r.offers[0]!.resources!.find((x) => x.name === 'cpus')!.scalar!.value = 1.3;
    await handleOffers(r.deps, r.offers);
    expect(Object.keys(outcome(r).launched).sort()).toEqual(['node-0', 'node-1']);
    expect(r.deps.memory.explain('node-2').join('\n')).toMatch(/FAIL resources: not enough cpus: needs 0.6, offer has 0.1/);
  });
});

describe('sortInSlices (the round\'s waiting pods put in name order a slice at a time)', () => {
  it('property: the same order as Array#sort, ties kept in their order (stable)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ key: fc.nat(40), id: fc.nat() }), { maxLength: 3000 }), async (items) => {
        const compare = (a: { key: number }, b: { key: number }) => a.key - b.key;
        expect(await sortInSlices(items, compare, new Slicer(Infinity))).toEqual(items.slice().sort(compare));
      }),
      { numRuns: 60 },
    );
  });

  it('lets the event loop turn while it sorts thousands of names', async () => {
    const names = Array.from({ length: 5000 }, (_, i) => `node-${(i * 7919) % 5000}`);
    let turned = false;
    setImmediate(() => (turned = true));
    const sorted = await sortInSlices(names, new Intl.Collator().compare, new Slicer(0));
    expect(turned).toBe(true);
    expect(sorted).toEqual(names.slice().sort(new Intl.Collator().compare));
  });
});

describe('filterInSlices', () => {
  it('property: Array#filter, cut at the limit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(9), { maxLength: 500 }), fc.option(fc.nat(20), { nil: undefined }), async (items, limit) => {
        const odd = (n: number) => n % 2 === 1;
        const expected = items.filter(odd).slice(0, limit ?? Infinity);
        expect(await filterInSlices(items, odd, new Slicer(0), limit)).toEqual(expected);
      }),
      { numRuns: 50 },
    );
  });
});
