import { describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/nats-core';
import type { ClusterState } from '../../src/controller/cluster-view';
import type { PodEntry } from '../../src/controller/pod-registry';
import { StorageWatch, type StorageWatchDeps } from '../../src/controller/storage-watch';
import type { PodInstanceEvent } from '../../machines/pod-instance.types';
import type { PortworxClient, StorageNode } from '../../src/portworx';
import { clusterOf, hosts, nodeIdOf, silentLogger } from './fixtures';

function nodes(down: string[] = []): StorageNode[] {
  return hosts(3).map(({ host }) => ({ id: nodeIdOf(host), hostname: host, scheduler_node_name: host, status: down.includes(host) ? 'STATUS_OFFLINE' : 'STATUS_OK' }));
}

/** A watch over one pod running on h1, a storage list the test sets, and a clock. */
function setup(podCount = 1) {
  const cluster = clusterOf(hosts(3), { storage: false });
  const state = { nodes: nodes(), now: 0, agentReads: 0, listings: 0, listingFails: false, portworxEvidence: null as string | null };
  const pods = Array.from({ length: podCount }, (_, i) => ({ name: `node-${i}`, podType: 'node', index: i }) as unknown as PodEntry);
  const sent: PodInstanceEvent[] = [];
  const deps: StorageWatchDeps = {
    service: 'demo',
    nc: {} as NatsConnection,
    px: {
      enumerateNodes: async () => {
        state.listings += 1;
        if (state.listingFails) throw new Error('portworx unavailable');
        return state.nodes;
      },
    } as unknown as PortworxClient,
    operator: {
      getAgents: async () => {
        state.agentReads += 1;
        return { agents: [], recovered_agents: [] };
      },
    },
    cluster,
    governor: { observeStorage: () => undefined },
    pods: {
      all: () => pods,
      context: () => ({ task: { taskId: 't1', agentId: 'agent-h1', hostname: 'h1' } as never, suspicion: { mesos: null, portworx: state.portworxEvidence } }),
      send: (_e, ev) => void sent.push(ev),
    },
    supervisor: { is: () => false },
    logger: silentLogger(),
    intervalMs: 10_000,
    now: () => state.now,
  };
  const watch = new StorageWatch(deps);
  const refresh = async () => {
    state.now += 10_000;
    await watch.refresh();
  };
  return { state, sent, refresh, watch, deps };
}

describe('StorageWatch refreshes (every 10 s at 10,000 pods: only what changed goes out)', () => {
  it('tells a pod HOST_UP once, not again on every refresh while its host stays online', async () => {
    const { sent, refresh } = setup();
    for (let i = 0; i < 5; i++) await refresh();
    expect(sent.map((e) => e.type)).toEqual(['HOST_UP']);
  });

  it('learns the agents of GET_AGENTS in slices: the event loop runs before the last of 2,000 is learned', async () => {
    const { state, refresh, deps } = setup();
    const cluster = deps.cluster as unknown as ClusterState;
    const agents = Array.from({ length: 2_000 }, (_, i) => ({ agent_info: { hostname: `big-${i}`, id: { value: `agent-big-${i}` } } }));
    deps.operator.getAgents = async () => ((state.agentReads += 1), { agents, recovered_agents: [] }) as never;
    let learnedBeforeYield: number | undefined;
    setImmediate(() => (learnedBeforeYield = agents.filter((a) => cluster.agentByHost(a.agent_info.hostname)).length));
    await refresh();
    expect(agents.every((a) => cluster.agentByHost(a.agent_info.hostname)?.agentId === a.agent_info.id.value)).toBe(true);
    expect(learnedBeforeYield).toBeLessThan(2_000);
  });

  it('tells thousands of pods in slices: the event loop runs before the last of them hears', async () => {
    const { sent, refresh } = setup(3_000);
    let heardBeforeYield: number | undefined;
    setImmediate(() => (heardBeforeYield = sent.length));
    await refresh();
    expect(sent).toHaveLength(3_000);
    expect(heardBeforeYield).toBeLessThan(3_000);
  });

  it('a storage view asked for before a volume plan is there once the nodes are read, before thousands of pods are told', async () => {
    const { state, sent, watch } = setup(3_000);
    state.now = 10_000;
    await watch.recent(1_000);
    expect(state.listings).toBe(1);
    expect(sent.length).toBeLessThan(3_000);
    // The same refresh goes on telling the pods.
    await watch.refresh();
    expect(sent).toHaveLength(3_000);
    expect(state.listings).toBe(1);
  });

  it('tells HOST_DOWN on every refresh while the node is OFFLINE, and HOST_UP again once it is back', async () => {
    const { state, sent, refresh } = setup();
    await refresh();
    state.nodes = nodes(['h1']);
    await refresh();
    await refresh();
    state.nodes = nodes();
    await refresh();
    await refresh();
    expect(sent.map((e) => e.type)).toEqual(['HOST_UP', 'HOST_DOWN', 'HOST_DOWN', 'HOST_UP']);
  });

  it('tells HOST_UP again while the pod still holds Portworx evidence (an event it missed)', async () => {
    const { state, sent, refresh } = setup();
    await refresh();
    state.portworxEvidence = 'Portworx reports node h1 OFFLINE';
    await refresh();
    expect(sent.map((e) => e.type)).toEqual(['HOST_UP', 'HOST_UP']);
  });

  it('re-reads the Mesos agents (GET_AGENTS) once per 6 refresh intervals, not on every refresh', async () => {
    const { state, refresh } = setup();
    for (let i = 0; i < 6; i++) await refresh();
    expect(state.agentReads).toBe(1);
    await refresh();
    expect(state.agentReads).toBe(2);
  });

  it('serves volume planning a listing begun within the window, or the one in flight, and lists again after it', async () => {
    const { state, watch } = setup();
    await Promise.all([watch.recent(1_000), watch.recent(1_000), watch.recent(1_000)]);
    expect(state.listings).toBe(1);
    state.now += 1_000;
    await watch.recent(1_000);
    expect(state.listings).toBe(1);
    state.now += 1;
    await watch.recent(1_000);
    expect(state.listings).toBe(2);
  });

  it('does not count a listing that failed as recent', async () => {
    const { state, watch } = setup();
    state.listingFails = true;
    await watch.recent(1_000);
    state.listingFails = false;
    await watch.recent(1_000);
    expect(state.listings).toBe(2);
  });
});
