import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRecord } from '../../src/mesos/recordio';
import { MesosSimulator } from '../../src/sim/mesos';
import { PortworxSimulator } from '../../src/sim/portworx';
import { call } from './sdk-http';

async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('pxfw sim portworx --mesos: one Portworx node per Mesos agent', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('mirrors the agents of the Mesos simulator, with hostname and topology, and follows partitions and kills', async () => {
    const mesos = await MesosSimulator.start({ agents: 3, racks: 3 });
    cleanups.push(() => mesos.stop());
    const px = await PortworxSimulator.start({ mesosUrl: mesos.url, mesosReconnectMs: 50 });
    cleanups.push(() => px.stop());
    const agents = mesos.agents();
    expect(px.nodes().map((n) => n.hostname).sort()).toEqual(agents.map((a) => a.hostname).sort());
    for (const a of agents) {
      expect(px.nodes().find((n) => n.hostname === a.hostname)!.topology).toEqual({ rack: a.rack, zone: a.zone, region: a.region });
    }
    const nodes = (await call(px.url, 'GET', '/v1/nodes/filters')).body.nodes;
    expect(nodes.every((n: any) => n.scheduler_node_name === n.hostname)).toBe(true);

    const [first, second] = agents;
    const online = (host: string) => px.nodes().find((n) => n.hostname === host)!.online;
    // Give the SUBSCRIBE stream a moment to be established before injecting faults.
    await new Promise((r) => setTimeout(r, 300));
    mesos.partitionAgent(first!.hostname);
    await until(() => !online(first!.hostname), 'the partitioned agent to go offline');
    mesos.healAgent(first!.hostname);
    await until(() => online(first!.hostname), 'the healed agent to come back');
    mesos.killAgent(second!.hostname);
    await until(() => !online(second!.hostname), 'the killed agent to go offline');
    expect(px.alerts().filter((a) => a.resource === 'RESOURCE_TYPE_NODE' && !a.cleared).map((a) => a.message)).toEqual(
      expect.arrayContaining([expect.stringContaining(`${first!.hostname}`), expect.stringContaining(`${second!.hostname} (`)]),
    );
  });

  it('reconnects when the operator stream ends and reconciles agents the master no longer lists', async () => {
    let agents = [agent('a-1', 'agent-1', 'rack-a'), agent('a-2', 'agent-2', 'rack-b')];
    const streams = new Set<ServerResponse>();
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const callBody = JSON.parse(body) as { type: string };
        if (callBody.type === 'GET_AGENTS') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ type: 'GET_AGENTS', get_agents: { agents } }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'mesos-stream-id': 's-1' });
        res.write(encodeRecord(JSON.stringify({ type: 'SUBSCRIBED', subscribed: { get_state: { get_agents: { agents } } } })));
        streams.add(res);
        res.on('close', () => streams.delete(res));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      for (const s of streams) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const px = await PortworxSimulator.start({ mesosUrl: url, mesosReconnectMs: 20 });
    cleanups.push(() => px.stop());
    expect(px.nodes().map((n) => [n.hostname, n.topology.rack])).toEqual([
      ['agent-1', 'rack-a'],
      ['agent-2', 'rack-b'],
    ]);
    await until(() => streams.size === 1, 'the first SUBSCRIBE');
    // AGENT_ADDED adds a node.
    const added = agent('a-3', 'agent-3', 'rack-c');
    for (const s of streams) s.write(encodeRecord(JSON.stringify({ type: 'AGENT_ADDED', agent_added: { agent: added } })));
    await until(() => px.nodes().length === 3, 'agent-3 to be added');
    // The master forgets agent-2, then the stream ends: the next SUBSCRIBED snapshot reconciles.
    agents = [agents[0]!, added];
    for (const s of streams) s.end();
    await until(() => px.nodes().find((n) => n.hostname === 'agent-2')!.online === false, 'agent-2 to go offline');
    expect(px.nodes().filter((n) => n.online).map((n) => n.hostname)).toEqual(['agent-1', 'agent-3']);
  });
});

function agent(id: string, hostname: string, rack: string) {
  return {
    agent_info: {
      hostname,
      id: { value: id },
      port: 5051,
      attributes: [{ name: 'rack', type: 'TEXT', text: { value: rack } }],
      domain: { fault_domain: { region: { name: 'region-1' }, zone: { name: 'zone-1' } } },
    },
    active: true,
    version: '1.4.0',
  };
}
