import http from 'node:http';
import { recordStrings } from '../../src/mesos/recordio';
import { parseJson, stringifyJson } from '../../src/util/lossless-json';
import { MesosSimulator, type MesosSimOptions } from '../../src/sim/mesos';

export type Json = Record<string, any>;

/** Tests run the simulator 20× faster: heartbeats 0.75 s, offer rounds 50 ms, refusals 250 ms. */
export const SPEED = 20;

export async function startSim(opts: MesosSimOptions = {}): Promise<MesosSimulator> {
  return MesosSimulator.start({ agents: 3, racks: 3, speed: SPEED, ...opts });
}

export function frameworkInfo(extra: Json = {}): Json {
  return {
    user: 'root',
    name: 'test-framework',
    failover_timeout: 3600,
    roles: ['pxfw'],
    capabilities: [{ type: 'MULTI_ROLE' }, { type: 'PARTITION_AWARE' }, { type: 'REGION_AWARE' }],
    ...extra,
  };
}

/** Keep-alive connections: the scale test makes thousands of calls. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const payload = typeof body === 'string' ? body : stringifyJson(body);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** A minimal v1 HTTP scheduler: subscribes, collects every event, makes calls on its stream. */
export class TestScheduler {
  readonly events: Json[] = [];
  ended = false;
  private waiters: (() => void)[] = [];
  private constructor(
    readonly url: string,
    readonly streamId: string,
    readonly contentType: string | null,
    private readonly abort: AbortController,
  ) {}

  static async subscribe(simUrl: string, info: Json = frameworkInfo()): Promise<TestScheduler> {
    const abort = new AbortController();
    const body: Json = { type: 'SUBSCRIBE', subscribe: { framework_info: info } };
    if (info.id) body.framework_id = info.id;
    const res = await fetch(`${simUrl}/api/v1/scheduler`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: stringifyJson(body),
      signal: abort.signal,
    });
    if (res.status !== 200 || !res.body) throw new Error(`SUBSCRIBE answered ${res.status}: ${await res.text()}`);
    const s = new TestScheduler(simUrl, res.headers.get('mesos-stream-id') ?? '', res.headers.get('content-type'), abort);
    void s.read(res.body as unknown as AsyncIterable<Uint8Array>);
    await s.waitFor((e) => e.type === 'SUBSCRIBED' || e.type === 'ERROR');
    return s;
  }

  private async read(body: AsyncIterable<Uint8Array>): Promise<void> {
    try {
      for await (const rec of recordStrings(body)) {
        this.events.push(parseJson(rec) as Json);
        this.notify();
      }
    } catch {
      // An aborted or server-closed stream simply ends; `ended` tells the tests.
    } finally {
      this.ended = true;
      this.notify();
    }
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  get frameworkId(): string {
    const sub = this.events.find((e) => e.type === 'SUBSCRIBED');
    return sub?.subscribed?.framework_id?.value ?? '';
  }

  /** The first event (at or after index `from`) matching `pred`. */
  async waitFor(pred: (e: Json) => boolean, timeoutMs = 5000, from = 0): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.slice(from).find(pred);
      if (hit) return hit;
      if (this.ended) throw new Error(`stream ended before a matching event; got ${this.types()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for an event; got ${this.types()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async waitForEnd(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('stream did not end');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Every UPDATE status for `taskId` so far. */
  updates(taskId?: string): Json[] {
    return this.events
      .filter((e) => e.type === 'UPDATE' && (taskId === undefined || e.update.status.task_id.value === taskId))
      .map((e) => e.update.status);
  }

  async waitForUpdate(taskId: string, state: string, timeoutMs = 5000, from = 0): Promise<Json> {
    const e = await this.waitFor(
      (x) => x.type === 'UPDATE' && x.update.status.task_id.value === taskId && x.update.status.state === state,
      timeoutMs,
      from,
    );
    return e.update.status;
  }

  async offers(timeoutMs = 5000, from = 0): Promise<Json[]> {
    const e = await this.waitFor((x) => x.type === 'OFFERS', timeoutMs, from);
    return e.offers.offers;
  }

  async call(body: Json): Promise<{ status: number; text: string }> {
    return post(`${this.url}/api/v1/scheduler`, { framework_id: { value: this.frameworkId }, ...body }, { 'Mesos-Stream-Id': this.streamId });
  }

  async ack(status: Json): Promise<void> {
    const r = await this.call({
      type: 'ACKNOWLEDGE',
      acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid },
    });
    if (r.status !== 202) throw new Error(`ACKNOWLEDGE answered ${r.status}: ${r.text}`);
  }

  /** Acknowledge every update with a uuid as it arrives (what a real scheduler does). */
  autoAck(): void {
    let seen = 0;
    const tick = (): void => {
      for (; seen < this.events.length; seen++) {
        const e = this.events[seen]!;
        if (e.type === 'UPDATE' && e.update.status.uuid) void this.ack(e.update.status).catch(() => undefined);
      }
      if (!this.ended) this.waiters.push(tick);
    };
    tick();
  }

  /** The last few event types, for failure messages. */
  types(): string {
    const last = this.events.slice(-20).map((e) => (e.type === 'UPDATE' ? `UPDATE(${e.update.status.state})` : e.type));
    return `${this.events.length} events, last: ${last.join(',')}`;
  }

  close(): void {
    this.abort.abort();
  }
}

export function scalar(name: string, value: number, role = 'pxfw'): Json {
  return { name, type: 'SCALAR', scalar: { value }, allocation_info: { role } };
}

export const EXECUTOR_RESOURCES = [scalar('cpus', 0.1), scalar('mem', 32), scalar('disk', 10)];

export function taskInfo(id: string, agentId: string, extra: Json = {}): Json {
  return {
    name: id,
    task_id: { value: id },
    agent_id: { value: agentId },
    resources: [scalar('cpus', 1), scalar('mem', 256)],
    command: { value: 'sleep 1000', shell: true },
    ...extra,
  };
}

export function launchGroup(offer: Json, tasks: Json[], executor: Json = {}): Json {
  return {
    type: 'ACCEPT',
    accept: {
      offer_ids: [offer.id],
      operations: [
        {
          type: 'LAUNCH_GROUP',
          launch_group: {
            executor: {
              type: 'DEFAULT',
              executor_id: { value: `exec-${tasks[0]?.task_id.value ?? 'x'}` },
              resources: EXECUTOR_RESOURCES,
              ...executor,
            },
            task_group: { tasks },
          },
        },
      ],
      filters: { refuse_seconds: 0 },
    },
  };
}

export function pxdVolume(name: string, containerPath = 'data'): Json {
  return {
    container_path: containerPath,
    mode: 'RW',
    source: {
      type: 'DOCKER_VOLUME',
      docker_volume: { driver: 'pxd', name, driver_options: { parameter: [{ key: 'size', value: '10' }] } },
    },
  };
}

export async function operator(simUrl: string, call: Json): Promise<Json> {
  const r = await post(`${simUrl}/api/v1`, call, { Accept: 'application/json' });
  if (r.status !== 200) throw new Error(`operator ${String(call.type)} answered ${r.status}: ${r.text}`);
  return r.text === '' ? {} : (parseJson(r.text) as Json);
}
