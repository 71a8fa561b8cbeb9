/**
 * Placement decisions per second through the real offer handler (handleOffers) at 2,000 agents and
 * 1,000 pending pods (bench/lib/offer-rig.ts): one round of 2,000 offers places every pod, with
 * `debug offers` memory kept as the scheduler keeps it. Then the big round: 2,000 agents and
 * 10,000 pending pods (BENCH_BIG_PENDING_PODS, 0 skips it): one round of 2,000 offers places 2,000
 * pods and judges the other 8,000 (no offer left for them), in slices. Prints
 * `{"offer_handler": {...}}` with the decisions/s (pods judged per second of the round), the pods
 * placed, the longest event-loop stall (perf_hooks) and the longest slice the round ran without
 * letting the loop turn (what the handler itself measured). `decisions_per_main_cpu_s` counts the
 * main thread's CPU only (Linux schedstat): a cold round's process CPU is about half V8's
 * background compiling. `warm_round`: the same 1,000-pod round again in the same process, code
 * warm, on a fresh rig (BENCH_WARM_ROUND=0 skips it): the steady state of a scheduler that runs.
 *
 *   node --import tsx bench/offer-handler.bench.ts
 */
import { readFileSync } from 'node:fs';
import { handleOffers, type RoundReport } from '../src/controller/offer-handler';
import { withStallMonitor } from './lib/limits';
import { AGENTS, PODS, offerOf, offerRig } from './lib/offer-rig';

const BIG_PODS = Number(process.env.BENCH_BIG_PENDING_PODS ?? 10_000);
const WARM_ROUND = process.env.BENCH_WARM_ROUND !== '0';

/** CPU ns the main thread has used (Linux), or undefined elsewhere. */
function mainThreadNs(): number | undefined {
  try {
    return Number(readFileSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}

interface RoundFigures {
  decisions_per_s: number;
  decisions_per_cpu_s: number;
  decisions_per_main_cpu_s?: number;
  placed: number;
  agents: number;
  pending_pods: number;
  max_stall_ms: number;
  longest_slice_ms: number;
  slices: number;
  debug_offers_lines: number;
}

async function round(agents: number, pods: number): Promise<RoundFigures> {
  const rig = await offerRig({ agents, pods });
  const offers = Array.from({ length: agents }, (_, i) => offerOf(i, 0));
  // The monitor records a delay only between two of its own ticks: one tick before the round,
  // or a round that never lets the loop turn would not show at all.
  const { value: run, maxStallMs } = await withStallMonitor(async () => {
    await new Promise((r) => setTimeout(r, 5));
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const main = mainThreadNs();
    const report: RoundReport = await handleOffers(rig.deps, offers);
    const mainEnd = mainThreadNs();
    const mainSeconds = main === undefined || mainEnd === undefined ? undefined : (mainEnd - main) / 1e9;
    return { report, seconds: Number(process.hrtime.bigint() - started) / 1e9, used: process.cpuUsage(cpu), mainSeconds };
  });
  const { report, seconds, used, mainSeconds } = run;
  const placed = rig.accepts();
  // `debug offers` for the last pod judged: explained only now (lazily), from what held then.
  const explained = rig.deps.memory.explain(rig.deps.memory.pods().at(-1) ?? 'node-0');
  const cpuSeconds = (used.user + used.system) / 1e6;
  process.stderr.write(
    `offer handler: ${placed} of ${pods} pods placed from ${agents} offers in ${seconds.toFixed(2)} s (cpu ${cpuSeconds.toFixed(2)} s) in ${report.slices} slices, ` +
      `longest ${report.longestSliceMs.toFixed(1)} ms; longest stall ${maxStallMs} ms; debug offers for the last pod judged: ${explained.length} lines (${explained[0]})\n`,
  );
  rig.registry.stopAll();
  // Per CPU second too: on a shared machine wall time includes other processes' turns.
  // A decision is a pod placed: a round launches at most MAX_LAUNCHES_PER_ROUND, so of 10,000
  // waiting pods the big round decides 1,000 (every pod of these rigs fits somewhere).
  return {
    decisions_per_s: Math.round(placed / seconds),
    decisions_per_cpu_s: Math.round(placed / cpuSeconds),
    ...(mainSeconds ? { decisions_per_main_cpu_s: Math.round(placed / mainSeconds) } : {}),
    placed,
    agents,
    pending_pods: pods,
    max_stall_ms: maxStallMs,
    longest_slice_ms: Math.round(report.longestSliceMs),
    slices: report.slices,
    debug_offers_lines: explained.length,
  };
}

async function main(): Promise<void> {
  const figures: RoundFigures & { warm_round?: RoundFigures; big_round?: RoundFigures } = await round(AGENTS, PODS);
  if (WARM_ROUND) {
    (globalThis as { gc?: () => void }).gc?.();
    figures.warm_round = await round(AGENTS, PODS);
  }
  if (BIG_PODS > 0) {
    (globalThis as { gc?: () => void }).gc?.();
    figures.big_round = await round(AGENTS, BIG_PODS);
  }
  process.stdout.write(`${JSON.stringify({ offer_handler: figures })}\n`);
  process.exit(0);
}

await main();
