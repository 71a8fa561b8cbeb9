/**
 * The raw limits the other figures are read against, measured in this run: the pipelined NATS KV
 * put rate (a temporary bucket on the shared NATS, 256 puts in flight, deleted after) and the rate
 * of keep-alive HTTP POSTs to a local sink (node:http, 32 in flight). Prints `{"limits": {...}}`.
 *
 *   node --import tsx bench/limits.bench.ts
 */
import { rawKvPutRate, rawPostRate, startSink, withStallMonitor } from './lib/limits';

async function main(): Promise<void> {
  const kv = await withStallMonitor(() => rawKvPutRate(Number(process.env.BENCH_KV_PUTS ?? 20_000)));
  const sink = await startSink();
  let post;
  try {
    post = await withStallMonitor(() => rawPostRate(sink.url, Number(process.env.BENCH_HTTP_CALLS ?? 20_000), 32));
  } finally {
    await sink.close();
  }
  const limits = {
    nats_kv_put_per_s: kv.value,
    nats_kv_put_max_stall_ms: kv.maxStallMs,
    http_post_keepalive_per_s: post.value,
    http_post_max_stall_ms: post.maxStallMs,
  };
  process.stderr.write(`limits: ${JSON.stringify(limits)}\n`);
  process.stdout.write(`${JSON.stringify({ limits })}\n`);
}

await main();
