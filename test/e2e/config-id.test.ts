import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import type { PlanView } from '../../src/api/operations';
import { configId } from '../../src/controller/config-update-plan';
import { eventually, frameworkYaml, startSandbox } from './helpers';
import { cli, cliJson, runningTasks } from './helpers-ops';

interface ConfigShowJson {
  yaml: string;
  target: string;
  previous: string | null;
  pods: { name: string; configId: string | null }[];
}

/**
 * A configuration's id is a hash of the spec, not of the file: editing a comment or the layout is
 * no change (same target, nothing restarts, every pod still on the target); a value is.
 */
describe('config id: the canonical spec, not the YAML text', () => {
  let sb: Sandbox;
  let name: string;
  let yaml: string;
  const dir = mkdtempSync(join(tmpdir(), 'pxfw-config-id-'));

  beforeAll(async () => {
    ({ yaml, name } = frameworkYaml('cassandra'));
    ({ sandbox: sb } = await startSandbox(yaml, { agents: 6, racks: 3, record: false }));
    await sb.scheduler.waitDeployed(60_000);
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('a comment-only edit is no change; a real change gets a new id', { timeout: 120_000 }, async () => {
    const original = configId(yaml);
    const tasks = runningTasks(sb).map((t) => t.taskId).sort();
    expect(tasks).toHaveLength(3);

    // Comments and blank lines outside any block scalar (inside one they would be content).
    const commented = `# edited by the operator: comments only\n\n${yaml.replace(/^(name: .*)$/m, '$1   # the service name').replace(/^pods:$/m, '\n# the pod types\npods:')}`;
    expect(commented).toMatch(/^# the pod types$/m);
    const file = join(dir, 'commented.yml');
    writeFileSync(file, commented);
    const same = await cli(name, 'config', 'update', file, '--yes');
    expect(same.code, same.err).toBe(0);
    expect(same.out).toMatch(new RegExp(`configuration ${original}: nothing to apply`));
    const shown = await cliJson<ConfigShowJson>(name, 'config', 'show');
    expect(shown).toMatchObject({ target: original, previous: null });
    expect(shown.pods.map((p) => p.configId)).toEqual([original, original, original]);
    expect((await cli(name, 'config', 'show')).out).not.toMatch(/not yet on the target/);
    expect((await cliJson<PlanView>(name, 'plan', 'status', 'update')).status).toBe('COMPLETE');
    await new Promise((r) => setTimeout(r, 500));
    expect(runningTasks(sb).map((t) => t.taskId).sort()).toEqual(tasks);

    const updated = join(dir, 'updated.yml');
    writeFileSync(updated, commented.replace('MAX_HEAP_SIZE: 2G', 'MAX_HEAP_SIZE: 3G'));
    const changed = await cli(name, 'config', 'update', updated, '--yes');
    expect(changed.code, changed.err).toBe(0);
    const next = configId(yaml.replace('MAX_HEAP_SIZE: 2G', 'MAX_HEAP_SIZE: 3G'));
    expect(next).not.toBe(original);
    expect(changed.out).toMatch(new RegExp(`configuration ${next}: rolling restart of 3 pods`));
    await eventually('update plan complete', async () => (await cliJson<PlanView>(name, 'plan', 'status', 'update')).status === 'COMPLETE', 60_000);
    const after = await cliJson<ConfigShowJson>(name, 'config', 'show');
    expect(after).toMatchObject({ target: next, previous: original });
    expect(after.pods.map((p) => p.configId)).toEqual([next, next, next]);
  });
});
