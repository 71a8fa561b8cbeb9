/**
 * End-to-end figures on the sandbox at real speed (speed 1: Mesos offers every 1 s):
 * - deploy_cassandra_s: the Cassandra spec (3 pods, repl 2) from start to deploy plan complete;
 * - recovery_after_alert_ms: an agent is killed; from the Portworx node-offline alert on NATS to
 *   the pod's new task being launched (ACCEPT) — DESIGN.md's goal is within one offer interval;
 * - recovery_to_running_ms: from the agent kill to the pod running again on a replica holder.
 * Prints one JSON object on stdout.
 *
 *   node --import tsx bench/recovery.bench.ts
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { Sandbox } from '../src/sandbox/sandbox';

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function main(): Promise<void> {
  const name = `bench-${randomUUID().slice(0, 6)}`;
  const yaml = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'deploy', 'frameworks', 'cassandra.yml'), 'utf8')
    .replace(/^name: .*$/m, `name: ${name}`)
    .replace('auto_replace: false', 'auto_replace: true');
  const t0 = Date.now();
  const sb = await Sandbox.start({ specYaml: yaml, speed: 1 });
  await sb.scheduler.waitDeployed(120_000);
  const deploySeconds = (Date.now() - t0) / 1000;

  const nc = await connect({ servers: sb.natsUrl });
  let alertAt = 0;
  const sub = nc.subscribe(`portworx.alerts.${sb.portworx.clusterId}.node`, {
    callback: () => {
      alertAt ||= Date.now();
    },
  });
  const victim = sb.mesos.tasks().find((t) => t.state === 'TASK_RUNNING')!;
  const pod = victim.name;
  const killedAt = Date.now();
  sb.mesos.killAgent(victim.hostname);
  const relaunched = () => sb.mesos.tasks().find((t) => t.name === pod && t.taskId !== victim.taskId);
  await until(() => !!relaunched(), 60_000);
  const launchedAt = Date.now();
  await until(() => relaunched()?.state === 'TASK_RUNNING', 60_000);
  const runningAt = Date.now();
  sub.unsubscribe();
  await nc.close();
  await sb.stop();
  process.stdout.write(
    `${JSON.stringify({
      deploy_cassandra_s: Number(deploySeconds.toFixed(2)),
      recovery_after_alert_ms: alertAt ? launchedAt - alertAt : null,
      recovery_to_running_ms: runningAt - killedAt,
      offer_interval_ms: 1000,
    })}\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${String(err)}\n`);
    process.exit(1);
  },
);
