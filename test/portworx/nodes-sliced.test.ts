import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PortworxClient, PortworxProtocolError } from '../../src/portworx';
import { WorkBudget } from '../../src/util/work-budget';
import { FakeSdk } from './fake-sdk';

/** A storage node as the simulator renders one (~600 bytes): 2,000 of them are ~1.2 MB of JSON. */
const node = (i: number): Record<string, unknown> => ({
  id: `0d3c5e2a-9b1f-4e47-8a36-${String(i).padStart(12, '0')}`,
  hostname: `agent-${i}.sim`,
  scheduler_node_name: `agent-${i}.sim`,
  status: 'STATUS_OK',
  mgmt_ip: `10.0.${i >> 8}.${i & 255}`,
  data_ip: `10.1.${i >> 8}.${i & 255}`,
  mem_total: '68719476736',
  mem_used: '1073741824',
  pools: [{ uuid: `pool-${i}`, total_size: '1099511627776', used: '0', labels: { medium: 'STORAGE_MEDIUM_SSD' } }],
  scheduler_topology: { labels: { 'topology.portworx.io/rack': `rack-${i % 20}`, 'topology.portworx.io/zone': `zone-${i % 3}` } },
  node_labels: { 'px/enabled': 'true' },
});

describe('PortworxClient.enumerateNodes with 2,000 storage nodes', () => {
  let sdk: FakeSdk;
  let client: PortworxClient;
  beforeEach(async () => {
    sdk = await FakeSdk.start();
    client = new PortworxClient({ url: sdk.url, retries: 0 });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    return sdk.close();
  });

  it('parses and checks the list a slice at a time: the event loop turns in between', async () => {
    const slices: number[] = [];
    const yieldOf = WorkBudget.prototype.yield;
    vi.spyOn(WorkBudget.prototype, 'yield').mockImplementation(function (this: WorkBudget) {
      slices.push(this.largestSliceUnits);
      return yieldOf.call(this);
    });
    sdk.reply('GET /v1/nodes/filters', 200, { nodes: Array.from({ length: 2_000 }, (_, i) => node(i)) });
    const nodes = await client.enumerateNodes();
    expect(nodes).toHaveLength(2_000);
    expect(nodes[1_999]).toMatchObject({ id: node(1_999).id, scheduler_node_name: 'agent-1999.sim', mem_total: '68719476736' });
    // 200 nodes checked per slice at most: at least 10 turns of the event loop for the checks alone.
    expect(slices.length).toBeGreaterThanOrEqual(10);
  });

  it('rejects a malformed node with the path of the node and field at fault', async () => {
    const nodes = Array.from({ length: 2_000 }, (_, i) => node(i));
    nodes[1_234] = { ...nodes[1_234], status: 7 };
    sdk.reply('GET /v1/nodes/filters', 200, { nodes });
    const err = await client.enumerateNodes().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortworxProtocolError);
    expect((err as Error).message).toMatch(/^unexpected response: nodes\.1234\.status: /);
  });

  it('reads an answer without nodes as none, and rejects one whose nodes are not a list', async () => {
    sdk.reply('GET /v1/nodes/filters', 200, {});
    expect(await client.enumerateNodes()).toEqual([]);
    sdk.reply('GET /v1/nodes/filters', 200, { nodes: { n1: node(1) } });
    await expect(client.enumerateNodes()).rejects.toThrow(/^unexpected response: nodes: Invalid input: expected array, received object/);
  });
});
