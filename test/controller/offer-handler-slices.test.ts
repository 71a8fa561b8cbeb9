import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { fromPromise } from 'xstate';
import { podInstanceMachine } from '../../machines/pod-instance.machine';
import type { CheckVolumesInput, CheckVolumesOutput, EnsureVolumesInput, EnsureVolumesOutput, KillTaskInput, KillTaskOutput } from '../../machines/pod-instance.types';
import { handleOffers, RescindedOffers, type OfferHandlerDeps } from '../../src/controller/offer-handler';
import { PodRegistry, type PodEntry } from '../../src/controller/pod-registry';
import { ReplicaMoves } from '../../src/controller/replica-moves';
import { VolumeLocations } from '../../src/controller/volume-locations';
import type { Offer as MesosOffer } from '../../src/mesos';
import { TransitionLog } from '../../src/observe/transition-log';
import { PlacementMemory } from '../../src/placement';
import type { ServiceStateStore } from '../../src/state/state-store';
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

/** A state store in a Map: these rounds are about the handler, not NATS. */
function memoryStore(): ServiceStateStore {
  const values = new Map<string, { value: unknown; revision: number }>();
  let revision = 0;
  return {
    async get(key: string) {
      return values.get(key);
    },
    async put(key: string, value: unknown) {
      values.set(key, { value, revision: ++revision });
      return revision;
    },
    async delete(key: string) {
      values.delete(key);
    },
    async keys(prefix = '') {
      return [...values.keys()].filter((k) => k.startsWith(prefix));
    },
  } as unknown as ServiceStateStore;
}

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
    const op = call.operations![0]!;
    if (op.type !== 'LAUNCH_GROUP') throw new Error(`expected a LAUNCH_GROUP, got ${op.type}`);
    const task = op.launch_group.task_group.tasks![0]!;
    launched[task.name] = call.offerIds![0]!;
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
        // Each offer is launched on at most once, and every offer is launched on or declined.
        const launched = Object.values(outcome(sliced).launched);
        placed += launched.length;
        expect(new Set(launched).size).toBe(launched.length);
        expect([...launched, ...outcome(sliced).declined].sort()).toEqual(sliced.offers.map((o) => o.id.value).sort());
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
    // The first launch ends the lead: the round must not place anyone after the next slice.
    const accept = r.deps.mesos()!.accept.bind(r.deps.mesos());
    Object.assign(r.deps.mesos()!, {
      accept: async (...args: Parameters<typeof accept>) => {
        leading = false;
        return accept(...args);
      },
    });
    await handleOffers(r.deps, r.offers);
    expect(r.mesos.of('ACCEPT')).toHaveLength(1);
    expect(r.mesos.of('DECLINE').flatMap((c) => c.offerIds ?? [])).toHaveLength(3);
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
    const accept = r.deps.mesos()!.accept.bind(r.deps.mesos());
    Object.assign(r.deps.mesos()!, {
      accept: async (...args: Parameters<typeof accept>) => {
        rescinded.add('offer-h1');
        return accept(...args);
      },
    });
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
