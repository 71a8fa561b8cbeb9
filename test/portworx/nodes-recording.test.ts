import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PortworxClient, PortworxTimeoutError } from '../../src/portworx';
import { Recorder } from '../../src/record/recorder';
import { FakeSdk, grpcError, sendJson, sleep } from './fake-sdk';

const node = (id: string, host: string, rack: string) => ({
  id,
  hostname: host,
  scheduler_node_name: host,
  status: 'STATUS_OK',
  mgmt_ip: '127.0.0.1',
  mem_total: '8589934592',
  scheduler_topology: { labels: { 'topology.portworx.io/rack': rack, 'topology.portworx.io/zone': 'z1' } },
});

describe('PortworxClient nodes and cluster', () => {
  let sdk: FakeSdk;
  let client: PortworxClient;

  beforeEach(async () => {
    sdk = await FakeSdk.start();
    client = new PortworxClient({ url: sdk.url, retries: 0 });
  });
  afterEach(() => sdk.close());

  it('enumerates nodes with their details through GET /v1/nodes/filters', async () => {
    sdk.reply('GET /v1/nodes/filters', 200, { nodes: [node('n1', 'agent-1', 'r1'), node('n2', 'agent-2', 'r2')] });
    const nodes = await client.enumerateNodes();
    expect(nodes.map((n) => [n.id, n.scheduler_node_name, n.scheduler_topology?.labels?.['topology.portworx.io/rack']])).toEqual([
      ['n1', 'agent-1', 'r1'],
      ['n2', 'agent-2', 'r2'],
    ]);
    expect(nodes[0]!.mem_total).toBe('8589934592');
  });

  it('falls back to enumerate ids and inspect each when the filters route is unimplemented', async () => {
    const e = grpcError(12, 'not implemented');
    sdk.reply('GET /v1/nodes/filters', e.status, e.body);
    sdk.reply('GET /v1/nodes', 200, { node_ids: ['n1', 'n2'] });
    sdk.reply('GET /v1/nodes/inspect/n1', 200, { node: node('n1', 'agent-1', 'r1') });
    sdk.reply('GET /v1/nodes/inspect/n2', 200, { node: { ...node('n2', 'agent-2', 'r2'), status: 'STATUS_OFFLINE' } });
    const nodes = await client.enumerateNodes();
    expect(nodes.map((n) => [n.id, n.status])).toEqual([
      ['n1', 'STATUS_OK'],
      ['n2', 'STATUS_OFFLINE'],
    ]);
  });

  it('inspects the current node and the cluster', async () => {
    sdk.reply('GET /v1/nodes/inspectcurrent', 200, { node: node('n1', 'agent-1', 'r1') });
    sdk.reply('GET /v1/clusters/inspectcurrent', 200, { cluster: { id: 'px-cluster', name: 'px', status: 'STATUS_OK' } });
    expect((await client.inspectCurrentNode()).hostname).toBe('agent-1');
    expect(await client.inspectCluster()).toEqual({ id: 'px-cluster', name: 'px', status: 'STATUS_OK' });
  });
});

describe('PortworxClient recording', () => {
  let sdk: FakeSdk;
  let dir: string;

  beforeEach(async () => {
    sdk = await FakeSdk.start();
    dir = mkdtempSync(join(tmpdir(), 'pxfw-px-rec-'));
  });
  afterEach(async () => {
    await sdk.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const lines = () =>
    readFileSync(join(dir, 'portworx.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('appends one line per exchange to DIR/portworx.jsonl with the JSON bodies', async () => {
    const client = new PortworxClient({ url: sdk.url, recorder: Recorder.toDir(dir), retries: 0 });
    sdk.reply('POST /v1/volumes', 200, { volume_id: 'v1' });
    const nf = grpcError(5, 'gone');
    sdk.reply('DELETE /v1/volumes/v2', nf.status, nf.body);
    await client.createVolume({ name: 'data', spec: { size: 1024, ha_level: 2 } });
    await client.deleteVolume('v2');
    const rec = lines();
    expect(rec).toHaveLength(2);
    expect(rec[0]).toMatchObject({
      method: 'POST',
      path: '/v1/volumes',
      status: 200,
      request: { name: 'data', spec: { size: '1024', ha_level: '2' } },
      response: { volume_id: 'v1' },
    });
    expect(typeof rec[0]!.ts).toBe('string');
    expect(rec[1]).toMatchObject({ method: 'DELETE', path: '/v1/volumes/v2', status: 404, request: null, response: nf.body });
  });

  it('records an exchange that got no answer with status 0 and a null response, once per attempt', async () => {
    const client = new PortworxClient({
      url: sdk.url,
      recorder: Recorder.toDir(dir),
      timeoutMs: 100,
      retries: 1,
      retryBackoff: { baseMs: 1, maxMs: 1 },
    });
    sdk.on('GET /v1/volumes/inspect/v1', async (_req, res) => {
      await sleep(500);
      if (!res.destroyed) sendJson(res, 200, {});
    });
    await expect(client.inspectVolume('v1')).rejects.toBeInstanceOf(PortworxTimeoutError);
    expect(lines()).toEqual([
      expect.objectContaining({ method: 'GET', path: '/v1/volumes/inspect/v1', status: 0, request: null, response: null }),
      expect.objectContaining({ status: 0 }),
    ]);
  });
});
