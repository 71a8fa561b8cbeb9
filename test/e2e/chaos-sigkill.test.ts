import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SimulatedCluster } from '../../src/sandbox/simulated-cluster';
import { callCommand } from '../../src/api/client';
import type { PlanView } from '../../src/api/operations';
import { parseJson } from '../../src/util/lossless-json';
import { SHARED_NATS_URL } from '../helpers/nats-server';
import { expectConformantRecordings } from '../conformance/recordings';
import { eventually, frameworkYaml } from './helpers';

const SPEED = 10;
const BIN = join(__dirname, '..', '..', 'bin', 'pxfw.mjs');

/** The scheduler as its own process (what Marathon runs), so it can be SIGKILLed. */
function startScheduler(specFile: string, cluster: SimulatedCluster, record: string, instance: string): ChildProcess {
  return spawn(
    process.execPath,
    [BIN, 'run', '--spec', specFile, '--mesos', cluster.mesos.url, '--portworx', cluster.portworx.url, '--portworx-legacy', cluster.portworx.url, '--nats', SHARED_NATS_URL, '--http', '0', '--record', record],
    { env: { ...process.env, PXFW_TIME_SCALE: String(SPEED), PXFW_LOG_LEVEL: 'warn', MESOS_TASK_ID: instance }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

async function sigkill(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    p.once('exit', () => resolve());
    p.kill('SIGKILL');
  });
}

function launchedTaskIds(record: string): string[] {
  const file = join(record, 'mesos.jsonl');
  if (!existsSync(file)) return [];
  const ids: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const rec = parseJson(line) as { api: string; dir: string; body: { type?: string; accept?: { operations?: { type: string; launch_group?: { task_group: { tasks: { task_id: { value: string } }[] } } }[] } } };
    if (rec.api !== 'scheduler' || rec.dir !== 'call' || rec.body.type !== 'ACCEPT') continue;
    for (const op of rec.body.accept?.operations ?? []) for (const t of op.launch_group?.task_group.tasks ?? []) ids.push(t.task_id.value);
  }
  return ids;
}

describe('a scheduler SIGKILLed at random points resumes to the same end state', () => {
  let nc: NatsConnection;
  beforeAll(async () => {
    nc = await connect({ servers: SHARED_NATS_URL });
  });
  afterAll(async () => {
    await nc.close();
  });

  async function scenario(killDelaysMs: number[], recovery: boolean): Promise<void> {
    // The shipped spec, unchanged: automatic replacement after a 10 s probation.
    const { yaml, name } = frameworkYaml('cassandra');
    const dir = mkdtempSync(join(tmpdir(), 'pxfw-chaos-'));
    const specFile = join(dir, 'spec.yml');
    writeFileSync(specFile, yaml);
    const record = join(dir, 'rec');
    const cluster = await SimulatedCluster.start({ agents: 6, racks: 3, speed: SPEED, nc });
    let proc: ChildProcess | undefined;
    // A task on a crashed host died with it, whatever the master still believes.
    const deadAgents = () => new Set(cluster.mesos.agents().filter((a) => a.hostDown).map((a) => a.id));
    const liveTasks = () => {
      const dead = deadAgents();
      return cluster.mesos.tasks().filter((t) => t.frameworkId && !dead.has(t.agentId) && !/FINISHED|FAILED|KILLED|ERROR|LOST|DROPPED|GONE|UNKNOWN/.test(t.state));
    };
    const invariantViolations: string[] = [];
    const watch = setInterval(() => {
      const perPod = new Map<string, number>();
      for (const t of liveTasks()) perPod.set(t.name, (perPod.get(t.name) ?? 0) + 1);
      for (const [pod, n] of perPod) if (n > 1) invariantViolations.push(`${n} live tasks for ${pod}`);
      for (const v of cluster.portworx.volumes()) if (v.attachedOn.length > 1) invariantViolations.push(`${v.name} attached on ${v.attachedOn.join(', ')}`);
    }, 20);
    try {
      let n = 0;
      const run = () => (proc = startScheduler(specFile, cluster, record, `chaos-${n++}`));
      run();
      if (recovery) {
        await eventually('deploy', async () => (await callCommand<PlanView>(nc, name, 'plan.status', { plan: 'deploy' }).catch(() => undefined))?.status === 'COMPLETE', 60_000);
        const victim = cluster.mesos.tasks().find((t) => t.state === 'TASK_RUNNING')!;
        // The host dies silently: Portworx notices after its detect delay, Mesos only after 75 s.
        cluster.mesos.crashAgent(victim.hostname);
      }
      for (const delay of killDelaysMs) {
        await new Promise((r) => setTimeout(r, delay));
        await sigkill(proc!);
        run();
      }
      await eventually(
        'three running pods on live agents',
        async () => {
          const plan = await callCommand<PlanView>(nc, name, 'plan.status', { plan: 'deploy' }).catch(() => undefined);
          return plan?.status === 'COMPLETE' && liveTasks().filter((t) => t.state === 'TASK_RUNNING').length === 3;
        },
        90_000,
      );
      const volumes = cluster.portworx.volumes().filter((v) => !v.parentId);
      expect(volumes.map((v) => v.name).sort()).toEqual([0, 1, 2].map((i) => `${name}-node-${i}-data`));
      const live = liveTasks();
      expect(new Set(live.map((t) => t.name)).size).toBe(live.length);
      const launched = launchedTaskIds(record);
      expect(new Set(launched).size, `launches: ${launched.join(', ')}`).toBe(launched.length);
      expect(invariantViolations).toEqual([]);
      expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
    } finally {
      clearInterval(watch);
      if (proc) await sigkill(proc);
      await callCommand(nc, name, 'uninstall', {}).catch(() => undefined);
      await cluster.stop();
    }
  }

  // Each scenario has its own cluster, service name and scheduler processes, and waits mostly on
  // simulated time: the two run side by side.
  it.concurrent('during deploy', async () => {
    const delays = fc.sample(fc.array(fc.integer({ min: 150, max: 1500 }), { minLength: 3, maxLength: 3 }), { numRuns: 1, seed: Number(process.env.PXFW_CHAOS_SEED ?? Date.now() % 1e6) })[0]!;
    await scenario(delays, false);
  }, 180_000);

  it.concurrent('during recovery after a host crashed', async () => {
    const delays = fc.sample(fc.array(fc.integer({ min: 100, max: 1200 }), { minLength: 3, maxLength: 3 }), { numRuns: 1, seed: Number(process.env.PXFW_CHAOS_SEED ?? (Date.now() + 7) % 1e6) })[0]!;
    await scenario(delays, true);
  }, 180_000);
});
