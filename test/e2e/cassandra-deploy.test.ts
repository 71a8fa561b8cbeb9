import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import { expectConformantRecordings } from '../conformance/recordings';
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

  it('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record!, { require: ['mesos', 'portworx'] });
  });
});
