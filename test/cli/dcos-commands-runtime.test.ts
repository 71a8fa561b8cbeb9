import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import { eventually, frameworkYaml, startSandbox } from '../e2e/helpers';
import { cli, cliJson } from '../e2e/helpers-ops';

interface ConfigList {
  target: string | null;
  configs: { id: string; storedAt: string | null; target: boolean }[];
}

/** The new verbs against the real scheduler (RuntimeOperations) on the sandbox, shipped Cassandra spec. */
describe('dcos-style commands on the real scheduler', () => {
  let sb: Sandbox;
  let name: string;
  let yaml: string;
  beforeAll(async () => {
    ({ yaml, name } = frameworkYaml('cassandra'));
    ({ sandbox: sb } = await startSandbox(yaml, { record: false }));
    await eventually('deploy COMPLETE', async () => (await cli(name, 'plan', 'status')).out.startsWith('plan deploy: COMPLETE'), 90_000);
  }, 120_000);
  afterAll(async () => {
    await sb?.stop();
  });

  it('endpoints NAME: each running pod\'s agent address and its autoip DNS name, by index', async () => {
    const native = await cliJson<{ name: string; addresses: string[]; dns: string[] }>(name, 'endpoints', 'node-native');
    expect(native.dns).toEqual([0, 1, 2].map((i) => `node-${i}.${name}.autoip.dcos.thisdcos.directory:9042`));
    expect(native.addresses).toHaveLength(3);
    expect(native.addresses.every((a) => /^agent-\d+:9042$/.test(a))).toBe(true);
    const list = await cliJson<{ name: string }[]>(name, 'endpoints');
    expect(list.map((e) => e.name)).toEqual(['node-native', 'node-storage', 'node-jmx']);
    expect((await cli(name, 'endpoints', 'native')).err).toBe(`pxfw: 404 UNKNOWN_ENDPOINT: no endpoint 'native' (endpoints: node-native, node-storage, node-jmx)\n`);
  });

  it('config list and show ID: the running spec before any update, then the history with the target last', async () => {
    const before = await cliJson<ConfigList>(name, 'config', 'list');
    expect(before.target).toBeNull();
    expect(before.configs).toHaveLength(1);
    const first = before.configs[0]!.id;
    const shown = await cliJson<{ id: string; yaml: string }>(name, 'config', 'show', first.slice(0, 6));
    expect(shown).toMatchObject({ id: first, yaml });
    const file = join(mkdtempSync(join(tmpdir(), 'pxfw-cfg-')), 'spec.yml');
    writeFileSync(file, yaml.replace(/MAX_HEAP_SIZE: .*/, 'MAX_HEAP_SIZE: 3G'));
    const updated = await cli(name, 'update', 'start', '--options', file, '--yes');
    expect(updated.code).toBe(0);
    const after = await cliJson<ConfigList>(name, 'config', 'list');
    expect(after.configs.map((c) => c.id)[0]).toBe(first);
    expect(after.configs.at(-1)).toMatchObject({ target: true });
    expect(after.target).toBe(after.configs.at(-1)!.id);
    expect((await cli(name, 'config', 'target', '--id')).out.trim()).toBe(after.target);
    await eventually('update COMPLETE', async () => (await cli(name, 'update', 'status')).out.startsWith('plan update: COMPLETE'), 90_000);
  }, 120_000);

  it('a sidecar plan the spec does not declare is a 404; --phase on deploy pauses that phase only', async () => {
    const none = await cli(name, 'plan', 'start', 'compact', '--json');
    expect(JSON.parse(none.out).error).toMatchObject({ code: 'UNKNOWN_PLAN', status: 404 });
    const phase = await cli(name, 'plan', 'pause', 'deploy', '--phase', 'node-deploy', '--json');
    expect(phase.code).toBe(0);
    expect(JSON.parse(phase.out)).toMatchObject({ name: 'deploy', paused: false });
    // A restarted step of a paused phase waits (machines/plan.ts newStepStatus); the plan itself is not paused.
    expect((await cli(name, 'plan', 'restart', 'deploy', 'node-deploy', 'node-0', '--yes')).code).toBe(0);
    const held = await cliJson<{ paused: boolean; phases: { steps: { name: string; status: string }[] }[] }>(name, 'plan', 'status');
    expect(held.paused).toBe(false);
    expect(held.phases[0]!.steps.find((st) => st.name === 'node-0')?.status).toBe('WAITING');
    expect((await cli(name, 'plan', 'resume', 'deploy', '--phase', 'node-deploy')).code).toBe(0);
    await eventually('deploy COMPLETE again', async () => (await cli(name, 'plan', 'status')).out.startsWith('plan deploy: COMPLETE'), 60_000);
    const missing = await cli(name, 'plan', 'pause', 'update', '--phase', 'nope', '--json');
    expect(JSON.parse(missing.out).error).toMatchObject({ code: 'UNKNOWN_PLAN', message: expect.stringContaining("plan update has no phase 'nope'") });
  }, 90_000);

  it('plan start repair -p KEYSPACE=ks runs nodetool repair on each node in turn, with the keyspace exported', async () => {
    const started = await cli(name, 'plan', 'start', 'repair', '-p', 'KEYSPACE=ks');
    expect(started.code).toBe(0);
    await eventually('repair COMPLETE', async () => (await cli(name, 'plan', 'status', 'repair')).out.startsWith('plan repair: COMPLETE'), 60_000);
    const status = (await cli(name, 'plan', 'status', 'repair')).out;
    for (const i of [0, 1, 2]) expect(status).toContain(`node-${i}`);
    // The simulator does not execute commands; it records each nested container it launched in the pod's task.
    const ran = sb.mesos.commands().filter((c) => c.command.includes('repair -pr'));
    expect(ran).toHaveLength(3);
    expect(ran.every((c) => c.state === 'exited' && c.exitStatus === 0 && c.command.startsWith("export KEYSPACE='ks'; nodetool -p $PORT_JMX repair -pr $KEYSPACE"))).toBe(true);
    expect(new Set(ran.map((c) => c.taskId)).size).toBe(3);
    // serial: each node's command starts after the previous one ended
    for (let i = 1; i < ran.length; i++) expect(ran[i]!.at >= ran[i - 1]!.endedAt!).toBe(true);
  }, 90_000);
});
