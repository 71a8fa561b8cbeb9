import { afterEach, describe, expect, it } from 'vitest';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ConsoleHub } from '../../src/http/console-hub';
import { countCommand } from '../../src/http/console-wiring';
import { SchedulerHttpServer, type HttpSources } from '../../src/http/server';
import { createMetrics } from '../../src/observe/metrics';
import type { RecoveryObservation } from '../../src/observe/recoveries';
import type { TransitionRecord } from '../../src/record/recorder';
import { fakeModel, HEALTHY, plan, pod } from './console-fixtures';

/** Server-sent events from `url` until stop(). */
function sse(url: string) {
  const events: EventSourceMessage[] = [];
  const controller = new AbortController();
  const state = { connected: false };
  // The server's first line is a comment: once it is read, the stream is subscribed.
  const parser = createParser({ onEvent: (e) => events.push(e), onComment: () => (state.connected = true) });
  const done = (async () => {
    const res = await fetch(url, { signal: controller.signal });
    const reader = res.body!.getReader();
    const text = new TextDecoder();
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) return;
      parser.feed(text.decode(value, { stream: true }));
    }
  })().catch(() => undefined);
  return { events, connected: () => state.connected, stop: async () => (controller.abort(), await done) };
}

async function until(what: string, fn: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function setup() {
  const model = fakeModel();
  const metrics = createMetrics('svc');
  const listeners = new Set<(t: TransitionRecord) => void>();
  const stages = new Map<string, RecoveryObservation>();
  const hub = new ConsoleHub({
    read: model,
    health: () => HEALTHY,
    transitions: { subscribe: (l) => (listeners.add(l), () => listeners.delete(l)) },
    metrics,
    recoveryOf: (p) => stages.get(p),
    debounceMs: 10,
    tickMs: 60_000,
  });
  const transition = (actor: string, from: string, to: string, o?: RecoveryObservation) => {
    if (o) stages.set(actor.slice(4), o);
    for (const l of listeners) l({ ts: new Date().toISOString(), service: 'svc', actor, from, to, event: 'X', reason: null });
  };
  const sources: HttpSources = {
    health: () => HEALTHY,
    state: () => ({}),
    subscribe: (l) => {
      const f = (t: TransitionRecord) => l({ type: 'transition', data: t });
      listeners.add(f);
      return () => listeners.delete(f);
    },
    registry: metrics.registry,
    console: hub,
  };
  return { model, metrics, hub, transition, sources };
}

let server: SchedulerHttpServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('the console over HTTP: the page, its state, live updates and the metrics', () => {
  it('serves the page and its script; the page carries no statechart strings', async () => {
    const { sources } = setup();
    server = await SchedulerHttpServer.start(0, sources, '127.0.0.1');
    const html = await (await fetch(`${server.url}/`)).text();
    expect(html).toContain('/v1/events');
    // Relative URLs: behind the DC/OS admin router the page is /service/<name>/.
    expect(html).toContain('<script src="console.js">');
    expect(html).not.toMatch(/(src|href)="\//);
    const js = await fetch(`${server.url}/console.js`);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(await js.text()).toContain("new EventSource('v1/events?console=1')");
  });

  it('answers /v1/console with the state in words', async () => {
    const { sources } = setup();
    server = await SchedulerHttpServer.start(0, sources, '127.0.0.1');
    const s = (await (await fetch(`${server.url}/v1/console`)).json()) as { framework: { text: string }; pods: { text: string }[] };
    expect(s.framework.text).toBe('active');
    expect(s.pods.map((p) => p.text)).toEqual(['running', 'running', 'running']);
  });

  it('pushes a fresh state over SSE after a change (?console=1), and only events without it', async () => {
    const { sources, model, transition } = setup();
    server = await SchedulerHttpServer.start(0, sources, '127.0.0.1');
    const page = sse(`${server.url}/v1/events?console=1`);
    const plain = sse(`${server.url}/v1/events`);
    await until('both streams connected', () => page.connected() && plain.connected());
    // A page gets the current state as soon as it connects.
    await until('the first console state', () => page.events.some((e) => e.event === 'console'));
    model.planViews = [plan('deploy', ['COMPLETE', 'STARTING', 'PENDING'])];
    model.podFacts = [pod(1), pod(2, { state: 'running.suspect.probation', tags: ['probation', 'running'] }), pod(3)];
    transition('pod/node-2', 'running.up', 'running.suspect.probation');
    const states = () => page.events.filter((e) => e.event === 'console');
    await until('a console state after the change', () => states().length >= 2);
    const state = JSON.parse(states().at(-1)!.data) as { pods: { text: string }[]; plans: { done: number }[] };
    expect(state.pods.map((p) => p.text)).toEqual(['running', 'on probation', 'running']);
    expect(state.plans[0]!.done).toBe(1);
    await until('the event on the plain stream', () => plain.events.some((e) => e.event === 'console-event'));
    expect(plain.events.map((e) => e.event)).toContain('transition');
    expect(plain.events.map((e) => e.event)).not.toContain('console');
    await page.stop();
    await plain.stop();
  });

  it('counts a completed recovery, and gives Prometheus the plan, step, volume, agent and leader gauges', async () => {
    const { sources, transition, model } = setup();
    model.planViews = [plan('deploy', ['COMPLETE', 'STARTING']), { ...plan('update', ['PENDING']), paused: true }];
    server = await SchedulerHttpServer.start(0, sources, '127.0.0.1');
    transition('pod/node-1', 'running.up', 'running.suspect.probation', { stage: 'probation', ready: false, stopping: false, operator: false });
    transition('pod/node-1', 're-attaching.fencing', 'running.up', { stage: null, ready: true, stopping: false, operator: false });
    const body = await (await fetch(`${server.url}/metrics`)).text();
    expect(body).toMatch(/pxfw_recoveries_total\{type="host-returned",service="svc"\} 1/);
    expect(body).toMatch(/pxfw_recovery_seconds_count\{service="svc",type="host-returned"\} 1/);
    expect(body).toMatch(/pxfw_plan_status\{plan="deploy",status="in-progress",service="svc"\} 1/);
    expect(body).toMatch(/pxfw_plan_status\{plan="update",status="paused",service="svc"\} 1/);
    expect(body).toMatch(/pxfw_plan_paused\{plan="update",service="svc"\} 1/);
    expect(body).toMatch(/pxfw_plan_steps\{plan="deploy",status="done",service="svc"\} 1/);
    expect(body).toMatch(/pxfw_volumes_degraded\{service="svc"\} 0/);
    expect(body).toMatch(/pxfw_agents\{status="up",service="svc"\} 6/);
    expect(body).toMatch(/pxfw_leader\{service="svc"\} 1/);
    expect(body).toMatch(/pxfw_portworx_reachable\{service="svc"\} 1/);
    expect(body).toMatch(/pxfw_snapshots\{service="svc"\} 0/);
    expect(body).not.toMatch(/pxfw_snapshot_age_seconds\{/);
    expect(body).toMatch(/pxfw_build_info\{version="\d+\.\d+\.\d+",node="v[^"]+",service="svc"\} 1/);
  });

  it('reports the newest snapshot age, and counts commands by verb and result', async () => {
    const { sources, model, metrics } = setup();
    model.snapshotViews = [{ id: 's', name: 'nightly', createdAt: new Date(Date.now() - 120_000).toISOString(), podType: null, volumes: [] }];
    countCommand(metrics, { verb: 'pod.restart', result: 'ok' });
    countCommand(metrics, { verb: 'pod.restart', result: 'error' });
    server = await SchedulerHttpServer.start(0, sources, '127.0.0.1');
    const body = await (await fetch(`${server.url}/metrics`)).text();
    expect(body).toMatch(/pxfw_snapshot_age_seconds\{snapshot="nightly",service="svc"\} 1[12]\d/);
    expect(body).toMatch(/pxfw_commands_total\{verb="pod.restart",result="ok",service="svc"\} 1/);
    expect(body).toMatch(/pxfw_commands_total\{verb="pod.restart",result="error",service="svc"\} 1/);
  });
});
