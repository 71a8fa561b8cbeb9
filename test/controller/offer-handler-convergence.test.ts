import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { fromPromise } from 'xstate';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { podInstanceMachine } from '../../machines/pod-instance.machine';
import type {
  CheckVolumesInput,
  CheckVolumesOutput,
  DisposeVolumesInput,
  EnsureVolumesInput,
  EnsureVolumesOutput,
  FenceInput,
  KillTaskInput,
  KillTaskOutput,
  ReleaseVolumesInput,
} from '../../machines/pod-instance.types';
import { handleOffers, type OfferHandlerDeps } from '../../src/controller/offer-handler';
import { PodRegistry, type PodEntry, type PodRecord } from '../../src/controller/pod-registry';
import { VolumeLocations } from '../../src/controller/volume-locations';
import { ServiceStateStore } from '../../src/state/state-store';
import { PlacementMemory } from '../../src/placement';
import { TransitionLog } from '../../src/observe/transition-log';
import { SHARED_NATS_URL } from '../helpers/nats-server';
import { clusterOf, demoSpec, FakeMesos, FakePortworx, hosts, inspected, metrics, offerFrom, silentLogger } from './fixtures';

/** Pod effects that succeed at once: the offer handler, not Portworx, is under test. */
const podMachine = podInstanceMachine.provide({
  actors: {
    ensureVolumes: fromPromise<EnsureVolumesOutput, EnsureVolumesInput>(async ({ input }) => ({
      volumes: input.volumes.map((v) => ({ name: v.name, id: `vol-${v.name}` })),
    })),
    killTask: fromPromise<KillTaskOutput, KillTaskInput>(async () => ({ terminal: true })),
    releaseVolumes: fromPromise<void, ReleaseVolumesInput>(async () => undefined),
    disposeVolumes: fromPromise<void, DisposeVolumesInput>(async () => undefined),
    fence: fromPromise<void, FenceInput>(async () => undefined),
    checkVolumes: fromPromise<CheckVolumesOutput, CheckVolumesInput>(async () => ({ replicaHosts: [] })),
  },
});

async function until(what: string, check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Rig {
  store: ServiceStateStore;
  registry: PodRegistry;
  mesos: FakeMesos;
  deps: OfferHandlerDeps;
  pod: PodEntry;
}

describe('handleOffers with hard convergence and replicas not located yet', () => {
  let nc: NatsConnection;
  const rigs: Rig[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: SHARED_NATS_URL });
  });
  afterEach(async () => {
    for (const r of rigs.splice(0)) {
      r.registry.stopAll();
      await r.registry.flushAll();
      await r.store.destroy();
    }
  });
  afterAll(async () => {
    await nc.close();
  });

  /** Pod node-0 of service demo, its volume on h0, waiting for an offer; KV puts go through `onPut`. */
  async function rig(onPut?: (key: string, value: PodRecord) => void): Promise<Rig> {
    const spec = demoSpec({ convergence: 'hard' });
    const logger = silentLogger();
    const real = await ServiceStateStore.open(nc, `t-offers-${randomUUID().slice(0, 8)}`);
    const store = Object.create(real) as ServiceStateStore;
    store.put = async (key, value, expected) => {
      onPut?.(key, value as PodRecord);
      return real.put(key, value, expected);
    };
    const registry = new PodRegistry({
      spec: () => spec,
      machine: podMachine,
      store,
      logger,
      transitions: new TransitionLog(spec.name, logger),
      metrics: metrics(),
      onPodState: () => undefined,
    });
    const cluster = clusterOf(hosts(3));
    const px = new FakePortworx();
    px.add(inspected('demo-node-0-data', 'vol-demo-node-0-data', ['h0', 'h-unlisted']));
    const mesos = new FakeMesos();
    const client = mesos.asClient();
    const deps: OfferHandlerDeps = {
      spec: () => spec,
      registry,
      cluster,
      volumes: new VolumeLocations(px.asClient(), cluster),
      memory: new PlacementMemory(),
      mesos: () => client,
      podsByAgent: () => new Map(),
      launching: () => true,
      logger,
      metrics: metrics(),
    };
    const pod = registry.ensure('node', 0);
    await until('node-0 waits for an offer', () => pod.state.startsWith('volume-provisioned'));
    const r = { store: real, registry, mesos, deps, pod };
    rigs.push(r);
    return r;
  }

  const declined = (m: FakeMesos) => m.of('DECLINE').flatMap((c) => c.offerIds ?? []);

  it('hard convergence holds a pod back from a non-holder while a replica node is not resolvable yet', async () => {
    const { deps, mesos } = await rig();
    await handleOffers(deps, [offerFrom('h1', 'r1')]);
    expect(mesos.of('ACCEPT')).toEqual([]);
    expect(declined(mesos)).toEqual(['offer-h1']);
  });
});
