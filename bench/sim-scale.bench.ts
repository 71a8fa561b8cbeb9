/**
 * The Mesos simulator at the size pxfw must handle: 2,000 agents, 10,000 tasks (5 per agent in
 * one task group each), driven by pxfw's own MesosSchedulerClient. Figures: time to the first
 * OFFERS event, ACCEPT throughput, time until every task is RUNNING, GET_TASKS latency.
 *
 *   node --import tsx bench/sim-scale.bench.ts
 */
import { MesosSimulator } from '../src/sim/mesos';
import { MesosOperatorClient, MesosSchedulerClient, launchGroupOperation, type Offer } from '../src/mesos';

const AGENTS = Number(process.env.BENCH_AGENTS ?? 2_000);
const TASKS_PER_AGENT = 5;

async function main(): Promise<void> {
  const sim = await MesosSimulator.start({ agents: AGENTS, racks: 40, statusRetrySeconds: 600 });
  const client = new MesosSchedulerClient({ master: sim.url, framework: { name: 'bench', roles: ['bench'] } });
  const offers: Offer[] = [];
  let running = 0;
  let retries = 0;
  let ackFailures = 0;
  const t0 = Date.now();
  let firstOffersMs = 0;
  client.onEvent((ev) => {
    if (ev.type === 'OFFERS' && offers.length === 0) {
      offers.push(...(ev.offers.offers ?? []));
      firstOffersMs = Date.now() - t0;
    }
    if (ev.type === 'UPDATE') {
      if (ev.update.status.state === 'TASK_STARTING' || ev.update.status.state === 'TASK_RUNNING') client.acknowledge(ev.update.status).catch(() => ackFailures++);
      if (ev.update.status.state === 'TASK_RUNNING') running++;
    }
  });
  client.start();
  while (offers.length < AGENTS) await new Promise((r) => setTimeout(r, 10));
  const t1 = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < offers.length) {
        const offer = offers[next++]!;
        const tasks = Array.from({ length: TASKS_PER_AGENT }, (_, i) => ({
          taskId: `${offer.hostname}-t${i}`,
          name: `t${i}`,
          cpus: 0.5,
          mem: 512,
          command: 'sleep 3600',
          volumes: [],
        }));
        const op = launchGroupOperation({ offer, executorId: `e-${offer.hostname}`, frameworkId: client.frameworkId!, role: 'bench', tasks });
        // The simulator shares this process: under load a kept-alive socket may be reset; retry
        // once only on a connection error (the master never saw the call then).
        await client.accept([offer.id.value], [op]).catch(async (err: { code?: string }) => {
          if (err.code !== 'MESOS_CONNECTION') throw err;
          retries++;
          await client.accept([offer.id.value], [op]);
        });
      }
    }),
  );
  const acceptMs = Date.now() - t1;
  const total = AGENTS * TASKS_PER_AGENT;
  while (running < total) await new Promise((r) => setTimeout(r, 20));
  const allRunningMs = Date.now() - t1;
  const t2 = Date.now();
  const tasks = await new MesosOperatorClient({ master: sim.url }).getTasks();
  const getTasksMs = Date.now() - t2;
  await client.stop();
  await sim.stop();
  process.stdout.write(
    `${JSON.stringify({
      sim_agents: AGENTS,
      sim_tasks: tasks.tasks.length,
      sim_first_offers_ms: firstOffersMs,
      sim_accepts_per_s: Math.round((AGENTS / acceptMs) * 1000),
      sim_all_running_ms: allRunningMs,
      sim_get_tasks_ms: getTasksMs,
      sim_accept_retries: retries,
      sim_ack_failures: ackFailures,
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
