/**
 * ACKNOWLEDGE round trips per second through the scheduler's own call path (MesosHttp, api
 * scheduler: undici, lossless JSON, recorder hook, Mesos-Stream-Id header, error classification)
 * against a local keep-alive sink, 32 in flight, next to the raw limit measured in the same run:
 * bare node:http keep-alive POSTs to the same sink. Also each HTTP client on its own
 * (bench/http-clients.bench.ts is the longer comparison). Prints `{"ack": {...}, "limits": {...}}`.
 *
 *   node --import tsx bench/ack.bench.ts
 */
import { MesosHttp } from '../src/mesos';
import { rate, rawPostRate, startSink, withStallMonitor } from './lib/limits';

const COUNT = Number(process.env.BENCH_ACKS ?? 20_000);
const CONCURRENCY = 32;

async function main(): Promise<void> {
  const sink = await startSink();
  try {
    const http = new MesosHttp({ master: sink.url.replace(/\/api\/v1\/scheduler$/, ''), api: 'scheduler' });
    const ack = (i: number) =>
      http.call(
        {
          type: 'ACKNOWLEDGE',
          framework_id: { value: 'fw-bench' },
          acknowledge: { agent_id: { value: `agent-${i % 2000}` }, task_id: { value: `node-${i % 1000}__3f6c` }, uuid: 'ZmFrZS11dWlkLWJlbmNo' },
        } as { type: string },
        { headers: { 'mesos-stream-id': 'stream-1' } },
      );
    await rate(500, CONCURRENCY, ack);
    let best = 0;
    let limit = 0;
    let stall = 0;
    // Alternate, best of three each: the machine is shared, so a single pass is noisy.
    for (let round = 0; round < 3; round++) {
      limit = Math.max(limit, await rawPostRate(sink.url, COUNT, CONCURRENCY));
      const { value, maxStallMs } = await withStallMonitor(() => rate(COUNT, CONCURRENCY, ack));
      best = Math.max(best, value);
      stall = Math.max(stall, maxStallMs);
    }
    const figures = { ack: { round_trips_per_s: best, client: 'undici', in_flight: CONCURRENCY, max_stall_ms: stall, limit_raw_http_post_per_s: limit } };
    process.stderr.write(`ACKNOWLEDGE round trips: ${best}/s (raw keep-alive POST limit ${limit}/s), longest stall ${stall} ms\n`);
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  } finally {
    await sink.close();
  }
}

await main();
