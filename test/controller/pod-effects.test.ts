import { describe, expect, it } from 'vitest';
import { ensureVolumes, killTask, type PodEffectDeps } from '../../src/controller/pod-effects';
import { classifyCreateError, NotConnectedError, PodTypeRemovedError, ReplicaNodeUnavailableError } from '../../src/controller/errors';
import type { ClusterState } from '../../src/controller/cluster-view';
import { PlanningState } from '../../src/controller/planning-state';
import { WorkSlices } from '../../src/controller/work-slices';
import { portworxErrorFromResponse, PortworxInternalError, type CreateVolumeInput, type PortworxClient } from '../../src/portworx';
import type { ServiceSpec } from '../../src/service-spec';
import { effectFailure } from '../machines/effect-harness';
import { podInput, startPod } from '../machines/pod-harness';
import { agentIdOf, clusterOf, demoSpec, FakeMesos, FakePortworx, hosts, inspected, metrics, nodeIdOf, silentLogger } from './fixtures';

function depsFor(opts: {
  cluster: ClusterState;
  spec?: ServiceSpec;
  px?: FakePortworx;
  mesos?: FakeMesos;
  terminal?: Set<string>;
  podsByAgent?: Map<string, Record<string, string[]>>;
  siblingHosts?: Set<string>;
  planned?: Map<string, string>;
  client?: PortworxClient;
  refreshEvidence?: () => Promise<void>;
  recentStorage?: () => Promise<void>;
}): PodEffectDeps {
  const spec = opts.spec ?? demoSpec();
  const mesos = opts.mesos?.asClient();
  return {
    spec: () => spec,
    px: opts.client ?? (opts.px ?? new FakePortworx()).asClient(),
    mesos: () => mesos,
    cluster: opts.cluster,
    planningView: () => opts.cluster.view(opts.podsByAgent ?? new Map()),
    siblingReplicaHosts: () => opts.siblingHosts ?? new Set(),
    notePlannedHost: (pod, host) => opts.planned?.set(pod, host),
    logger: silentLogger(),
    metrics: metrics(),
    isTaskTerminal: (taskId) => opts.terminal?.has(taskId) ?? false,
    ...(opts.refreshEvidence ? { refreshEvidence: opts.refreshEvidence } : {}),
    ...(opts.recentStorage ? { recentStorage: opts.recentStorage } : {}),
  };
}

describe('killTask (the pod effect that ends a task before relaunch or stop)', () => {
  it('sends the KILL for a task on an agent the cluster view does not know, and waits for Mesos to answer', async () => {
    // Typical after a scheduler restart while the agent sat behind a partition: unknown is not gone.
    const mesos = new FakeMesos();
    const deps = depsFor({ cluster: clusterOf(hosts(2)), mesos });
    const out = await killTask(deps, { taskId: 'demo__node-0__1', agentId: 'agent-nobody-knows' });
    expect(out).toEqual({ terminal: false });
    expect(mesos.of('KILL')).toEqual([{ type: 'KILL', taskId: 'demo__node-0__1', agentId: 'agent-nobody-knows' }]);
  });

  it('reports the task terminal without a KILL when its agent is known to be gone for good', async () => {
    const cluster = clusterOf(hosts(2));
    cluster.markGone(agentIdOf('h1'));
    const mesos = new FakeMesos();
    const out = await killTask(depsFor({ cluster, mesos }), { taskId: 'demo__node-0__1', agentId: agentIdOf('h1') });
    expect(out).toEqual({ terminal: true });
    expect(mesos.calls).toEqual([]);
  });

  it('reports the task terminal without a KILL when the last status Mesos sent for it is terminal', async () => {
    const mesos = new FakeMesos();
    const deps = depsFor({ cluster: clusterOf(hosts(2)), mesos, terminal: new Set(['demo__node-0__1']) });
    const out = await killTask(deps, { taskId: 'demo__node-0__1', agentId: agentIdOf('h0') });
    expect(out).toEqual({ terminal: true });
    expect(mesos.calls).toEqual([]);
  });

  it('sends the KILL for a live task on a known agent and leaves the verdict to the task update', async () => {
    const mesos = new FakeMesos();
    const out = await killTask(depsFor({ cluster: clusterOf(hosts(2)), mesos }), { taskId: 'demo__node-0__2', agentId: agentIdOf('h0') });
    expect(out).toEqual({ terminal: false });
    expect(mesos.of('KILL')).toHaveLength(1);
  });

  it('fails with a retryable NotConnectedError (not a fake "terminal") for an unknown agent while not subscribed', async () => {
    const deps = depsFor({ cluster: clusterOf(hosts(2)), mesos: new FakeMesos(false) });
    const err = await killTask(deps, { taskId: 'demo__node-0__1', agentId: 'agent-nobody-knows' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotConnectedError);
    expect((err as NotConnectedError).retryable).toBe(true);
  });
});

describe('ensureVolumes (create-or-find the volumes of one pod instance)', () => {
  // h2 is where the first volume's first replica lives. A sibling already runs there and the
  // pods are hostname:UNIQUE, so planning afresh could never pick h2: only reusing the existing
  // volume's host keeps the two volumes of the pod on one host.
  const shape = hosts(4, 4);
  const spec = demoSpec({ volumes: ['data', 'log'], repl: 2, placement: ['hostname:UNIQUE'] });
  const siblingOnH2 = new Map([[agentIdOf('h2'), { node: ['node-1'] }]]);

  it.each([
    ['found by name (its id not recorded yet)', null],
    ['found by its recorded id', 'vol-data'],
  ])(
    'pins the second, new volume with its first replica on the host of the first volume when the first is %s',
    async (_how, recordedId) => {
      const px = new FakePortworx();
      px.add(inspected('demo-node-0-data', 'vol-data', ['h2', 'h0']));
      const planned = new Map<string, string>();
      const deps = depsFor({ cluster: clusterOf(shape), spec, px, podsByAgent: siblingOnH2, siblingHosts: new Set(['h2']), planned });

      const out = await ensureVolumes(deps, {
        service: 'demo',
        podType: 'node',
        index: 0,
        volumes: [
          { name: 'demo-node-0-data', id: recordedId },
          { name: 'demo-node-0-log', id: null },
        ],
      });

      expect(px.created).toHaveLength(1);
      const created = px.created[0]!;
      expect(created.name).toBe('demo-node-0-log');
      expect(created.spec?.replica_set?.nodes?.[0]).toBe(nodeIdOf('h2'));
      expect(created.spec?.replica_set?.nodes).toHaveLength(2);
      expect(out.volumes).toEqual([
        { name: 'demo-node-0-data', id: 'vol-data' },
        { name: 'demo-node-0-log', id: 'id-demo-node-0-log' },
      ]);
      // The host came from the existing volume, not from planning.
      expect(planned.size).toBe(0);
    },
  );
});

describe('ensureVolumes when Portworx nodes go down (scale-up-blocked-by-offline-replica-node)', () => {
  // Four hosts, one rack each, repl 2: every new volume pins two replica nodes.
  const shape = hosts(4, 4);
  const spec = demoSpec({ repl: 2 });
  const input = { service: 'demo', podType: 'node', index: 0, volumes: [{ name: 'demo-node-0-data', id: null }] };
  const pinned = (px: FakePortworx) => px.created.map((c) => c.spec?.replica_set?.nodes ?? []);

  /** What Portworx (and the simulator) answers a create that pins a replica on a node that is not up. */
  const offlineRefusal = (nodeId: string) =>
    portworxErrorFromResponse(500, { code: 13, message: `Failed to create volume: replica_set.nodes: node ${nodeId} is offline` }, { method: 'POST', path: '/v1/volumes' });

  /** A Portworx that refuses any create pinning a replica on one of `down` (node ids). */
  function refusingPortworx(px: FakePortworx, down: () => ReadonlySet<string>): PortworxClient {
    const client = px.asClient();
    return {
      ...client,
      async createVolume(req: CreateVolumeInput) {
        const bad = (req.spec?.replica_set?.nodes ?? []).find((n) => down().has(n));
        if (bad) throw offlineRefusal(bad);
        return client.createVolume(req);
      },
    } as PortworxClient;
  }

  /** Portworx's node list: every host OK but those given another status. */
  function nodeList(statuses: Record<string, string>) {
    return shape.map((h) => ({ id: nodeIdOf(h.host), hostname: h.host, scheduler_node_name: h.host, status: (statuses[h.host] ?? 'STATUS_OK') as never }));
  }

  it('reads the storage nodes through the recent listing when there is one (a deploy burst shares one listing)', async () => {
    const cluster = clusterOf(shape);
    let full = 0;
    let recent = 0;
    const deps = depsFor({ cluster, spec, px: new FakePortworx(), refreshEvidence: async () => void (full += 1), recentStorage: async () => void (recent += 1) });
    await ensureVolumes(deps, input);
    expect({ full, recent }).toEqual({ full: 0, recent: 1 });
  });

  it.each(['STATUS_OFFLINE', 'STATUS_MAINTENANCE', 'STATUS_STORAGE_DOWN'])(
    're-reads the nodes before pinning, so no replica goes on a node that went %s since the last refresh',
    async (status) => {
      // The cached view still says every node is up; Portworx already says h0, h1 and h2 are not.
      const cluster = clusterOf(shape);
      const px = new FakePortworx();
      let refreshed = 0;
      const refreshEvidence = async () => {
        refreshed += 1;
        cluster.setStorageNodes(nodeList({ h0: status, h1: status, h2: status }));
      };
      const err = await ensureVolumes(depsFor({ cluster, spec, px, refreshEvidence }), input).catch((e: unknown) => e);
      expect(refreshed).toBe(1);
      // One node up is too few for two replicas: nothing is created, and the pod waits (retryable).
      expect(px.created).toEqual([]);
      expect((err as { retryable?: boolean }).retryable).toBe(true);
      // With h2 back, both replicas go on the two nodes that are up.
      const later = await ensureVolumes(depsFor({ cluster, spec, px, refreshEvidence: async () => cluster.setStorageNodes(nodeList({ h0: status, h1: status })) }), input);
      expect(later.volumes).toEqual([{ name: 'demo-node-0-data', id: 'id-demo-node-0-data' }]);
      expect(pinned(px)).toHaveLength(1);
      expect([...pinned(px)[0]!].sort()).toEqual([nodeIdOf('h2'), nodeIdOf('h3')]);
    },
  );

  it('turns a create refused for an offline pinned node into a retryable ReplicaNodeUnavailableError, with the client error as its cause', async () => {
    // No refresh wired: the view stays stale, so the create pins a node Portworx knows is offline.
    const cluster = clusterOf(shape);
    const px = new FakePortworx();
    const down = new Set(shape.map((h) => nodeIdOf(h.host)));
    const err = await ensureVolumes(depsFor({ cluster, spec, px, client: refusingPortworx(px, () => down) }), input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplicaNodeUnavailableError);
    const e = err as ReplicaNodeUnavailableError;
    expect(e).toMatchObject({ name: 'ReplicaNodeUnavailableError', code: 'REPLICA_NODE_UNAVAILABLE', retryable: true });
    expect(e.cause).toBeInstanceOf(PortworxInternalError);
    expect(e.pinnedHosts).toHaveLength(2);
    expect(e.message).toContain('is offline');
  });

  it('the next attempt re-pins with a fresh view and creates the volume on nodes that are up', async () => {
    const cluster = clusterOf(shape);
    const px = new FakePortworx();
    const offline = { h0: 'STATUS_OFFLINE', h1: 'STATUS_OFFLINE' };
    const down = new Set([nodeIdOf('h0'), nodeIdOf('h1')]);
    const client = refusingPortworx(px, () => down);
    // First attempt: the node list cannot be read (the refresh fails), the stale view pins h0/h1.
    let attempt = 0;
    const refreshEvidence = async () => {
      attempt += 1;
      if (attempt === 1) throw new Error('Portworx node list unavailable');
      cluster.setStorageNodes(nodeList(offline));
    };
    const deps = depsFor({ cluster, spec, px, client, refreshEvidence });
    const first = await ensureVolumes(deps, input).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(ReplicaNodeUnavailableError);
    const out = await ensureVolumes(deps, input);
    expect(out.volumes).toEqual([{ name: 'demo-node-0-data', id: 'id-demo-node-0-data' }]);
    expect([...pinned(px).at(-1)!].sort()).toEqual([nodeIdOf('h2'), nodeIdOf('h3')]);
  });

  it.each([
    ['INTERNAL, not about a node', 500, { code: 13, message: 'Failed to create volume: pool is full' }],
    ['INVALID_ARGUMENT about the size', 400, { code: 3, message: 'size must be positive' }],
    ['NOT_FOUND', 404, { code: 5, message: 'node node-h0 is offline' }],
  ])('leaves any other refusal as the client classified it (%s)', (_what, status, body) => {
    const err = portworxErrorFromResponse(status, body, { method: 'POST', path: '/v1/volumes' });
    expect(classifyCreateError(err, 'v', ['h0', 'h1'], [nodeIdOf('h0'), nodeIdOf('h1')])).toBe(err);
  });

  it.each([
    ['is offline (the simulator, INTERNAL)', 13, 'Failed to create volume: replica_set.nodes: node node-h1 is offline'],
    ['is in maintenance (FAILED_PRECONDITION)', 9, 'node node-h1 is in maintenance mode'],
    ['storage down (UNAVAILABLE)', 14, 'node h1: storage down'],
    ['not online (UNKNOWN)', 2, 'Node node-h0 is not online'],
  ])('classifies a refusal naming a pinned node that %s', (_what, code, message) => {
    const err = portworxErrorFromResponse(500, { code, message }, { method: 'POST', path: '/v1/volumes' });
    expect(classifyCreateError(err, 'v', ['h0', 'h1'], [nodeIdOf('h0'), nodeIdOf('h1')])).toBeInstanceOf(ReplicaNodeUnavailableError);
  });
});

describe('a pod whose volume create keeps meeting offline replica nodes (pod machine, pending.backoff)', () => {
  it('retries forever with a capped backoff and never parks in pending.blocked; it provisions once a create succeeds', async () => {
    const rig = startPod({ input: podInput() }); // retryInitialMs 1 s, retryMaxMs 8 s
    const refused = () =>
      classifyCreateError(
        portworxErrorFromResponse(500, { code: 13, message: 'Failed to create volume: replica_set.nodes: node node-h1 is offline' }, { method: 'POST', path: '/v1/volumes' }),
        'cassandra-node-1-data',
        ['h0', 'h1'],
        ['node-h0', 'node-h1'],
      );
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 25; attempt++) {
      await rig.effects.reject('ensureVolumes', refused() as Error);
      expect(rig.state()).toBe('pending.backoff');
      // Find the delay: step the clock 500 ms at a time until the next attempt starts.
      let waited = 0;
      while (rig.effects.count('ensureVolumes') === attempt) {
        rig.clock.increment(500);
        waited += 500;
        expect(waited).toBeLessThanOrEqual(8_000);
      }
      delays.push(waited);
      expect(rig.state()).toBe('pending.provisioning');
    }
    expect(delays.slice(0, 5)).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(Math.max(...delays)).toBe(8_000);
    await rig.effects.resolve('ensureVolumes', { volumes: [{ name: 'cassandra-node-1-data', id: 'v1' }, { name: 'cassandra-node-1-commitlog', id: 'v2' }] });
    expect(rig.state()).toBe('volume-provisioned.awaiting-holder');
  });

  it('the same answer unclassified (PortworxInternalError, not retryable) would park the pod: why the mapping matters', async () => {
    const rig = startPod({ input: podInput() });
    await rig.effects.reject('ensureVolumes', effectFailure('Failed to create volume: replica_set.nodes: node node-h1 is offline', false, 'PORTWORX_INTERNAL'));
    expect(rig.state()).toBe('pending.blocked');
  });
});

describe('a pod whose pod type is no longer in the spec (parked, not retried forever)', () => {
  const input = { service: 'demo', podType: 'broker', index: 2, volumes: [{ name: 'demo-broker-2-data', id: null }] };

  it('ensureVolumes fails with a terminal PodTypeRemovedError that names the pod type and what the operator can do', async () => {
    const err = await ensureVolumes(depsFor({ cluster: clusterOf(hosts(2)) }), input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PodTypeRemovedError);
    expect(err).toMatchObject({ name: 'PodTypeRemovedError', code: 'POD_TYPE_REMOVED', retryable: false, podType: 'broker' });
    const message = (err as Error).message;
    expect(message).toContain("pod type 'broker'");
    expect(message).toContain('broker-2');
    expect(message).toMatch(/restore .* in the spec/);
    expect(message).toMatch(/decommission/);
  });

  it('the pod machine parks the pod in pending.blocked on that error, with the reason, instead of backing off', async () => {
    const err = await ensureVolumes(depsFor({ cluster: clusterOf(hosts(2)) }), input).catch((e: unknown) => e);
    const rig = startPod({ input: podInput({ service: 'demo', podType: 'broker', index: 2, volumes: [{ name: 'demo-broker-2-data' }] }) });
    await rig.effects.reject('ensureVolumes', err as Error);
    expect(rig.state()).toBe('pending.blocked');
    expect(rig.actor.getSnapshot().context.reason).toContain('POD_TYPE_REMOVED');
    rig.clock.increment(60_000);
    expect(rig.effects.count('ensureVolumes')).toBe(1);
  });
});

describe('ensureVolumes in a burst (a parallel phase: every pod plans at once)', () => {
  it('plans 60 pods on one shared round per time slice: the pods are read per slice, not per pod, and still spread', async () => {
    const shape = hosts(12, 3);
    const cluster = clusterOf(shape);
    const spec = demoSpec({ count: 60, repl: 2 });
    const pods = Array.from({ length: 60 }, (_, index) => ({ name: `node-${index}`, podType: 'node', index, volumes: [{ name: `demo-node-${index}-data` }] }));
    let scans = 0;
    const registry = {
      all: () => {
        scans += 1;
        return pods as never[];
      },
      context: (e: (typeof pods)[number]) => ({ volumes: e.volumes }) as never,
    };
    const planning = new PlanningState(registry as never, { replicaHosts: () => undefined }, cluster);
    const slices = new WorkSlices({ onSliceEnd: () => planning.endRound() });
    const px = new FakePortworx();
    const deps: PodEffectDeps = { ...depsFor({ cluster, spec, px }), planRound: (plan) => slices.run(() => plan(planning.round())) };

    await Promise.all(pods.map((p) => ensureVolumes(deps, { service: 'demo', podType: 'node', index: p.index, volumes: [{ name: `demo-node-${p.index}-data`, id: null }] })));

    expect(px.created).toHaveLength(60);
    expect(scans).toBe(slices.sliceCount);
    expect(scans).toBeLessThan(60);
    // Pods planned in one burst see each other: 5 per host on 12 hosts.
    const perHost = new Map<string, number>();
    for (const c of px.created) perHost.set(c.spec!.replica_set!.nodes![0]!, (perHost.get(c.spec!.replica_set!.nodes![0]!) ?? 0) + 1);
    expect([...perHost.values()]).toEqual(Array(12).fill(5));
  });
});
