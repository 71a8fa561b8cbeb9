import { describe, expect, it } from 'vitest';
import { POD_TAGS } from '../../machines/pod-instance.logic';
import { RuntimeOperations } from '../../src/controller/operations';
import { parseSpec } from '../../src/service-spec';
import type { Runtime } from '../../src/controller/runtime';
import { CasKv as FakeKv } from '../helpers/memory-kv';
import { silentLogger } from './fixtures';

/*
 * A parked pod (POD_TAGS.blocked: e.g. its pod type left the spec, or a call it needs was refused)
 * waits for an operator. Two things retry it: `pod restart POD`, and a new configuration target
 * that has its pod type. These run against a fake runtime: a parked pod whose type comes back
 * cannot be set up end to end (config update refuses a pod type added while its pods exist).
 */

const yaml = (heap: string, types = ['node', 'web']) =>
  `name: demo\npods:\n${types.map((t) => `  ${t}:\n    count: 1\n    cpus: 0.5\n    mem: 256\n    command: sleep 1000\n    env:\n      HEAP: ${heap}\n`).join('')}`;


interface Pod {
  name: string;
  podType: string;
  index: number;
  state: string;
  actor: { getSnapshot(): { hasTag(tag: string): boolean } };
}

function pod(podType: string, index: number, state: string, tags: string[]): Pod {
  return { name: `${podType}-${index}`, podType, index, state, actor: { getSnapshot: () => ({ hasTag: (t: string) => tags.includes(t) }) } };
}

/** The runtime as RuntimeOperations and ConfigUpdates read it; `sent` records what pods were sent. */
function fakeRuntime(pods: Pod[], specYaml = yaml('2G')) {
  const sent: { pod: string; type: string }[] = [];
  const rt = {
    service: 'demo',
    spec: parseSpec(specYaml),
    specYaml,
    store: new FakeKv(),
    logger: silentLogger(),
    opts: { timeScale: 1 },
    leading: false,
    frameworkStateName: 'active.plans.complete',
    frameworkIs: (tag: string) => tag === 'active',
    frameworkContext: { rejected: null },
    onFramework: () => () => undefined,
    transitions: { subscribe: () => () => undefined, latest: () => [] },
    px: { inspectVolumeWithFilters: async () => [] },
    governor: { mayDisrupt: () => true, maxUnavailable: () => 1 },
    registry: {
      all: () => pods,
      get: (name: string) => pods.find((p) => p.name === name),
      context: () => ({ volumes: [], task: null }),
      send: (e: Pod, ev: { type: string }) => sent.push({ pod: e.name, type: ev.type }),
    },
    setSpec(spec: ReturnType<typeof parseSpec>, text: string) {
      this.spec = spec;
      this.specYaml = text;
    },
  };
  return { ops: new RuntimeOperations(rt as unknown as Runtime), sent, rt };
}

describe('RETRY of parked pods', () => {
  it('pod restart of a parked pod sends RETRY (not RESTART) and says it retries', async () => {
    const { ops, sent } = fakeRuntime([pod('node', 0, 're-attaching.blocked', [POD_TAGS.blocked])]);
    const r = await ops.podRestart('node-0');
    expect(r).toEqual({ accepted: true, message: 'retrying node-0' });
    expect(sent).toEqual([{ pod: 'node-0', type: 'RETRY' }]);
  });

  it('pod restart of a running pod still restarts it in place', async () => {
    const { ops, sent } = fakeRuntime([pod('node', 0, 'running.up', [POD_TAGS.running, POD_TAGS.ready])]);
    expect((await ops.podRestart('node-0')).message).toBe('restarting node-0 in place');
    expect(sent).toEqual([{ pod: 'node-0', type: 'RESTART' }]);
  });

  it('a new configuration target sends RETRY to the parked pods of the pod types it has, and only to them', async () => {
    const pods = [
      pod('node', 0, 'running.up', [POD_TAGS.running, POD_TAGS.ready]),
      pod('node', 1, 're-attaching.blocked', [POD_TAGS.blocked]),
      pod('web', 0, 'parked', [POD_TAGS.blocked]),
      pod('old', 0, 'parked', [POD_TAGS.blocked]),
    ];
    const { ops, sent, rt } = fakeRuntime(pods);
    const r = await ops.configUpdate(yaml('3G'));
    expect(r.accepted).toBe(true);
    expect(rt.specYaml).toBe(yaml('3G'));
    // `old` is not in the target: it stays parked; the running pod is not retried (its restart is the plan's).
    expect(sent.filter((s) => s.type === 'RETRY')).toEqual([
      { pod: 'node-1', type: 'RETRY' },
      { pod: 'web-0', type: 'RETRY' },
    ]);
  });
});
