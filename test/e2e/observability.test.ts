import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Sandbox } from '../../src/sandbox/sandbox';
import { SHARED_NATS_URL } from '../helpers/nats-server';
import { eventually, frameworkYaml, podTags } from './helpers';
import { POD_TAGS } from '../../machines/pod-instance.logic';

/** Read server-sent events from `url` until `stop()`; events land in `events`. */
function sse(url: string) {
  const events: EventSourceMessage[] = [];
  const controller = new AbortController();
  const parser = createParser({ onEvent: (e) => events.push(e) });
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
  return { events, stop: async () => (controller.abort(), await done) };
}

describe('what operators watch: health, metrics, state, live events and the transition subject', () => {
  let sb: Sandbox;
  let name: string;
  let base: string;
  let nc: NatsConnection;

  beforeAll(async () => {
    const spec = frameworkYaml('cassandra');
    name = spec.name;
    sb = await Sandbox.start({ specYaml: spec.yaml, speed: 10, nats: SHARED_NATS_URL, http: 0 });
    base = sb.scheduler.http!.url;
    nc = await connect({ servers: SHARED_NATS_URL });
    await sb.scheduler.waitDeployed(60_000);
  });
  afterAll(async () => {
    await nc?.close();
    await sb?.stop();
  });

  it('answers the Marathon health check with 200 once subscribed and active', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ healthy: true, details: { subscribed: true } });
  });

  it('exposes Prometheus metrics of transitions, pods, offers and launches', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const body = await res.text();
    expect(body).toMatch(new RegExp(`pxfw_pods\\{state="running",service="${name}"\\} 3`));
    expect(body).toMatch(/pxfw_launches_total\{service="[^"]+"\} 3/);
    expect(body).toMatch(/pxfw_transitions_total\{actor_kind="framework",to="active",service="[^"]+"\} \d+/);
    expect(body).toMatch(/pxfw_mesos_connected\{service="[^"]+"\} 1/);
  });

  it('serves the state as JSON: framework, plans and pods', async () => {
    const state = (await (await fetch(`${base}/v1/state`)).json()) as { service: string; plans: { name: string; status: string }[]; pods: { name: string; state: string }[] };
    expect(state.service).toBe(name);
    expect(state.plans.find((p) => p.name === 'deploy')?.status).toBe('COMPLETE');
    expect(state.pods.map((p) => p.state)).toEqual(['running.up', 'running.up', 'running.up']);
  });

  it('serves the dashboard page', async () => {
    const res = await fetch(`${base}/`);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('/v1/events');
  });

  it('streams each transition over SSE and publishes it on pxfw.<service>.events.transition', async () => {
    const onNats: { actor: string; from: string; to: string }[] = [];
    const sub = nc.subscribe(`pxfw.${name}.events.transition`, { callback: (_e, m) => void onNats.push(m.json()) });
    const stream = sse(`${base}/v1/events`);
    await new Promise((r) => setTimeout(r, 100));
    await sb.scheduler.operations.podRestart('node-1');
    await eventually('pod-1 running again', () => podTags(sb.scheduler.runtime, 'node-1').includes(POD_TAGS.ready) && onNats.some((t) => t.actor === 'pod/node-1' && t.to === 'running.up'));
    await eventually('SSE transitions', () => stream.events.some((e) => e.event === 'transition' && JSON.parse(e.data).actor === 'pod/node-1'));
    await stream.stop();
    sub.unsubscribe();
    const sseT = stream.events.filter((e) => e.event === 'transition').map((e) => JSON.parse(e.data) as { actor: string; to: string });
    expect(sseT.filter((t) => t.actor === 'pod/node-1').map((t) => t.to)).toContain('running.up');
    expect(onNats.filter((t) => t.actor === 'pod/node-1').length).toBeGreaterThanOrEqual(2);
  });

  it('answers an unknown route with 404 and a hint, and a POST with 405', async () => {
    const missing = await fetch(`${base}/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toMatch(/\/health/);
    expect((await fetch(`${base}/health`, { method: 'POST' })).status).toBe(405);
  });
});
