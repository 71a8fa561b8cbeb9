import { describe, expect, it } from 'vitest';
import { ensureVolumes, killTask, type PodEffectDeps } from '../../src/controller/pod-effects';
import { NotConnectedError } from '../../src/controller/errors';
import type { ClusterState } from '../../src/controller/cluster-view';
import type { ServiceSpec } from '../../src/spec';
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
}): PodEffectDeps {
  const spec = opts.spec ?? demoSpec();
  const mesos = opts.mesos?.asClient();
  return {
    spec: () => spec,
    px: (opts.px ?? new FakePortworx()).asClient(),
    mesos: () => mesos,
    cluster: opts.cluster,
    planningView: () => opts.cluster.view(opts.podsByAgent ?? new Map()),
    siblingReplicaHosts: () => opts.siblingHosts ?? new Set(),
    notePlannedHost: (pod, host) => opts.planned?.set(pod, host),
    logger: silentLogger(),
    metrics: metrics(),
    isTaskTerminal: (taskId) => opts.terminal?.has(taskId) ?? false,
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
