import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortworxClient } from '../../src/portworx';
import { PORTWORX_IDLE_TIMEOUT_MS } from '../../src/portworx/http';
import { PortworxSimulator } from '../../src/sim/portworx';

/** Node's own defaults: a server closes idle connections after 5 s, its global agent after 5 s too. */
const NODE_DEFAULT_KEEP_ALIVE_MS = 5_000;

/** One GET over `agent`: status, the server's Keep-Alive hint, and whether a kept-alive socket carried it. */
function get(url: string, agent: Agent): Promise<{ status: number; keepAlive: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/clusters/inspectcurrent`, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, keepAlive: String(res.headers['keep-alive'] ?? ''), reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('keep-alive between the Portworx client and the simulator (the server outlasts the client)', () => {
  let sim: PortworxSimulator;
  beforeAll(async () => {
    sim = await PortworxSimulator.start({ hosts: 'a1=rack-1/zone-1/region-1,a2=rack-2/zone-1/region-1,a3=rack-3/zone-1/region-1' });
  });
  afterAll(() => sim.stop());

  it('announces an idle timeout longer than the client closes idle connections after', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const { status, keepAlive } = await get(sim.url, agent);
    agent.destroy();
    expect(status).toBe(200);
    const serverMs = Number(/timeout=(\d+)/.exec(keepAlive)?.[1]) * 1000;
    expect(serverMs).toBeGreaterThan(PORTWORX_IDLE_TIMEOUT_MS);
  });

  it('takes a burst of volume creates after an idle pause on the kept-alive connections: no ECONNRESET, nothing retried', async () => {
    const client = new PortworxClient({ url: sim.url, retries: 0 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1, timeout: PORTWORX_IDLE_TIMEOUT_MS });
    const burst = (round: number) =>
      Promise.all(Array.from({ length: 40 }, (_, i) => client.createVolume({ name: `ka-${round}-${i}`, spec: { size: 1 << 30, ha_level: 1 } })));
    expect(await burst(0)).toHaveLength(40);
    await get(sim.url, agent);
    // Past node's default server keep-alive (what the simulator had): its sockets were closed by then.
    await new Promise((r) => setTimeout(r, NODE_DEFAULT_KEEP_ALIVE_MS + 500));
    const again = await get(sim.url, agent);
    expect(again.reused).toBe(true);
    expect(await burst(1)).toHaveLength(40);
    agent.destroy();
  }, 15_000);
});
