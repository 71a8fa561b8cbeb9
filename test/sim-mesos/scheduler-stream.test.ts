import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MesosSimulator } from '../../src/sim/mesos';
import { SPEED, TestScheduler, frameworkInfo, post, startSim } from './helpers';

describe('Mesos simulator: scheduler SUBSCRIBE stream', () => {
  let sim: MesosSimulator;
  const open: TestScheduler[] = [];
  const subscribe = async (info = frameworkInfo()): Promise<TestScheduler> => {
    const s = await TestScheduler.subscribe(sim.url, info);
    open.push(s);
    return s;
  };

  beforeEach(async () => {
    sim = await startSim({ heartbeatSeconds: 2 });
  });
  afterEach(async () => {
    for (const s of open.splice(0)) s.close();
    await sim.stop();
  });

  it('answers 200 application/json with a Mesos-Stream-Id, then SUBSCRIBED and an immediate HEARTBEAT', async () => {
    const s = await subscribe();
    expect(s.contentType).toBe('application/json');
    expect(s.streamId).toMatch(/^[0-9a-f-]{36}$/);
    await s.waitFor((e) => e.type === 'HEARTBEAT');
    expect(s.events[0]!.type).toBe('SUBSCRIBED');
    expect(s.events[1]!.type).toBe('HEARTBEAT');
    const sub = s.events[0]!.subscribed;
    expect(sub.framework_id.value).toMatch(/^[0-9a-f-]{36}-0000$/);
    expect(sub.heartbeat_interval_seconds).toBeCloseTo(2 / SPEED);
    expect(sub.master_info).toMatchObject({ port: Number(new URL(sim.url).port), hostname: '127.0.0.1' });
  });

  it('keeps sending HEARTBEAT events every heartbeat interval', async () => {
    const s = await subscribe();
    const t0 = Date.now();
    await s.waitFor(() => s.events.filter((e) => e.type === 'HEARTBEAT').length >= 4, 3000);
    // Three further heartbeats at 0.1 s each after the immediate one.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it('sends ERROR "Framework failed over" on the old stream and closes it when the framework subscribes again', async () => {
    const first = await subscribe();
    const second = await subscribe(frameworkInfo({ id: { value: first.frameworkId } }));
    expect(second.frameworkId).toBe(first.frameworkId);
    expect(second.streamId).not.toBe(first.streamId);
    const err = await first.waitFor((e) => e.type === 'ERROR');
    expect(err).toEqual({ type: 'ERROR', error: { message: 'Framework failed over' } });
    await first.waitForEnd();
    // The old stream id no longer works; the new one does.
    const stale = await first.call({ type: 'REVIVE' });
    expect(stale.status).toBe(400);
    expect((await second.call({ type: 'REVIVE' })).status).toBe(202);
  });

  it('drops every stream on a master failover and accepts the re-subscription with the same framework id', async () => {
    const s = await subscribe();
    const id = s.frameworkId;
    sim.failover();
    await s.waitForEnd();
    expect(s.events.some((e) => e.type === 'ERROR')).toBe(false);
    const again = await subscribe(frameworkInfo({ id: { value: id } }));
    expect(again.frameworkId).toBe(id);
    expect(again.events[0]!.subscribed.master_info.id).not.toBe(s.events[0]!.subscribed.master_info.id);
  });

  it('refuses a removed framework with ERROR "Framework has been removed"', async () => {
    const s = await subscribe();
    const id = s.frameworkId;
    expect((await s.call({ type: 'TEARDOWN' })).status).toBe(202);
    await s.waitForEnd();
    const again = await subscribe(frameworkInfo({ id: { value: id } }));
    expect(again.events[0]).toEqual({ type: 'ERROR', error: { message: 'Framework has been removed' } });
    await again.waitForEnd();
  });

  it('removes a framework whose failover_timeout elapses after its stream closed', async () => {
    const s = await subscribe(frameworkInfo({ failover_timeout: 0 }));
    const id = s.frameworkId;
    s.close();
    await expect.poll(() => sim.frameworks().length, { timeout: 2000 }).toBe(0);
    const again = await subscribe(frameworkInfo({ id: { value: id } }));
    expect(again.events[0]!.type).toBe('ERROR');
  });

  it('keeps a disconnected framework whose failover_timeout is weeks long (beyond a 32-bit timer)', async () => {
    const fourWeeks = 4 * 7 * 24 * 3600;
    const s = await subscribe(frameworkInfo({ failover_timeout: fourWeeks }));
    const id = s.frameworkId;
    s.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(sim.frameworks().map((f) => f.id)).toContain(id);
    const again = await subscribe(frameworkInfo({ id: { value: id }, failover_timeout: fourWeeks }));
    expect(again.events[0]!.type).toBe('SUBSCRIBED');
    again.close();
  });
});

describe('Mesos simulator: scheduler call validation', () => {
  let sim: MesosSimulator;
  let s: TestScheduler;
  const api = (): string => `${sim.url}/api/v1/scheduler`;

  beforeEach(async () => {
    sim = await startSim();
    s = await TestScheduler.subscribe(sim.url);
  });
  afterEach(async () => {
    s.close();
    await sim.stop();
  });

  it('answers 405 with Allow: POST to any other method', async () => {
    const res = await fetch(api());
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(await res.text()).toBe("Expecting one of { 'POST' }, but received 'GET'");
  });

  it('answers 415 to an unsupported content type and 400 when Content-Type is missing', async () => {
    const bad = await fetch(api(), { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{}' });
    expect(bad.status).toBe(415);
    expect(await bad.text()).toBe("Expecting 'Content-Type' of application/json or application/x-protobuf");
    const none = await fetch(api(), { method: 'POST', body: new Uint8Array([123, 125]) });
    expect(none.status).toBe(400);
    expect(await none.text()).toBe("Expecting 'Content-Type' to be present");
  });

  it('answers 400 to a body that is not JSON or not a Call, naming the bad field', async () => {
    const notJson = await post(api(), '{nope');
    expect(notJson.status).toBe(400);
    expect(notJson.text).toMatch(/^Failed to parse body into JSON: /);
    const badType = await post(api(), { type: 'LAUNCH_ROCKETS' });
    expect(badType.status).toBe(400);
    expect(badType.text).toMatch(/^Failed to convert JSON into Call protobuf: type: /);
  });

  it('needs the top-level framework_id on every call but SUBSCRIBE', async () => {
    const r = await post(api(), { type: 'REVIVE' }, { 'Mesos-Stream-Id': s.streamId });
    expect(r).toMatchObject({ status: 400, text: "Failed to validate scheduler::Call: Expecting 'framework_id' to be present" });
  });

  it('needs the call body that matches the type', async () => {
    const r = await s.call({ type: 'KILL' });
    expect(r).toMatchObject({ status: 400, text: "Failed to validate scheduler::Call: Expecting 'kill' to be present" });
  });

  it('needs the Mesos-Stream-Id header, matching the framework stream', async () => {
    const fid = { value: s.frameworkId };
    const missing = await post(api(), { type: 'REVIVE', framework_id: fid });
    expect(missing).toMatchObject({ status: 400, text: "All non-subscribe calls should include the 'Mesos-Stream-Id' header" });
    const wrong = await post(api(), { type: 'REVIVE', framework_id: fid }, { 'Mesos-Stream-Id': 'abc' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toBe(
      `The stream ID 'abc' included in this request didn't match the stream ID currently associated with framework ID ${s.frameworkId}`,
    );
  });

  it('answers 400 "Framework cannot be found" for an unknown framework and 403 for a disconnected one', async () => {
    const unknown = await post(api(), { type: 'REVIVE', framework_id: { value: 'nope' } }, { 'Mesos-Stream-Id': s.streamId });
    expect(unknown).toMatchObject({ status: 400, text: 'Framework cannot be found' });
    sim.failover();
    await s.waitForEnd();
    const r = await s.call({ type: 'REVIVE' });
    expect(r).toMatchObject({ status: 403, text: 'Framework is not subscribed' });
  });

  it('refuses a SUBSCRIBE that carries a Mesos-Stream-Id or a mismatching framework_id', async () => {
    const sub = { type: 'SUBSCRIBE', subscribe: { framework_info: frameworkInfo() } };
    const withHeader = await post(api(), sub, { 'Mesos-Stream-Id': s.streamId });
    expect(withHeader).toMatchObject({ status: 400, text: "Subscribe calls should not include the 'Mesos-Stream-Id' header" });
    const mismatch = await post(api(), { ...sub, framework_id: { value: 'x' } });
    expect(mismatch).toMatchObject({
      status: 400,
      text: "Failed to validate scheduler::Call: 'framework_id' differs from 'subscribe.framework_info.id'",
    });
  });

  it('rejects an ACKNOWLEDGE whose uuid is not 16 bytes', async () => {
    const r = await s.call({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: { value: 'a' }, task_id: { value: 't' }, uuid: 'AAAA' } });
    expect(r).toMatchObject({ status: 400, text: 'Failed to validate scheduler::Call: Not a valid UUID' });
  });

  it('answers 202 with an empty body to a valid call', async () => {
    const r = await s.call({ type: 'SUPPRESS' });
    expect(r).toEqual(expect.objectContaining({ status: 202, text: '' }));
  });
});
