import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import { expectConformantRecordings } from '../conformance/recordings';
import { eventually, frameworkYaml, startSandbox } from './helpers';
import { patchSpec, podTasks, recordedLaunches, runCli } from './helpers-recovery';

/**
 * A deterministic "holders are full" cluster. Four agents of 8 cpus; three `load` pods of 5 cpus
 * take three of them (3 cpus left each). A Cassandra `node` of 5 cpus with hard convergence is
 * scaled up only while the fourth agent's Portworx node is down, so both replicas of its new
 * volume land on loaded agents. With the fourth agent's storage back, that agent could run the
 * node but holds no replica: hard convergence must leave the pod waiting, and say why.
 */
function spec() {
  return frameworkYaml(
    'cassandra',
    patchSpec((doc) => {
      const node = doc.pods.node!;
      node.count = 0;
      node.cpus = 5;
      node.mem = 1024;
      node.ports = [];
      // No ports, so no TCP check on one (this spec is about placement; its pods never launch).
      delete node.health_check;
      delete node.readiness_check;
      node.placement = [['hostname', 'UNIQUE']];
      doc.pods.load = { count: 3, cpus: 5, mem: 1024, command: 'sleep infinity', placement: [['hostname', 'UNIQUE']] };
      doc.plans = {
        deploy: {
          strategy: 'serial',
          phases: [
            { name: 'load-deploy', pod: 'load', strategy: 'parallel' },
            { name: 'node-deploy', pod: 'node', strategy: 'serial' },
          ],
        },
      };
      doc.convergence = { mode: 'hard', max_wait: 10 };
    }),
  );
}

describe('hard convergence: a pod whose replica holders are full waits, and debug offers says why', () => {
  let sb: Sandbox;
  let record: string;
  let name: string;
  let free: string;
  let holders: string[];
  let waitedMs: number;

  beforeAll(async () => {
    const s = spec();
    name = s.name;
    const started = await startSandbox(s.yaml, { agents: 4, racks: 2 });
    sb = started.sandbox;
    record = started.record!;
    await sb.scheduler.waitDeployed(60_000);
    const busy = new Set(sb.mesos.tasks().filter((t) => t.state === 'TASK_RUNNING').map((t) => t.hostname));
    free = sb.mesos.agents().find((a) => !busy.has(a.hostname))!.hostname;

    const cluster = sb.scheduler.runtime.cluster;
    sb.portworx.nodeDown(free);
    await eventually('the scheduler to see the free agent\'s storage down', () => cluster.storageNode(free)?.health === 'down', 10_000);
    await sb.scheduler.operations.scale('node', 1);
    const volume = await eventually('the node volume', () => sb.portworx.volumes().find((v) => v.name === `${name}-node-0-data`), 10_000);
    holders = volume.replicaHosts;
    sb.portworx.nodeUp(free);
    await eventually('the scheduler to see the free agent\'s storage up', () => cluster.storageNode(free)?.health === 'up', 10_000);

    // Wait past the soft-convergence wait (max_wait 10 s simulated = 1 s here) and a few offer rounds.
    const since = Date.now();
    await eventually('an offer round that judged the free agent', async () => {
      const [view] = await sb.scheduler.operations.debugOffers('node-0');
      return Date.now() - since > 2_000 && view?.lines.some((l) => l.startsWith(`${free} `));
    }, 15_000);
    waitedMs = Date.now() - since;
  });

  afterAll(async () => {
    await sb?.stop();
  });

  it('puts both replicas of the new volume on loaded agents, not on the free one', () => {
    expect(holders).toHaveLength(2);
    expect(holders).not.toContain(free);
  });

  it('leaves the pod waiting in volume-provisioned without launching it', () => {
    const entry = sb.scheduler.runtime.registry.get('node-0')!;
    expect(entry.actor.getSnapshot().matches({ 'volume-provisioned': 'awaiting-holder' })).toBe(true);
    expect(waitedMs).toBeGreaterThan(sb.scheduler.runtime.registry.inputFor('node', 0).convergence.maxWaitMs);
    expect(podTasks(sb, name, 'node-0')).toEqual([]);
    expect(recordedLaunches(record, `${name}__node-0__`)).toEqual([]);
  });

  it('explains through the command service: holders lack resources, the free agent is no replica holder', async () => {
    const [view] = await sb.scheduler.operations.debugOffers('node-0');
    const lines = view!.lines;
    for (const h of holders) {
      expect(lines.some((l) => l.startsWith(`${h} `) && /FAIL resources: not enough cpus/.test(l)), `${h}: ${lines.join('\n')}`).toBe(true);
    }
    expect(lines.some((l) => l.startsWith(`${free} `) && /FAIL volume-locality: not a replica holder .*hard convergence/.test(l)), lines.join('\n')).toBe(true);
  });

  it('gives the same explanation through `pxfw <service> debug offers node-0`', async () => {
    const r = await runCli(name, 'debug', 'offers', 'node-0');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    for (const h of holders) expect(r.out).toMatch(new RegExp(`${h} .*FAIL resources: not enough cpus`));
    expect(r.out).toMatch(new RegExp(`${free} .*FAIL volume-locality: not a replica holder .*hard convergence`));
  });

  it('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});
