import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeRecord } from '../../src/mesos/recordio';
import { MesosSimulator } from '../../src/sim/mesos';
import { PortworxSimulator } from '../../src/sim/portworx';
import { call } from './sdk-http';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

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

type FakeAgent = ReturnType<typeof agent>;

/** A Mesos master that answers GET_AGENTS and SUBSCRIBE with the agents given, and lets the test write events. */
async function fakeMaster(initial: FakeAgent[]) {
  let agents = initial;
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
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    streams,
    setAgents(next: FakeAgent[]) {
      agents = next;
    },
    send(event: unknown) {
      for (const s of streams) s.write(encodeRecord(JSON.stringify(event)));
    },
    endStreams() {
      for (const s of streams) s.end();
    },
    async close() {
      for (const s of streams) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const unreachable = (agentId: string) => ({
  type: 'TASK_UPDATED',
  task_updated: {
    framework_id: { value: 'fw' },
    state: 'TASK_UNREACHABLE',
    status: { task_id: { value: 't-1' }, state: 'TASK_UNREACHABLE', agent_id: { value: agentId } },
  },
});

describe('pxfw sim portworx --mesos: one Portworx node per Mesos agent', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function mirrorOf(agents: FakeAgent[], detectDelaySeconds: number) {
    const master = await fakeMaster(agents);
    cleanups.push(() => master.close());
    const px = await PortworxSimulator.start({ mesosUrl: master.url, mesosReconnectMs: 20, detectDelaySeconds });
    cleanups.push(() => px.stop());
    await until(() => master.streams.size === 1, 'the first SUBSCRIBE');
    const status = (host: string) => px.nodes().find((n) => n.hostname === host)!.status;
    return { master, px, status };
  }

  it('mirrors the agents of the Mesos simulator with hostname and topology, and takes a removed agent offline after the detection delay', async () => {
    const mesos = await MesosSimulator.start({ agents: 3, racks: 3 });
    cleanups.push(() => mesos.stop());
    const px = await PortworxSimulator.start({ mesosUrl: mesos.url, mesosReconnectMs: 50, detectDelaySeconds: 0.25 });
    cleanups.push(() => px.stop());
    const agents = mesos.agents();
    expect(px.nodes().map((n) => n.hostname).sort()).toEqual(agents.map((a) => a.hostname).sort());
    for (const a of agents) {
      expect(px.nodes().find((n) => n.hostname === a.hostname)!.topology).toEqual({ rack: a.rack, zone: a.zone, region: a.region });
    }
    const nodes = (await call(px.url, 'GET', '/v1/nodes/filters')).body.nodes;
    expect(nodes.every((n: any) => n.scheduler_node_name === n.hostname)).toBe(true);

    const host = agents[1]!.hostname;
    const status = () => px.nodes().find((n) => n.hostname === host)!.status;
    // Give the SUBSCRIBE stream a moment to be established before injecting faults.
    await sleep(300);
    const t0 = Date.now();
    mesos.killAgent(host);
    await until(() => status() === 'STATUS_OFFLINE', 'the removed agent to go offline');
    // Portworx notices on its own timing, not the moment Mesos does.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
    expect(px.alerts().filter((a) => a.resource === 'RESOURCE_TYPE_NODE' && !a.cleared).map((a) => a.message)).toEqual([
      expect.stringMatching(new RegExp(`^Node ${host} \\(.+\\) is offline$`)),
    ]);
  });

  it('takes a node offline the detection delay after a task of its agent goes TASK_UNREACHABLE, and back when the agent returns', async () => {
    const { master, status } = await mirrorOf([agent('a-1', 'agent-1', 'rack-a'), agent('a-2', 'agent-2', 'rack-b')], 0.3);
    const t0 = Date.now();
    master.send(unreachable('a-1'));
    master.send(unreachable('a-1'));
    await until(() => status('agent-1') === 'STATUS_OFFLINE', 'agent-1 offline');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    master.send({ type: 'AGENT_ADDED', agent_added: { agent: agent('a-1b', 'agent-1', 'rack-a') } });
    await until(() => status('agent-1') === 'STATUS_OK', 'agent-1 back');
  });

  it('forgets a loss that Mesos takes back before the detection delay has passed', async () => {
    const { master, px, status } = await mirrorOf([agent('a-1', 'agent-1', 'rack-a'), agent('a-2', 'agent-2', 'rack-b')], 2);
    master.send({ type: 'AGENT_REMOVED', agent_removed: { agent_id: { value: 'a-2' } } });
    await sleep(50);
    master.send({ type: 'AGENT_ADDED', agent_added: { agent: agent('a-2', 'agent-2', 'rack-b') } });
    await sleep(2300);
    expect(status('agent-2')).toBe('STATUS_OK');
    expect(px.alerts().filter((a) => a.resource === 'RESOURCE_TYPE_NODE')).toEqual([]);
  });

  it('leaves a status an operator set alone when a re-subscription lists the agent again', async () => {
    const { master, px, status } = await mirrorOf([agent('a-1', 'agent-1', 'rack-a')], 0);
    px.setNodeStatus('agent-1', 'STATUS_MAINTENANCE');
    master.endStreams();
    await until(() => master.streams.size === 1, 'the re-subscription');
    await sleep(100);
    expect(status('agent-1')).toBe('STATUS_MAINTENANCE');
  });

  it('reconnects when the operator stream ends and reconciles agents the master no longer lists', async () => {
    const agents = [agent('a-1', 'agent-1', 'rack-a'), agent('a-2', 'agent-2', 'rack-b')];
    const { master, px } = await mirrorOf(agents, 0.05);
    expect(px.nodes().map((n) => [n.hostname, n.topology.rack])).toEqual([
      ['agent-1', 'rack-a'],
      ['agent-2', 'rack-b'],
    ]);
    // AGENT_ADDED adds a node.
    const added = agent('a-3', 'agent-3', 'rack-c');
    master.send({ type: 'AGENT_ADDED', agent_added: { agent: added } });
    await until(() => px.nodes().length === 3, 'agent-3 to be added');
    // The master forgets agent-2, then the stream ends: the next SUBSCRIBED snapshot reconciles.
    master.setAgents([agents[0]!, added]);
    master.endStreams();
    await until(() => px.nodes().find((n) => n.hostname === 'agent-2')!.status === 'STATUS_OFFLINE', 'agent-2 to go offline');
    expect(px.nodes().filter((n) => n.status === 'STATUS_OK').map((n) => n.hostname)).toEqual(['agent-1', 'agent-3']);
    // Listed again: the mirror brings back the node it took down.
    master.setAgents([agents[0]!, agents[1]!, added]);
    master.endStreams();
    await until(() => px.nodes().find((n) => n.hostname === 'agent-2')!.status === 'STATUS_OK', 'agent-2 back');
  });

  it('keeps every node online through a master failover whose agents re-register over a window', async () => {
    const mesos = await MesosSimulator.start({ agents: 3, racks: 3, speed: 10 });
    cleanups.push(() => mesos.stop());
    const px = await PortworxSimulator.start({ mesosUrl: mesos.url, mesosReconnectMs: 20, detectDelaySeconds: 0.05 });
    cleanups.push(() => px.stop());
    await sleep(200);
    // A new master knows the agents from its registry (recovered_agents) before they re-register.
    mesos.failover({ reregisterWindowSeconds: 20 });
    const offline = () => px.nodes().filter((n) => n.status !== 'STATUS_OK').map((n) => n.hostname);
    const seen = new Set<string>();
    const end = Date.now() + 1500;
    while (Date.now() < end) {
      for (const h of offline()) seen.add(h);
      await sleep(20);
    }
    expect([...seen]).toEqual([]);
  });

  it('hears of a crashed and rebooted host from `sim mesos --portworx URL` through the host routes', async () => {
    const px = await PortworxSimulator.start({ hosts: 'agent-1,agent-2,agent-3', detectDelaySeconds: 0.2, bootSeconds: 0.1 });
    cleanups.push(() => px.stop());
    const mesos = await MesosSimulator.start({ agents: 3, racks: 3, portworxUrl: px.url });
    cleanups.push(() => mesos.stop());
    const node = () => px.nodes().find((n) => n.hostname === 'agent-2')!;
    const t0 = Date.now();
    mesos.crashAgent('agent-2');
    await until(() => node().hostDown, 'the crash to reach Portworx');
    expect(node().status).toBe('STATUS_OK');
    await until(() => node().status === 'STATUS_OFFLINE', 'the detection');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    mesos.restartAgent('agent-2', { newId: true });
    await until(() => node().status === 'STATUS_OK' && !node().hostDown, 'the boot');
  });
});
