import { describe, expect, it, vi } from 'vitest';
import { fromPromise } from 'xstate';
import { POD_TAGS } from '../../machines/pod-instance.logic';
import { podInstanceMachine } from '../../machines/pod-instance.machine';
import type { CheckVolumesInput, CheckVolumesOutput, EnsureVolumesInput, EnsureVolumesOutput, KillTaskInput, KillTaskOutput } from '../../machines/pod-instance.types';
import { waitForPod } from '../../src/controller/pod-cell';
import { DRAIN_AT, PlanningState } from '../../src/controller/planning-state';
import { PodRegistry } from '../../src/controller/pod-registry';
import { VolumeLocations } from '../../src/controller/volume-locations';
import { TransitionLog } from '../../src/observe/transition-log';
import { buildPlacementIndex } from '../../src/placement';
import type { ServiceStateStore } from '../../src/state/state-store';
import { agentIdOf, clusterOf, demoSpec, FakePortworx, hosts, inspected, metrics, silentLogger } from './fixtures';

const machine = podInstanceMachine.provide({
  actors: {
    ensureVolumes: fromPromise<EnsureVolumesOutput, EnsureVolumesInput>(async ({ input }) => ({ volumes: input.volumes.map((v) => ({ name: v.name, id: `vol-${v.name}` })) })),
    killTask: fromPromise<KillTaskOutput, KillTaskInput>(async () => ({ terminal: true })),
    checkVolumes: fromPromise<CheckVolumesOutput, CheckVolumesInput>(async () => ({ replicaHosts: [] })),
  },
});

/** A store that takes every write and holds nothing. */
const store = { keys: async () => [], get: async () => undefined, put: async () => 1, delete: async () => undefined } as unknown as ServiceStateStore;

describe('PlanningState over the pod registry and the volume locations the runtime composes', () => {
  it('follows their change feeds: a round carried over slices reads what a rescan reads without a scan of every pod', async () => {
    const HOSTS = hosts(6);
    const spec = demoSpec({ count: 12 });
    const logger = silentLogger();
    const registry = new PodRegistry({ spec: () => spec, machine, store, logger, transitions: new TransitionLog(spec.name, logger), metrics: metrics(), onPodState: () => undefined });
    const cluster = clusterOf(HOSTS);
    const px = new FakePortworx();
    const volumes = new VolumeLocations(px.asClient(), cluster);
    const planning = new PlanningState(registry, volumes, cluster);
    planning.round();
    const all = vi.spyOn(registry, 'all');
    const check = () => {
      planning.endRound();
      const scans = all.mock.calls.length;
      const round = planning.round();
      expect(all.mock.calls.length).toBe(scans);
      const rescan = buildPlacementIndex(cluster.view(planning.podsByAgent(true)));
      for (const e of registry.all()) {
        expect(round.index.locationOf(e.name)?.agentId).toEqual(rescan.locationOf(e.name)?.agentId);
        expect([...round.siblingReplicaHosts('node', e.index)].sort()).toEqual([...planning.siblingReplicaHosts('node', e.index)].sort());
      }
    };
    // Pods registered: their volumes created, waiting for an offer.
    const pods = Array.from({ length: 12 }, (_, i) => registry.ensure('node', i));
    for (const p of pods) await waitForPod(p.actor, (s) => s.hasTag(POD_TAGS.awaitingOffer), { timeout: 3_000 });
    check();
    // Half the volumes' replicas read from Portworx; a quarter of the pods placed and running.
    for (const [i, p] of pods.entries()) {
      if (i % 2 !== 0) continue;
      const vol = registry.context(p).volumes[0]!;
      px.add(inspected(vol.name, vol.id!, [HOSTS[i % 6]!.host, HOSTS[(i + 1) % 6]!.host]));
      await volumes.refresh([{ name: vol.name, id: vol.id }]);
    }
    check();
    for (const [i, p] of pods.entries()) {
      if (i % 4 !== 1) continue;
      const taskId = `demo__node-${i}__1-abcd0123`;
      registry.send(p, { type: 'PLACE', taskId, agentId: agentIdOf(HOSTS[5]!.host), hostname: HOSTS[5]!.host, offerId: `o${i}` });
    }
    check();
    // Replica locations forgotten (a failover), a pod planned directly, a pod removed.
    volumes.invalidate([registry.context(pods[0]!).volumes[0]!.name]);
    planning.notePlannedHost('node-3', HOSTS[2]!.host);
    await registry.remove(pods[11]!);
    check();
    expect(planning.round().index.locationOf('node-1')?.hostname).toBe(HOSTS[5]!.host);
  });

  it('reads pods that changed while no round was used into the round in the background: the next round() reads fewer than DRAIN_AT', async () => {
    const HOSTS = hosts(6);
    const spec = demoSpec({ count: 1_200 });
    const logger = silentLogger();
    const registry = new PodRegistry({ spec: () => spec, machine, store, logger, transitions: new TransitionLog(spec.name, logger), metrics: metrics(), onPodState: () => undefined });
    const cluster = clusterOf(HOSTS);
    const volumes = new VolumeLocations(new FakePortworx().asClient(), cluster);
    const planning = new PlanningState(registry, volumes, cluster);
    planning.round();
    planning.endRound();
    // 1,200 pods registered and provisioned while no plan is made (every one a change the round must read).
    const pods = Array.from({ length: 1_200 }, (_, i) => registry.ensure('node', i));
    for (const p of pods) await waitForPod(p.actor, (s) => s.hasTag(POD_TAGS.awaitingOffer), { timeout: 5_000 });
    // A few turns of the event loop (each reads DRAIN_SLICE of them).
    for (let t = 0; t < 3; t++) await new Promise((r) => setImmediate(r));
    const get = vi.spyOn(registry, 'get');
    const round = planning.round();
    expect(get.mock.calls.length).toBeLessThan(DRAIN_AT);
    const rescan = buildPlacementIndex(cluster.view(planning.podsByAgent(true)));
    for (const e of registry.all()) expect(round.index.locationOf(e.name)?.agentId).toEqual(rescan.locationOf(e.name)?.agentId);
    expect([...round.siblingReplicaHosts('node', 0)].sort()).toEqual([...planning.siblingReplicaHosts('node', 0)].sort());
    registry.stopAll();
  });
});

