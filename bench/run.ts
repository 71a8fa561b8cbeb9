/**
 * `npm run bench`: runs each benchmark in its own process (so one's garbage does not slow the
 * next) and prints one JSON object with every figure. Flags go to the recovery bench:
 *
 *   npm run bench -- [--crashes N] [--quick]
 *
 * BENCH_ONLY=recovery (a comma-separated list of bench names) runs only those. Benches: limits,
 * placement, offer-handler, ack, http-clients, state, supervisor, recovery, sim-scale, deploy (docs/bench.md). The output
 * ends with `side_by_side`: each figure of this run next to the limit measured in the same run.
 *
 * A signal to this process (Ctrl-C, SIGTERM) is passed on to the running bench, which stops its
 * sandbox and nats-server before exiting: no run leaves processes behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCHES: { file: string; args: string[] }[] = [
  { file: 'limits.bench.ts', args: [] },
  { file: 'placement.bench.ts', args: [] },
  { file: 'offer-handler.bench.ts', args: [] },
  { file: 'ack.bench.ts', args: [] },
  { file: 'http-clients.bench.ts', args: [] },
  { file: 'state.bench.ts', args: [] },
  // POD_STATE events/s through the framework supervisor at 100, 1,000 and 10,000 pods (~1-2 min).
  { file: 'supervisor.bench.ts', args: [] },
  { file: 'recovery.bench.ts', args: process.argv.slice(2) },
  { file: 'sim-scale.bench.ts', args: [] },
  // 10,000 pods on 2,000 agents, parallel then serial, each within a time budget (BENCH_DEPLOY_*: bench/deploy.bench.ts).
  { file: 'deploy.bench.ts', args: [] },
];

const only = process.env.BENCH_ONLY?.split(',').map((n) => n.trim()).filter(Boolean);
const selected = only ? BENCHES.filter((b) => only.includes(b.file.replace(/\.bench\.ts$/, ''))) : BENCHES;
if (selected.length === 0) {
  process.stderr.write(`BENCH_ONLY matches no bench (benches: ${BENCHES.map((b) => b.file.replace(/\.bench\.ts$/, '')).join(', ')})\n`);
  process.exit(2);
}

let current: ChildProcess | undefined;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (current && current.exitCode === null) current.kill(sig);
    else process.exit(130);
  });
}

function runBench(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // --expose-gc: the state bench reads RSS after a collection.
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(dirname(fileURLToPath(import.meta.url)), file), ...args], {
      env: { ...process.env, PXFW_LOG_LEVEL: process.env.PXFW_LOG_LEVEL ?? 'error' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    current = child;
    const out: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      current = undefined;
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`${file} ${signal ? `was stopped by ${signal}` : `exited with ${code}`}`));
    });
  });
}

const figures: Record<string, unknown> = {};
try {
  for (const { file, args } of selected) {
    const last = (await runBench(file, args)).trim().split('\n').pop() ?? '{}';
    Object.assign(figures, JSON.parse(last));
  }
} catch (err) {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
figures.side_by_side = sideBySide(figures);
process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);

/** Each figure next to its limit (when both ran): what the figure could be at most on this machine now. */
function sideBySide(f: Record<string, any>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const limits = f.limits ?? {};
  if (f.ack) {
    out.ack_round_trips_per_s = { figure: f.ack.round_trips_per_s, limit_raw_http_post_per_s: f.ack.limit_raw_http_post_per_s, max_stall_ms: f.ack.max_stall_ms };
  }
  if (f.offer_handler) {
    out.placement_decisions_per_s = {
      figure: f.offer_handler.decisions_per_s,
      goal: 2_000,
      limit_bare_placement_loop_per_s: f.placement_pods_per_s,
      max_stall_ms: f.offer_handler.max_stall_ms,
    };
  }
  if (f.state) {
    const st = f.state;
    const lower = Math.min(st.limits.nats_kv_put_per_s, st.limits.http_post_keepalive_per_s);
    out.status_updates_per_s = { figure: st.status_updates_per_s, goal: `>= ${Math.round(lower / 2)} (half the lower limit), flat in the pod count`, limits: st.limits, max_stall_ms: st.max_stall_ms };
    out.state_restore = { figure: st.restore, goal_ms: 2_000 };
    out.state_rss_mb = { figure: Object.entries(st).find(([k]) => k.startsWith('rss_mb_at_'))?.[1], right_after_updates: st.rss_mb_right_after_updates, heap_used_mb: st.heap_used_mb_at_rest, goal: 200 };
    out.framework_record_bytes = { figure: st.framework_record_bytes, goal: 'the same at 10 and 10,000 pods' };
  }
  if (f.supervisor) {
    out.supervisor_pod_state_per_s = {
      figure: f.supervisor.pod_state_per_s,
      per_cpu_s: f.supervisor.pod_state_per_cpu_s,
      goal: 'flat in the pod count (counters kept up to date, not rescanned)',
      max_stall_ms: f.supervisor.max_stall_ms,
    };
  }
  if (f.deploy) out.deploy = deploySideBySide(f.deploy);
  if (f.limits) {
    out.limits = { nats_kv_put_per_s: limits.nats_kv_put_per_s, http_post_keepalive_per_s: limits.http_post_keepalive_per_s };
  }
  return out;
}

/** Each strategy's deploy next to its goal: complete, no lease loss, no timeouts, no stall of 50 ms or more. */
function deploySideBySide(d: Record<string, any>): Record<string, unknown> {
  const out: Record<string, unknown> = { pods: d.pods, agents: d.agents, budget_s_per_strategy: d.budget_s_per_strategy };
  for (const strategy of ['parallel', 'serial']) {
    const r = d[strategy];
    if (!r) continue;
    out[strategy] = {
      figure: {
        completed: r.completed,
        pods_complete: r.pods_complete,
        deploy_s: r.deploy_s,
        ...(r.projected_total_s !== undefined ? { projected_total_s: r.projected_total_s } : {}),
        peak_rss_mb: r.peak_rss_mb,
        mem_limit_mb: r.mem_limit_mb,
        heap_after_gc_mb: r.heap_after_gc_mb,
        scheduler_cpu_ms_per_pod: r.scheduler_cpu_ms_per_pod,
        lease_losses: r.lease_losses,
        timeouts: r.timeouts,
        retries: r.retries,
        max_stall_ms: r.max_stall_ms,
        p99_stall_ms: r.p99_stall_ms,
        seconds_over_50ms_pct: r.seconds_over_50ms_pct,
      },
      goal: { completed: true, lease_losses: 0, timeouts: 0, max_stall_ms: '< 50' },
    };
  }
  return out;
}
