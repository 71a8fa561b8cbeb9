import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { parseSpec, type ServiceSpec } from '../../src/service-spec';
import { diffSpecs } from '../../src/controller/config-diff';
import { buildUpdatePlan, updatePlanView } from '../../src/controller/config-update-plan';

const shipped = readFileSync(join(__dirname, '..', '..', 'deploy', 'frameworks', 'cassandra.yml'), 'utf8');
type Doc = { pods: Record<string, Record<string, unknown> & { volumes: Record<string, unknown>[] }> } & Record<string, unknown>;

function variant(mutate: (d: Doc) => void): ServiceSpec {
  const d = parseYaml(shipped) as Doc;
  mutate(d);
  return parseSpec(stringify(d));
}

const current = parseSpec(shipped);
const threePods = () => 3;
const paths = (next: ServiceSpec) => diffSpecs(current, next, threePods).refused.map((r) => r.path);

describe('config diff: what config update refuses, by spec path', () => {
  it('refuses a volume rename, a path change, a shrink, fs, shared and encryption changes, each by its path', () => {
    expect(paths(variant((d) => (d.pods.node!.volumes[0]!.name = 'data2')))).toEqual(['pods.node.volumes[0].name']);
    expect(paths(variant((d) => (d.pods.node!.volumes[0]!.path = '/x')))).toEqual(['pods.node.volumes[0].path']);
    expect(paths(variant((d) => (d.pods.node!.volumes[0]!.size = '10Gi')))).toEqual(['pods.node.volumes[0].size']);
    expect(paths(variant((d) => (d.pods.node!.volumes[0]!.fs = 'ext4')))).toEqual(['pods.node.volumes[0].fs']);
    expect(paths(variant((d) => (d.pods.node!.volumes[0]!.shared = true)))).toEqual(['pods.node.volumes[0].shared']);
    expect(paths(variant((d) => (d.pods.node!.volumes[0]!.encryption_secret = 's')))).toEqual(['pods.node.volumes[0].encryption_secret']);
  });

  it('refuses adding or removing a volume of existing pods, a count change, and a pod type removed while it has pods', () => {
    expect(paths(variant((d) => d.pods.node!.volumes.push({ name: 'logs', path: '/logs', size: '1Gi', repl: 2 })))).toEqual(['pods.node.volumes[1]']);
    expect(paths(variant((d) => (d.pods.node!.volumes = [])))).toEqual(['pods.node.volumes[0]']);
    expect(paths(variant((d) => (d.pods.node!.count = 4)))).toEqual(['pods.node.count']);
    const renamedType = variant((d) => {
      // The renamed type's command names its own siblings ({{NODE_HOSTS}} is {{OTHER_HOSTS}} there).
      d.pods.other = { ...d.pods.node!, command: String(d.pods.node!.command).replaceAll('{{NODE_', '{{OTHER_') };
      delete d.pods.node;
      // Every plan (deploy and the sidecar plans) follows the rename.
      for (const plan of Object.values(d.plans as Record<string, { phases: { pod: string }[] }>)) plan.phases.forEach((p) => (p.pod = 'other'));
    });
    expect(paths(renamedType)).toEqual(['pods.node', 'pods.other', 'plans']);
    // A pod type with no pods and count 0 may go.
    const zero = { ...current, pods: { node: { ...current.pods.node!, count: 0 } } };
    expect(diffSpecs(zero, { ...current, pods: {} }, () => 0).refused.filter((r) => r.path === 'pods.node')).toEqual([]);
  });

  it('accepts growth, a replica count change, priority and io_profile as online volume changes, with no restart', () => {
    const next = variant((d) => Object.assign(d.pods.node!.volumes[0]!, { size: '30Gi', repl: 3, priority: 'low', io_profile: 'random' }));
    const diff = diffSpecs(current, next, threePods);
    expect(diff.refused).toEqual([]);
    expect(diff.restartTypes).toEqual([]);
    expect(diff.volumes).toEqual([
      { podType: 'node', volume: 'data', grow: { from: 20, to: 30 }, repl: { from: 2, to: 3 }, priority: { from: 'high', to: 'low' }, ioProfile: { from: 'db', to: 'random' } },
    ]);
  });

  it('refuses the fields read only at scheduler start or pod creation, rather than accept and ignore them', () => {
    const fp = (patch: Record<string, unknown>) => variant((d) => Object.assign(d.failure_policy as Record<string, unknown>, patch));
    expect(paths(fp({ probation: 30 }))).toEqual(['failure_policy.probation']);
    expect(paths(fp({ permanent_failure_timeout: 60, auto_replace: false }))).toEqual(['failure_policy.permanent_failure_timeout', 'failure_policy.auto_replace']);
    expect(paths(variant((d) => (d.convergence = { mode: 'hard' })))).toEqual(['convergence']);
    expect(diffSpecs(current, fp({ probation: 30 }), threePods).refused[0]!.reason).toMatch(/^read only when the scheduler starts .*change it in the spec the scheduler is started with/);
    // Read live: accepted.
    expect(paths(fp({ max_unavailable: 2, max_concurrent_replacements: 2 }))).toEqual([]);
    expect(paths(variant((d) => (d.volume_policy = 'delete')))).toEqual([]);
  });

  it('restarts a pod type whose task-level fields changed; service-level fields restart nothing', () => {
    const env = diffSpecs(current, variant((d) => ((d.pods.node!.env as Record<string, string>).MAX_HEAP_SIZE = '3G')), threePods);
    expect(env.restartTypes).toEqual(['node']);
    const policy = diffSpecs(current, variant((d) => ((d.failure_policy as Record<string, unknown>).max_unavailable = 2)), threePods);
    expect(policy.restartTypes).toEqual([]);
    expect(policy.serviceChanges).toEqual(['failure_policy']);
  });
});

describe('update plan: steps built from a diff', () => {
  it('one size and one repl step per pod and volume, then one restart step per pod, all PENDING', () => {
    const next = variant((d) => {
      Object.assign(d.pods.node!.volumes[0]!, { size: '30Gi', repl: 3 });
      (d.pods.node!.env as Record<string, string>).MAX_HEAP_SIZE = '3G';
    });
    const diff = diffSpecs(current, next, threePods);
    const pods = [0, 1, 2].map((i) => ({ name: `node-${i}`, podType: 'node', index: i }));
    const rec = buildUpdatePlan('cassandra', diff, pods, 'new', 'old');
    expect(rec.phases.map((p) => [p.name, p.steps.map((s) => s.name)])).toEqual([
      ['volumes', ['node-0-data-size', 'node-0-data-repl', 'node-1-data-size', 'node-1-data-repl', 'node-2-data-size', 'node-2-data-repl']],
      ['restart', ['node-0', 'node-1', 'node-2']],
    ]);
    expect(rec.phases[0]!.steps[0]).toMatchObject({ effect: 'updateVolumeSpec', params: { kind: 'volume-spec', volume: 'cassandra-node-0-data', sizeGiB: 30 } });
    expect(rec.phases[0]!.steps[1]).toMatchObject({ effect: 'changeReplication', params: { kind: 'replication', volume: 'cassandra-node-0-data', repl: 3 } });
    expect(updatePlanView(rec)).toMatchObject({ name: 'update', status: 'PENDING', errors: [] });
    expect(updatePlanView(undefined)).toEqual({ name: 'update', status: 'COMPLETE', paused: false, phases: [], errors: [] });
  });
});
