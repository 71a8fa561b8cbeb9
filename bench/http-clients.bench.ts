/**
 * Which HTTP client carries the scheduler's hot calls (ACKNOWLEDGE, ACCEPT, DECLINE) fastest:
 * node:http with a keep-alive agent, undici (Pool.request), got with the same keep-alive agent.
 * Each posts the same ACKNOWLEDGE body to one local keep-alive sink, 32 in flight (the scheduler's
 * pool size). Prints `{"http_clients": {...}}`: calls/s of each, best of three rounds.
 *
 *   node --import tsx bench/http-clients.bench.ts
 */
import { Agent, request as httpRequest } from 'node:http';
import got from 'got';
import { Pool } from 'undici';
import { rate, startSink } from './lib/limits';

const COUNT = Number(process.env.BENCH_HTTP_CALLS ?? 20_000);
const CONCURRENCY = 32;
const BODY = JSON.stringify({
  type: 'ACKNOWLEDGE',
  framework_id: { value: 'fw-bench' },
  acknowledge: { agent_id: { value: 'agent-1' }, task_id: { value: 'node-0__3f6c' }, uuid: 'ZmFrZS11dWlkLWJlbmNo' },
});
const HEADERS = { 'content-type': 'application/json', accept: 'application/json', 'mesos-stream-id': 'stream-1' };

type Client = { name: string; post: () => Promise<unknown>; close: () => Promise<void> | void };

function nodeHttp(url: string): Client {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const post = () =>
    new Promise<string>((resolve, reject) => {
      const req = httpRequest(url, { method: 'POST', agent, headers: { ...HEADERS, 'content-length': Buffer.byteLength(BODY) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve(text));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(BODY);
    });
  return { name: 'node_http', post, close: () => agent.destroy() };
}

function undiciPool(url: string): Client {
  const pool = new Pool(new URL(url).origin, { connections: CONCURRENCY });
  const path = new URL(url).pathname;
  const post = async () => {
    const res = await pool.request({ method: 'POST', path, headers: HEADERS, body: BODY });
    return res.body.text();
  };
  return { name: 'undici', post, close: () => pool.close() };
}

function gotClient(url: string): Client {
  const agent = { http: new Agent({ keepAlive: true, maxSockets: CONCURRENCY }) };
  const post = () =>
    got.post(url, { body: BODY, headers: HEADERS, agent, followRedirect: false, throwHttpErrors: false, retry: { limit: 0 }, timeout: { request: 30_000 } });
  return { name: 'got', post, close: () => agent.http.destroy() };
}

async function main(): Promise<void> {
  const sink = await startSink();
  const results: Record<string, number> = {};
  try {
    const clients = [nodeHttp(sink.url), undiciPool(sink.url), gotClient(sink.url)];
    for (const c of clients) await rate(500, CONCURRENCY, c.post);
    for (let round = 0; round < 3; round++) {
      for (const c of clients) {
        const r = await rate(COUNT, CONCURRENCY, c.post);
        results[c.name] = Math.max(results[c.name] ?? 0, r);
      }
    }
    for (const c of clients) await c.close();
  } finally {
    await sink.close();
  }
  process.stderr.write(`POST calls/s to a local sink, ${CONCURRENCY} in flight: ${JSON.stringify(results)}\n`);
  process.stdout.write(`${JSON.stringify({ http_clients_calls_per_s: results })}\n`);
}

await main();
