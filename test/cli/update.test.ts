import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { updateCommands, updateNotes } from '../../src/cli/update.command';
import { classifyUpdateFile, defaultPackagesDir, OPTIONS_MARKER, packageOfSpec, recordedOptions, renderUpdateSpec, specChanges } from '../../src/cli/update-options';
import { startHarness, type Harness } from '../api/helpers';
import { runGroups } from './program';

/** The pod `count` of the spec the fake scheduler holds now. */
async function nodeCount(h: Harness): Promise<unknown> {
  const { spec } = await h.ops.configShow();
  return (spec as { pods: { node: { count: unknown } } }).pods.node.count;
}

describe('pxfw <service> update start|status|pause|resume (dcos <service> update …)', () => {
  let h: Harness;
  let dir: string;
  const cli = (...args: string[]) => runGroups(h.nc, h.service, [(root, on) => updateCommands(root, on, {})], args);
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  beforeEach(async () => {
    h = await startHarness({ progressOnPoll: true });
    dir = mkdtempSync(join(tmpdir(), 'pxfw-update-'));
  });
  afterEach(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders package options JSON with the package template into the spec, records them, and starts the update plan', async () => {
    const opts = file('opts.json', JSON.stringify({ node: { count: 3, max_heap_size: '3G' } }));
    const r = await cli('update', 'start', '--options', opts, '--package', 'pxfw-cassandra', '--replace', '--yes');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain(`${h.service}: options rendered with pxfw-cassandra`);
    expect(r.out).toContain(`follow it: pxfw ${h.service} update status`);
    const { yaml, spec } = await h.ops.configShow();
    // The service's own name is rendered in (service.name is this service), and the options are recorded.
    expect(spec).toMatchObject({ name: h.service, pods: { node: { count: 3, env: { MAX_HEAP_SIZE: '3G' } } } });
    expect(recordedOptions(yaml)).toEqual({ package: 'pxfw-cassandra', options: { node: { count: 3, max_heap_size: '3G' }, service: { name: h.service } } });
  });

  it('merges new options over the recorded ones, as Cosmos does (no --package needed the second time)', async () => {
    await cli('update', 'start', '--options', file('a.json', '{"node": {"max_heap_size": "3G"}}'), '--package', 'cassandra', '--replace', '--yes');
    const r = await cli('update', 'start', '--options', file('b.json', '{"node": {"count": 4}}'), '--yes');
    expect(r.code).toBe(0);
    expect(r.out).toContain('options merged over the recorded ones and rendered with pxfw-cassandra');
    expect(await nodeCount(h)).toBe(4);
    const { spec } = await h.ops.configShow();
    expect(spec).toMatchObject({ pods: { node: { env: { MAX_HEAP_SIZE: '3G' } } } });
  });

  it('with no options recorded takes the package defaults as the base (as Cosmos for an install without options) and says so', async () => {
    const opts = file('opts.json', '{"node": {"count": 4}}');
    const r = await cli('update', 'start', '--options', opts, '--package', 'pxfw-cassandra', '--yes');
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain(`${h.service}: no install options are recorded for it`);
    expect(r.out).toContain(`the package defaults of pxfw-cassandra are the base, as for an install without options, and ${opts} goes over them`);
    expect(await nodeCount(h)).toBe(4);
    const { yaml, spec } = await h.ops.configShow();
    // Everything the file leaves out is the package default: the Cassandra heap of the package.
    expect(spec).toMatchObject({ pods: { node: { env: { MAX_HEAP_SIZE: '2G' } } } });
    expect(recordedOptions(yaml)).toEqual({ package: 'pxfw-cassandra', options: { node: { count: 4 }, service: { name: h.service } } });
  });

  it('lists what the rendered spec changes in the running one before it is sent', async () => {
    const running = await renderUpdateSpec({ service: 'cassandra', currentYaml: '', options: {}, packageRef: 'pxfw-cassandra', replace: true, packagesDir: defaultPackagesDir({}) });
    const next = await renderUpdateSpec({ service: 'cassandra', currentYaml: running.yaml, options: { node: { count: 5, max_heap_size: '4G' } }, packageRef: 'pxfw-cassandra', replace: false, packagesDir: defaultPackagesDir({}) });
    expect(next.base).toBe('recorded');
    expect(next.changes).toEqual(['pods.node.count: 3 → 5', 'pods.node.env.MAX_HEAP_SIZE: "2G" → "4G"']);
    expect(updateNotes('cassandra', 'o.json', next)).toEqual([
      'cassandra: options merged over the recorded ones and rendered with pxfw-cassandra',
      'changes: pods.node.count: 3 → 5; pods.node.env.MAX_HEAP_SIZE: "2G" → "4G"',
    ]);
    // From a spec run as a file: the defaults are the base, and the notes say what that changes.
    const fromFile = await renderUpdateSpec({ service: 'cassandra', currentYaml: running.yaml.split('\n').slice(1).join('\n').replace('count: 3', 'count: 6'), options: { node: { max_heap_size: '4G' } }, packageRef: 'pxfw-cassandra', replace: false, packagesDir: defaultPackagesDir({}) });
    expect(fromFile.base).toBe('defaults');
    expect(fromFile.changes).toEqual(['pods.node.count: 6 → 3', 'pods.node.env.MAX_HEAP_SIZE: "2G" → "4G"']);
    expect(specChanges(running.yaml, 'not: [a spec')).toBeNull();
  });

  it('names the option the package refuses, and never renames a service', async () => {
    const bad = await cli('update', 'start', '--options', file('bad.json', '{"node": {"count": "many"}}'), '--package', 'pxfw-cassandra', '--replace', '--yes');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^pxfw: .*node\.count/);
    const rename = await cli('update', 'start', '--options', file('r.json', '{"service": {"name": "other"}}'), '--package', 'pxfw-cassandra', '--replace', '--yes');
    expect(rename.err).toContain(`service.name is 'other' but this is ${h.service}: an update cannot rename a service`);
    expect(h.ops.mutations).toBe(0);
  });

  it('sends a spec YAML as it is; needs --yes (nothing sent without it)', async () => {
    const spec = file('spec.yml', `name: ${h.service}\npods:\n  node:\n    count: 5\n`);
    const refused = await cli('update', 'start', '--options', spec, '--json');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.out).error).toMatchObject({ code: 'CLI_USAGE', message: `add --yes to confirm update start from ${spec} on ${h.service} (this is destructive)` });
    expect(h.ops.mutations).toBe(0);
    const r = await cli('update', 'start', '--options', spec, '--yes', '--wait');
    expect(r.code).toBe(0);
    expect(await nodeCount(h)).toBe(5);
    expect(r.out).toContain('update: 3/3 steps complete, plan COMPLETE');
  });

  it('update status shows the update plan; pause and resume act on it', async () => {
    await cli('update', 'start', '--options', file('s.yml', `name: ${h.service}\npods:\n  node:\n    count: 3\n    cpus: 2\n`), '--yes');
    const paused = await cli('update', 'pause');
    expect(paused.out.split('\n')[0]).toBe('plan update: paused');
    const status = await cli('update', 'status');
    expect(status.out.split('\n')[0]).toBe('plan update: PENDING (paused)');
    const resumed = await cli('update', 'resume', '--json');
    expect(JSON.parse(resumed.out)).toMatchObject({ name: 'update', paused: false });
  });

  it('tells package options from a spec: a JSON object without pods is options; YAML or JSON with pods is a spec', () => {
    expect(classifyUpdateFile('{"node": {"count": 3}}', 'f')).toEqual({ kind: 'options', options: { node: { count: 3 } } });
    expect(classifyUpdateFile('{"name": "c", "pods": {}}', 'f').kind).toBe('spec');
    expect(classifyUpdateFile('name: c\npods:\n  node: {}\n', 'f').kind).toBe('spec');
    expect(() => classifyUpdateFile('- a\n- b\n', 'f.yml')).toThrow(/f\.yml is neither package options/);
    expect(packageOfSpec('# cassandra service spec, rendered from the package install options (source: cassandra.yml)\nname: x')).toBe('pxfw-cassandra');
    expect(recordedOptions(`${OPTIONS_MARKER}{broken\nname: x`)).toBeUndefined();
    expect(parseYaml(`${OPTIONS_MARKER}{}\nname: x`)).toEqual({ name: 'x' });
  });
});
