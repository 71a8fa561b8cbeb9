import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpecFile, orderedPhases, SpecFileError } from '../../src/service-spec';

const DIR = join(__dirname, '../../deploy/frameworks');

describe('the shipped framework specs', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yml'));

  it('ship cassandra, hdfs, kafka and elasticsearch', () => {
    expect(files.sort()).toEqual(['cassandra.yml', 'elasticsearch.yml', 'hdfs.yml', 'kafka.yml']);
  });

  it.each(files)('%s parses and validates', async (file) => {
    const spec = await loadSpecFile(join(DIR, file));
    expect(spec.name).toBe(file.replace('.yml', ''));
    expect(Object.keys(spec.pods).length).toBeGreaterThan(0);
    expect(spec.plans.deploy.phases.length).toBe(Object.keys(spec.pods).length);
  });

  it('cassandra has 3 nodes with one 2-replica volume each, spread over zones, flushing before snapshots', async () => {
    const spec = await loadSpecFile(join(DIR, 'cassandra.yml'));
    const node = spec.pods.node!;
    expect(node.count).toBe(3);
    expect(node.volumes).toHaveLength(1);
    expect(node.volumes[0]).toMatchObject({ name: 'data', repl: 2, size: 20, fs: 'xfs', ioProfile: 'db' });
    expect(node.placement).toContainEqual({ field: '@zone', operator: 'GROUP_BY' });
    expect(node.placement).toContainEqual({ field: 'hostname', operator: 'UNIQUE' });
    expect(node.preSnapshot).toBe('nodetool flush');
    expect(node.snapshotTimeout).toBe(300);
    expect(spec.failurePolicy).toEqual({
      permanentFailureTimeout: 1200,
      autoReplace: true,
      probation: 10,
      maxConcurrentReplacements: 1,
      maxUnavailable: { node: 1 },
      storageOutage: { share: 0.4, minNodes: 2, window: 60 },
      spread: { node: 'keep' },
    });
    expect(spec.convergence).toEqual({ mode: 'soft', maxWait: 60 });
    expect(spec.volumePolicy).toBe('retain');
  });

  it.each(files)('%s replaces pods on its own, one at a time, pausing in a storage outage', async (file) => {
    const { failurePolicy } = await loadSpecFile(join(DIR, file));
    expect(failurePolicy).toMatchObject({ autoReplace: true, probation: 10, maxConcurrentReplacements: 1 });
    expect(Object.values(failurePolicy.maxUnavailable).every((n) => n === 1)).toBe(true);
    expect(failurePolicy.storageOutage).toEqual({ share: 0.4, minNodes: 2, window: 60 });
  });

  it('hdfs deploys journal x3, then name x2, then data x3', async () => {
    const spec = await loadSpecFile(join(DIR, 'hdfs.yml'));
    expect([spec.pods.journal!.count, spec.pods.name!.count, spec.pods.data!.count]).toEqual([3, 2, 3]);
    expect(orderedPhases(spec.plans.deploy).map((p) => p.pod)).toEqual(['journal', 'name', 'data']);
    expect(spec.plans.deploy.phases[2]!.dependsOn).toEqual(['name-deploy']);
    expect(spec.failurePolicy.permanentFailureTimeout).toBe(1200); // written as "20m"
    expect(spec.pods.journal!.placement).toEqual([
      { field: 'hostname', operator: 'UNIQUE' },
      { field: '@zone', operator: 'GROUP_BY' },
    ]);
  });

  it('elasticsearch gives the coordinator no volume, masters the fixed transport port the seed hosts name, dynamic ports elsewhere', async () => {
    const spec = await loadSpecFile(join(DIR, 'elasticsearch.yml'));
    expect(spec.pods.coordinator!.volumes).toEqual([]);
    expect(spec.pods.master!.ports).toEqual([{ name: 'http' }, { name: 'transport', port: 9300 }]);
    expect(spec.pods.data!.ports).toEqual([{ name: 'http' }, { name: 'transport' }]);
    expect(spec.pods.coordinator!.env.ES_SETTING_NODE_ROLES).toBe('');
  });

  it('a missing spec file is a SpecFileError naming the path', async () => {
    await expect(loadSpecFile('/nonexistent/pxfw.yml')).rejects.toThrow(SpecFileError);
    await expect(loadSpecFile('/nonexistent/pxfw.yml')).rejects.toThrow(/\/nonexistent\/pxfw\.yml/);
  });
});
