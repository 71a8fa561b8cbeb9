import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALL_IDLE_TIMEOUT_MS, postCall } from '../../src/mesos/call-transport';
import { MesosSimulator } from '../../src/sim/mesos';

describe('keep-alive between the scheduler call transport and the Mesos simulator', () => {
  let sim: MesosSimulator;
  beforeAll(async () => {
    sim = await MesosSimulator.start({ agents: 1 });
  });
  afterAll(() => sim.stop());

  it('the master keeps an idle connection longer than the client does, as libprocess does', async () => {
    // An unsubscribed call is refused, but the answer still says how long the connection is kept.
    const answer = await postCall(`${sim.url}/api/v1/scheduler`, '{"type":"DECLINE"}', { 'content-type': 'application/json' }, 5_000);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    const serverMs = Number(/timeout=(\d+)/.exec(String(answer.headers['keep-alive'] ?? ''))?.[1]) * 1000;
    expect(serverMs).toBe(sim.keepAliveTimeoutMs);
    expect(serverMs).toBeGreaterThan(CALL_IDLE_TIMEOUT_MS);
  });
});
