import { POD_TAGS } from '../../machines/pod-instance.logic';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, type OnTestFinishedHandler } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SimulatedCluster } from '../../src/sandbox/simulated-cluster';
import { SchedulerService } from '../../src/controller/scheduler-service';
import type { PlanView } from '../../src/api/operations';
import { parseSpec, parseTaskId } from '../../src/service-spec';
import { SHARED_NATS_URL } from '../helpers/nats-server';
import { eventually, frameworkYaml } from './helpers';
import { cli, cliJson } from './helpers-ops';

const GiB = 1024 ** 3;

/**
 * `config update` used to assign the new spec in memory only: a scheduler restart brought the old
 * spec back and forgot the rolling restart half done. The update plan and its target spec are in
 * KV (`plans.update`): a scheduler started again with the file it was deployed with adopts the
 * target and resumes the plan where it stopped; nothing done is done twice.
 */
describe('a config update survives a scheduler restart', () => {
  let nc: NatsConnection;
  const dir = mkdtempSync(join(tmpdir(), 'pxfw-config-resume-'));

  beforeAll(async () => {
    nc = await connect({ servers: SHARED_NATS_URL });
  });
  afterAll(async () => {
    await nc.close();
  });

  /**
   * A simulated cluster of the test's own, stopped when the test ends (after its scheduler: the
   * context's onTestFinished hooks run last-registered first). The two tests wait mostly on
   * simulated time, so they run side by side (it.concurrent), each with its own cluster and
   * service name.
   */
  async function ownCluster(onTestFinished: (fn: OnTestFinishedHandler) => void): Promise<SimulatedCluster> {
    const cluster = await SimulatedCluster.start({ agents: 6, racks: 3, speed: 10, nc });
    onTestFinished(() => cluster.stop());
    return cluster;
  }

  it.concurrent('after a completed update, a scheduler restarted with its original spec file keeps the new spec', async ({ onTestFinished }) => {
    const cluster = await ownCluster(onTestFinished);
    let scheduler: SchedulerService | undefined;
    onTestFinished(async () => {
      await scheduler?.stop();
    });
    const { yaml, name } = frameworkYaml('cassandra');
    const start = () =>
      SchedulerService.start({
        spec: parseSpec(yaml),
        specYaml: yaml,
        mesosUrl: cluster.mesos.url,
        portworxUrl: cluster.portworx.url,
        portworxLegacyUrl: cluster.portworx.url,
        nc,
        instanceId: `config-keep-${Date.now()}`,
        agentUrl: (id) => cluster.mesos.agentUrl(id),
        speed: 10,
      });
    scheduler = await start();
    await scheduler.waitDeployed(60_000);
    const file = join(dir, 'keep.yml');
    writeFileSync(file, yaml.replace('MAX_HEAP_SIZE: 2G', 'MAX_HEAP_SIZE: 5G'));
    expect((await cli(name, 'config', 'update', file, '--yes')).code).toBe(0);
    const mine = (t: { taskId: string }) => t.taskId.startsWith(`${name}__`);
    await eventually('every pod restarted', () => cluster.mesos.tasks().filter((t) => mine(t) && t.state === 'TASK_RUNNING' && parseTaskId(t.taskId)?.attempt === 2).length === 3, 60_000);
    await scheduler.stop();
    scheduler = await start();
    await eventually('scheduler answering', async () => (await cli(name, 'config', 'show')).code === 0, 30_000);
    expect((await cli(name, 'config', 'show')).out).toMatch(/^\s+MAX_HEAP_SIZE: 5G$/m);
    await scheduler.stop();
    scheduler = undefined;
  });

  it.concurrent('resumes the update plan after a restart with the original spec file: target kept, each pod restarted once', { timeout: 180_000 }, async ({ onTestFinished }) => {
    const cluster = await ownCluster(onTestFinished);
    let scheduler: SchedulerService | undefined;
    onTestFinished(async () => {
      await scheduler?.stop();
    });
    const { yaml, name } = frameworkYaml('cassandra');
    const start = () =>
      SchedulerService.start({
        // What Marathon would run again: the spec the service was deployed with.
        spec: parseSpec(yaml),
        specYaml: yaml,
        mesosUrl: cluster.mesos.url,
        portworxUrl: cluster.portworx.url,
        portworxLegacyUrl: cluster.portworx.url,
        nc,
        instanceId: `config-resume-${Date.now()}`,
        agentUrl: (id) => cluster.mesos.agentUrl(id),
        speed: 10,
      });
    scheduler = await start();
    await scheduler.waitDeployed(60_000);
    const target = yaml.replace('MAX_HEAP_SIZE: 2G', 'MAX_HEAP_SIZE: 3G').replace('size: 20Gi', 'size: 30Gi');
    const file = join(dir, 'target.yml');
    writeFileSync(file, target);
    const r = await cli(name, 'config', 'update', file, '--yes');
    expect(r.code, r.err).toBe(0);
    // Stop the plan after its first restart, then take the scheduler away.
    await eventually('node-0 restarted', async () => {
      const p = await cliJson<PlanView>(name, 'plan', 'status', 'update');
      return p.phases.find((ph) => ph.name === 'restart')?.steps.find((s) => s.name === 'node-0')?.status === 'COMPLETE';
    }, 30_000);
    await cli(name, 'plan', 'pause', 'update');
    await new Promise((res) => setTimeout(res, 300));
    await scheduler.stop();

    scheduler = await start();
    await eventually('scheduler answering', async () => (await cli(name, 'config', 'show')).code === 0, 30_000);
    // The target configuration, not the file the scheduler was started with.
    expect((await cli(name, 'config', 'show')).out).toMatch(/^\s+MAX_HEAP_SIZE: 3G$/m);
    const paused = await cliJson<PlanView>(name, 'plan', 'status', 'update');
    expect(paused.paused).toBe(true);
    expect(paused.phases.find((p) => p.name === 'volumes')?.status).toBe('COMPLETE');
    expect(paused.phases.find((p) => p.name === 'restart')?.steps.find((s) => s.name === 'node-0')?.status).toBe('COMPLETE');

    expect((await cli(name, 'plan', 'resume', 'update')).code).toBe(0);
    let last: PlanView | undefined;
    await eventually('update plan complete', async () => (last = await cliJson<PlanView>(name, 'plan', 'status', 'update')).status === 'COMPLETE', 60_000).catch((err: Error) => {
      throw new Error(`${err.message}; last plan: ${JSON.stringify(last)}; pods: ${scheduler!.runtime.registry.all().map((e) => `${e.name}=${e.state}`).join(', ')}`);
    });
    await eventually('three pods running', () => scheduler!.runtime.registry.all().every((e) => e.actor.getSnapshot().hasTag(POD_TAGS.ready)) && cluster.mesos.tasks().filter((t) => t.state === 'TASK_RUNNING' && t.taskId.startsWith(`${name}__`)).length === 3, 30_000);
    // Each pod runs its second attempt (the first, then the restart): node-0 was not restarted again.
    const attempts = Object.fromEntries(
      cluster.mesos
        .tasks()
        .filter((t) => t.state === 'TASK_RUNNING' && t.taskId.startsWith(`${name}__`))
        .map((t) => [t.taskId.split('__')[1], parseTaskId(t.taskId)?.attempt]),
    );
    expect(attempts).toEqual({ 'node-0': 2, 'node-1': 2, 'node-2': 2 });
    const volumes = cluster.portworx.volumes().filter((v) => v.labels['pxfw/service'] === name);
    expect(volumes.map((v) => v.size)).toEqual([30 * GiB, 30 * GiB, 30 * GiB]);

    // A second restart after the plan completed: the target stays, nothing restarts.
    const ours = () => cluster.mesos.tasks().filter((t) => t.state === 'TASK_RUNNING' && t.taskId.startsWith(`${name}__`));
    const running = ours().map((t) => t.taskId).sort();
    await scheduler.stop();
    scheduler = await start();
    await eventually('scheduler answering', async () => (await cli(name, 'config', 'show')).code === 0, 30_000);
    expect((await cli(name, 'config', 'show')).out).toMatch(/^\s+size: 30Gi$/m);
    await eventually('pods running', () => scheduler!.runtime.registry.all().length === 3 && scheduler!.runtime.registry.all().every((e) => e.actor.getSnapshot().hasTag(POD_TAGS.ready)), 30_000);
    await new Promise((res) => setTimeout(res, 500));
    expect(ours().map((t) => t.taskId).sort()).toEqual(running);
  });
});
