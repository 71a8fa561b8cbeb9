import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors';
import { NODE_HEADER, PortworxClient, defaultLegacyUrl } from '../../src/portworx';
import { FakeSdk } from './fake-sdk';

describe('PortworxClient headers and node routing', () => {
  let sdk: FakeSdk;
  let nodeSdk: FakeSdk;

  beforeEach(async () => {
    sdk = await FakeSdk.start();
    nodeSdk = await FakeSdk.start();
    for (const fake of [sdk, nodeSdk]) {
      fake.reply('POST /v1/mountattach/attach', 200, { device_path: '/dev/pxd/pxd1' });
      fake.reply('POST /v1/mountattach/mount', 200, {});
      fake.reply('POST /v1/mountattach/unmount', 200, {});
      fake.reply('POST /v1/mountattach/detach', 200, {});
      fake.reply('GET /v1/nodes/inspectcurrent', 200, { node: { id: 'n2', hostname: 'agent-2' } });
      fake.reply('GET /v1/volumes', 200, { volume_ids: [] });
    }
  });
  afterEach(async () => {
    await sdk.close();
    await nodeSdk.close();
  });

  it('sends the bearer token as "Authorization: bearer <token>" on every call', async () => {
    const client = new PortworxClient({ url: sdk.url, token: 'jwt.abc.def' });
    await client.enumerateVolumes();
    await client.attach('v1');
    expect(sdk.seen.map((s) => s.headers.authorization)).toEqual(['bearer jwt.abc.def', 'bearer jwt.abc.def']);
  });

  it('sends no Authorization header when no token is configured', async () => {
    const client = new PortworxClient({ url: sdk.url });
    await client.enumerateVolumes();
    expect(sdk.seen[0]!.headers.authorization).toBeUndefined();
  });

  it('names the target node in the x-pxfw-node header for node-local calls', async () => {
    const client = new PortworxClient({ url: sdk.url });
    const { devicePath } = await client.attach('v1', { node: 'agent-2' });
    await client.mount('v1', '/var/lib/pxfw/v1', { node: 'agent-2' });
    await client.unmount('v1', '/var/lib/pxfw/v1', { node: 'agent-2', deleteMountPath: true });
    await client.detach('v1', { node: 'agent-2', force: true, unmountBeforeDetach: true });
    await client.inspectCurrentNode({ node: 'agent-2' });
    expect(devicePath).toBe('/dev/pxd/pxd1');
    expect(sdk.seen.map((s) => s.headers[NODE_HEADER])).toEqual(Array(5).fill('agent-2'));
    expect(sdk.seen[0]!.body).toEqual({ volume_id: 'v1' });
    expect(sdk.seen[1]!.body).toEqual({ volume_id: 'v1', mount_path: '/var/lib/pxfw/v1' });
    expect(sdk.seen[2]!.body).toEqual({ volume_id: 'v1', mount_path: '/var/lib/pxfw/v1', options: { delete_mount_path: true } });
    expect(sdk.seen[3]!.body).toEqual({ volume_id: 'v1', options: { force: true, unmount_before_detach: true } });
  });

  it('omits the node header when no node is given', async () => {
    const client = new PortworxClient({ url: sdk.url });
    await client.attach('v1');
    expect(sdk.seen[0]!.headers[NODE_HEADER]).toBeUndefined();
  });

  it("sends node-local calls to the node's own endpoint when a resolver is configured", async () => {
    const asked: string[] = [];
    const client = new PortworxClient({
      url: sdk.url,
      nodeEndpoint: (node) => {
        asked.push(node);
        return nodeSdk.url;
      },
    });
    await client.attach('v1', { node: 'agent-2' });
    await client.enumerateVolumes();
    expect(asked).toEqual(['agent-2']);
    expect(nodeSdk.count('POST /v1/mountattach/attach')).toBe(1);
    expect(nodeSdk.seen[0]!.headers[NODE_HEADER]).toBe('agent-2');
    expect(sdk.count('POST /v1/mountattach/attach')).toBe(0);
    expect(sdk.count('GET /v1/volumes')).toBe(1);
  });

  it('rejects options that are not usable, naming the field', () => {
    expect(() => new PortworxClient({ url: 'not a url' })).toThrow(ValidationError);
    expect(() => new PortworxClient({ url: 'http://h:9021', timeoutMs: 0 })).toThrow(/timeoutMs/);
  });

  it('rejects a relative mount path before sending', async () => {
    const client = new PortworxClient({ url: sdk.url });
    await expect(client.mount('v1', 'relative/path')).rejects.toThrow(/absolute path/);
    expect(sdk.seen).toHaveLength(0);
  });

  it('derives the legacy REST URL from the SDK URL on port 9001', () => {
    expect(defaultLegacyUrl('http://px-1.example:9021')).toBe('http://px-1.example:9001');
    expect(defaultLegacyUrl('https://10.0.0.5:9021/sdk')).toBe('https://10.0.0.5:9001');
  });
});
