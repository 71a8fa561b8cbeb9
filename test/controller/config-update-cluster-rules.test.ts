import { describe, expect, it } from 'vitest';
import { parseRules } from '../../src/controller/config-update';
import { RuntimeOperations } from '../../src/controller/operations';
import type { Runtime } from '../../src/controller/runtime';
import { parseSpec } from '../../src/service-spec';
import { CasKv as FakeKv } from '../helpers/memory-kv';
import { silentLogger } from './fixtures';

/*
 * `pxfw run` parses its spec with the cluster rules (an absolute volume path needs an image: Mesos
 * would mount it on the agent host). A config update to that scheduler is held to the same rules,
 * so it cannot bring in what the scheduler would refuse at start; the sandbox runs without them.
 */

const spec = (image: string | null) =>
  `name: demo\npods:\n  node:\n    count: 1\n    cpus: 0.5\n    mem: 256\n    command: sleep 1000\n${image ? `    image: ${image}\n` : ''}    volumes:\n      - {name: data, path: /var/lib/data, size: 1Gi, repl: 2}\n`;


/** The runtime as ConfigUpdates reads it, running `specYaml` with one pod, started with or without the cluster rules. */
function operations(clusterRules: boolean | undefined, specYaml = spec('debian:12')) {
  const node = { name: 'node-0', podType: 'node', index: 0, state: 'running.up', actor: { getSnapshot: () => ({ hasTag: () => false }) } };
  const rt = {
    service: 'demo',
    spec: parseSpec(specYaml, undefined, { clusterRules: clusterRules === true }),
    specYaml,
    store: new FakeKv(),
    logger: silentLogger(),
    opts: { timeScale: 1, ...(clusterRules === undefined ? {} : { clusterRules }) },
    leading: false,
    frameworkStateName: 'active.plans.complete',
    frameworkIs: (tag: string) => tag === 'active',
    frameworkContext: { rejected: null },
    onFramework: () => () => undefined,
    transitions: { subscribe: () => () => undefined, latest: () => [] },
    px: { inspectVolumeWithFilters: async () => [] },
    governor: { mayDisrupt: () => true, maxUnavailable: () => 1 },
    registry: { all: () => [node], get: () => node, context: () => ({ volumes: [], task: null }), send: () => undefined },
    setSpec(next: ReturnType<typeof parseSpec>, text: string) {
      this.spec = next;
      this.specYaml = text;
    },
  };
  return { ops: new RuntimeOperations(rt as unknown as Runtime), rt };
}

describe('config update holds a new spec to the rules the running one was parsed with', () => {
  it('started with the cluster rules (pxfw run): an absolute volume path without an image is refused, as at start, and nothing changes', async () => {
    const { ops, rt } = operations(true);
    await expect(ops.configUpdate(spec(null))).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringContaining("pods.node.volumes[0].path: '/var/lib/data' is absolute but pod type 'node' has no image"),
    });
    expect(rt.specYaml).toBe(spec('debian:12'));
    // The same spec start refuses.
    expect(() => parseSpec(spec(null), undefined, { clusterRules: true })).toThrow(/has no image/);
  });

  it('with the cluster rules, an update that keeps them is accepted', async () => {
    const { ops, rt } = operations(true);
    expect((await ops.configUpdate(spec('debian:12-slim'))).accepted).toBe(true);
    expect(rt.specYaml).toBe(spec('debian:12-slim'));
  });

  it('started without them (the sandbox, tests): the short spec is accepted as at start', async () => {
    for (const rules of [false, undefined]) {
      const { ops, rt } = operations(rules);
      expect((await ops.configUpdate(spec(null))).accepted).toBe(true);
      expect(rt.specYaml).toBe(spec(null));
    }
  });

  it('reads the rule from the runtime options', () => {
    expect(parseRules({ clusterRules: true })).toEqual({ clusterRules: true });
    expect(parseRules({ clusterRules: false })).toEqual({});
    expect(parseRules({})).toEqual({});
  });
});
