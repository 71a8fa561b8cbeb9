import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import { expectConformantRecordings } from '../conformance/recordings';
import { readJsonLines } from '../conformance/jsonl';
import { join } from 'node:path';
import { frameworkYaml, placementFacts, startSandbox } from './helpers';

describe('a Cassandra-like service deploys hyper-converged and spread across racks', () => {
  let sb: Sandbox;
  let record: string | undefined;
  let name: string;

  beforeAll(async () => {
    const spec = frameworkYaml('cassandra');
    name = spec.name;
    ({ sandbox: sb, record } = await startSandbox(spec.yaml));
    await sb.scheduler.waitDeployed(60_000);
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('runs one pod per rack', () => {
    const { agents, running } = placementFacts(sb);
    expect(running).toHaveLength(3);
    const racks = running.map((t) => agents.get(t.hostname)!.rack);
    expect(new Set(racks).size).toBe(3);
  });

  it('puts every pod on a host holding a replica of its volume', () => {
    const { running, volumes } = placementFacts(sb);
    for (const t of running) {
      const vol = volumes.find((v) => t.volumes.some((tv) => tv.name === v.name));
      expect(vol, `volume of ${t.taskId}`).toBeDefined();
      expect(vol!.replicaHosts).toContain(t.hostname);
      expect(vol!.attachedOn).toEqual([expect.stringMatching(/.+/)]);
    }
  });

  it("creates one volume per pod with both replicas in the pod's zone, on two hosts (where the pod could run if its host died)", () => {
    const { agents, running, volumes } = placementFacts(sb);
    expect(volumes.map((v) => v.name).sort()).toEqual([0, 1, 2].map((i) => `${name}-node-${i}-data`));
    for (const v of volumes) {
      expect(v.haLevel).toBe(2);
      expect(new Set(v.replicaHosts).size, v.name).toBe(2);
      const podHost = running.find((t) => t.volumes.some((tv) => tv.name === v.name))!.hostname;
      const podZone = agents.get(podHost)!.zone;
      expect(v.replicaHosts.map((h) => agents.get(h)!.zone), v.name).toEqual([podZone, podZone]);
    }
  });

  it('leaves every pod a failover target: another replica holder that runs no pod', () => {
    const { running, volumes } = placementFacts(sb);
    const busy = new Set(running.map((t) => t.hostname));
    for (const v of volumes) {
      const podHost = running.find((t) => t.volumes.some((tv) => tv.name === v.name))!.hostname;
      expect(v.replicaHosts.filter((h) => h !== podHost && !busy.has(h)), v.name).toHaveLength(1);
    }
  });

  it('launches TaskInfos with the health check, the readiness check and the discovery environment (issue 13, recorded on the wire)', () => {
    type Env = { variables?: { name: string; value?: string }[] };
    type Task = { name: string; command?: { value?: string; environment?: Env }; health_check?: { type: string }; check?: { type: string } };
    type Call = { type?: string; accept?: { operations?: { type: string; launch_group?: { task_group: { tasks: Task[] } } }[] } };
    const tasks = readJsonLines(join(record!, 'mesos.jsonl'))
      .flatMap((l) => ('value' in l ? [l.value as { dir: string; body: Call }] : []))
      .filter((r) => r.dir === 'call' && r.body.type === 'ACCEPT')
      .flatMap((r) => r.body.accept?.operations ?? [])
      .flatMap((op) => op.launch_group?.task_group.tasks ?? []);
    expect(tasks.map((t) => t.name).sort()).toEqual(['node-0', 'node-1', 'node-2']);
    for (const t of tasks) {
      expect(t.health_check?.type, t.name).toMatch(/^(COMMAND|HTTP|TCP)$/);
      expect(t.check?.type, t.name).toMatch(/^(COMMAND|HTTP|TCP)$/);
      const env = new Map((t.command?.environment?.variables ?? []).map((v) => [v.name, v.value]));
      expect(env.get('TASK_NAME'), t.name).toBe(t.name);
      expect(env.get('FRAMEWORK_NAME'), t.name).toBe(name);
      expect(env.get('POD_INSTANCE_INDEX'), t.name).toBe(t.name.replace('node-', ''));
      expect(env.get('TASK_HOST'), t.name).toBe(`${t.name}.${name}.autoip.dcos.thisdcos.directory`);
      // The seeds are the first two nodes by their stable DNS names, rendered into the command.
      expect(t.command?.value, t.name).toContain(`node-0.${name}.autoip.dcos.thisdcos.directory,node-1.${name}.autoip.dcos.thisdcos.directory`);
    }
  });

  it('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record!, { require: ['mesos', 'portworx'] });
  });
});
