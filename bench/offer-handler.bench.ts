/**
 * Placement decisions per second through the real offer handler (handleOffers) at 2,000 agents and
 * 1,000 pending pods (bench/lib/offer-rig.ts): one round of 2,000 offers places every pod, with
 * `debug offers` memory kept as the scheduler keeps it. Prints `{"offer_handler": {...}}` with the
 * decisions/s, the pods placed and the longest event-loop stall during the round.
 *
 *   node --import tsx bench/offer-handler.bench.ts
 */
import { handleOffers } from '../src/controller/offer-handler';
import { withStallMonitor } from './lib/limits';
import { AGENTS, PODS, offerOf, offerRig } from './lib/offer-rig';

async function main(): Promise<void> {
  const rig = await offerRig();
  const offers = Array.from({ length: AGENTS }, (_, i) => offerOf(i, 0));
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const { maxStallMs } = await withStallMonitor(() => handleOffers(rig.deps, offers));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const placed = rig.accepts();
  const explained = rig.deps.memory.explain('node-0').length;
  process.stderr.write(
    `offer handler: ${placed} of ${PODS} pods placed from ${AGENTS} offers in ${seconds.toFixed(2)} s (cpu ${((used.user + used.system) / 1e6).toFixed(2)} s); ` +
      `debug offers for node-0: ${explained} lines; longest stall ${maxStallMs} ms\n`,
  );
  const cpuSeconds = (used.user + used.system) / 1e6;
  // Per CPU second too: on a shared machine wall time includes other processes' turns.
  const figures = { decisions_per_s: Math.round(PODS / seconds), decisions_per_cpu_s: Math.round(PODS / cpuSeconds), placed, agents: AGENTS, pending_pods: PODS, max_stall_ms: maxStallMs };
  process.stdout.write(`${JSON.stringify({ offer_handler: figures })}\n`);
  rig.registry.stopAll();
  process.exit(0);
}

await main();
