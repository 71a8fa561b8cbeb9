import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import { expectConformantRecordings } from '../conformance/recordings';
import { frameworkYaml, startSandbox } from './helpers';
import { cli, observableState } from './helpers-ops';
import { patchSpec } from './helpers-recovery';

type Doc = Parameters<Parameters<typeof patchSpec>[0]>[0];
type Volume = Record<string, unknown>;
const dataVolume = (doc: Doc) => (doc.pods.node!.volumes as Volume[])[0]!;

/**
 * Issue 10 problem 3: `config update` accepted a rename, a path change and a shrink, rolled the
 * pods and applied none of it. Each such change is now refused: 400 naming the field, and
 * nothing changes (pods, tasks, volumes, the spec `config show` prints).
 */
describe('config update refuses changes it cannot make, naming the field, and changes nothing', () => {
  let sb: Sandbox;
  let name: string;
  let yaml: string;
  let record: string | undefined;
  let before: ReturnType<typeof observableState>;
  let volumesBefore: string;
  const dir = mkdtempSync(join(tmpdir(), 'pxfw-config-refused-'));

  beforeAll(async () => {
    const spec = frameworkYaml('cassandra');
    name = spec.name;
    yaml = spec.yaml;
    ({ sandbox: sb, record } = await startSandbox(spec.yaml));
    await sb.scheduler.waitDeployed(60_000);
    before = observableState(sb, name);
    volumesBefore = JSON.stringify(pxVolumes());
  });
  afterAll(async () => {
    await sb?.stop();
  });

  function pxVolumes() {
    return sb.portworx
      .volumes()
      .filter((v) => v.labels['pxfw/service'] === name)
      .map((v) => ({ name: v.name, size: v.size, haLevel: v.haLevel, replicas: v.replicaHosts }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async function refused(label: string, mutate: (doc: Doc) => void): Promise<string> {
    const file = join(dir, `${label}.yml`);
    writeFileSync(file, patchSpec(mutate)(yaml));
    const r = await cli(name, 'config', 'update', file, '--yes');
    expect(r.code, r.out).toBe(1);
    expect(r.out).toBe('');
    // Give a wrongly accepted change time to show, then compare with the state before.
    await new Promise((res) => setTimeout(res, 300));
    expect(observableState(sb, name)).toEqual(before);
    expect(JSON.stringify(pxVolumes())).toBe(volumesBefore);
    // `config show` heads the spec with the target configuration id and each pod's (YAML comments).
    expect(specShown((await cli(name, 'config', 'show')).out)).toBe(yaml.trim());
    return r.err.trim();
  }

  it('a volume rename: the data lives on the old name', async () => {
    const err = await refused('rename', (d) => (dataVolume(d).name = 'data2'));
    expect(err).toMatch(/^pxfw: 400 CONFIG_CHANGE_REFUSED: config update refused, nothing was changed: pods\.node\.volumes\[0\]\.name: renaming volume 'data' to 'data2' is not supported/);
  });

  it('a mount path change', async () => {
    const err = await refused('path', (d) => (dataVolume(d).path = '/data'));
    expect(err).toMatch(/400 CONFIG_CHANGE_REFUSED: .*pods\.node\.volumes\[0\]\.path: "\/var\/lib\/cassandra" -> "\/data": the mount path is fixed/);
  });

  it('a shrink (20Gi -> 10Gi)', async () => {
    const err = await refused('shrink', (d) => (dataVolume(d).size = '10Gi'));
    expect(err).toMatch(/400 CONFIG_CHANGE_REFUSED: .*pods\.node\.volumes\[0\]\.size: shrinking volume 'data' from 20 GiB to 10 GiB is not supported/);
  });

  it('a filesystem change, a shared flag, encryption', async () => {
    expect(await refused('fs', (d) => (dataVolume(d).fs = 'ext4'))).toMatch(/pods\.node\.volumes\[0\]\.fs: "xfs" -> "ext4": the filesystem is fixed at creation/);
    expect(await refused('shared', (d) => (dataVolume(d).shared = true))).toMatch(/pods\.node\.volumes\[0\]\.shared: false -> true/);
    expect(await refused('encrypted', (d) => (dataVolume(d).encryption_secret = 'k1'))).toMatch(/pods\.node\.volumes\[0\]\.encryption_secret: null -> "k1": encryption is fixed/);
  });

  it("a pod type's removal while it has pods", async () => {
    const err = await refused('removed', (d) => {
      // The renamed pod type names its own siblings in its launch templates ({{SEED_HOSTS}}, not {{NODE_HOSTS}}).
      d.pods.seed = JSON.parse(JSON.stringify(d.pods.node).replace(/\bNODE_/g, 'SEED_')) as Record<string, unknown>;
      delete d.pods.node;
      // Every plan (deploy and the sidecar plans) follows the rename.
      for (const plan of Object.values(d.plans as Record<string, { phases: { pod: string }[] }>)) plan.phases.forEach((p) => (p.pod = 'seed'));
    });
    expect(err).toMatch(/pods\.node: pod type 'node' has 3 pods and cannot be removed by config update; scale it to 0 first/);
    expect(err).toMatch(/pods\.seed: adding pod type 'seed' is not supported/);
  });

  it('a field read only at scheduler start (failure_policy.probation): refused, not accepted and ignored', async () => {
    const err = await refused('probation', (d) => ((d.failure_policy as Record<string, unknown>).probation = 30));
    expect(err).toMatch(/400 CONFIG_CHANGE_REFUSED: .*failure_policy\.probation: read only when the scheduler starts .*config update cannot apply it/);
  });

  it('a count change (config update does not scale) and several refusals at once, each named', async () => {
    const err = await refused('many', (d) => {
      d.pods.node!.count = 5;
      dataVolume(d).size = '10Gi';
      dataVolume(d).path = '/x';
    });
    expect(err).toMatch(/pods\.node\.count: config update does not scale \(3 -> 5\); use pxfw \S+ scale node 5 --yes/);
    expect(err).toMatch(/pods\.node\.volumes\[0\]\.path/);
    expect(err).toMatch(/pods\.node\.volumes\[0\]\.size/);
  });

  it('every Portworx and Mesos exchange was conformant', () => {
    expectConformantRecordings(record!, { require: ['mesos', 'portworx'] });
  });
});

/** The spec part of `config show` (without the header of configuration ids). */
function specShown(out: string): string {
  const lines = out.split('\n');
  const header = lines.findIndex((l) => !/^# (target configuration: |  )/.test(l));
  return lines.slice(header).join('\n').trim();
}
