import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  PortworxClient,
  PortworxConnectionError,
  PortworxNotFoundError,
  PortworxTimeoutError,
  PortworxUnavailableError,
} from '../../src/portworx';
import { FakeSdk, grpcError, sendJson, sleep } from './fake-sdk';
import { freePort } from '../helpers/nats-server';

const unavailable = grpcError(14, 'node is not in quorum');
const ok = (body: unknown) => ({ status: 200, body });

describe('PortworxClient retries and timeouts', () => {
  let sdk: FakeSdk;
  let client: PortworxClient;

  beforeEach(async () => {
    sdk = await FakeSdk.start();
    client = new PortworxClient({ url: sdk.url, retries: 3, timeoutMs: 300, retryBackoff: { baseMs: 1, maxMs: 4 } });
  });
  afterEach(() => sdk.close());

  it('retries an idempotent inspect on UNAVAILABLE until it succeeds', async () => {
    sdk.sequence('GET /v1/volumes/inspect/v1', [unavailable, unavailable, ok({ volume: { id: 'v1' } })]);
    const v = await client.inspectVolume('v1');
    expect(v.volume.id).toBe('v1');
    expect(sdk.count('GET /v1/volumes/inspect/v1')).toBe(3);
  });

  it('gives up after the configured number of retries and surfaces the last error', async () => {
    sdk.sequence('GET /v1/nodes/filters', [unavailable]);
    await expect(client.enumerateNodes()).rejects.toBeInstanceOf(PortworxUnavailableError);
    expect(sdk.count('GET /v1/nodes/filters')).toBe(4);
  });

  it('does not retry an idempotent call on a non-retryable error', async () => {
    const nf = grpcError(5, 'no such node');
    sdk.sequence('GET /v1/nodes/inspect/n9', [nf, ok({ node: { id: 'n9' } })]);
    await expect(client.inspectNode('n9')).rejects.toBeInstanceOf(PortworxNotFoundError);
    expect(sdk.count('GET /v1/nodes/inspect/n9')).toBe(1);
  });

  it('never retries attach, mount, snapshot create or restore automatically', async () => {
    for (const route of [
      'POST /v1/mountattach/attach',
      'POST /v1/mountattach/mount',
      'POST /v1/volumes/snapshots',
      'POST /v1/volumes/snapshots/restore',
    ]) {
      sdk.sequence(route, [unavailable, ok({ device_path: '/dev/pxd/1', snapshot_id: 's' })]);
    }
    await expect(client.attach('v1', { node: 'n1' })).rejects.toBeInstanceOf(PortworxUnavailableError);
    await expect(client.mount('v1', '/mnt/v1', { node: 'n1' })).rejects.toBeInstanceOf(PortworxUnavailableError);
    await expect(client.createSnapshot('v1', 'snap')).rejects.toBeInstanceOf(PortworxUnavailableError);
    await expect(client.restoreSnapshot('v1', 's')).rejects.toBeInstanceOf(PortworxUnavailableError);
    expect(sdk.count('POST /v1/mountattach/attach')).toBe(1);
    expect(sdk.count('POST /v1/mountattach/mount')).toBe(1);
    expect(sdk.count('POST /v1/volumes/snapshots')).toBe(1);
    expect(sdk.count('POST /v1/volumes/snapshots/restore')).toBe(1);
  });

  it('retries detach, unmount, delete and create-by-name, which converge when repeated', async () => {
    for (const route of [
      'POST /v1/mountattach/detach',
      'POST /v1/mountattach/unmount',
      'DELETE /v1/volumes/v1',
    ]) {
      sdk.sequence(route, [unavailable, ok({})]);
    }
    sdk.sequence('POST /v1/volumes', [unavailable, ok({ volume_id: 'v1' })]);
    await client.detach('v1', { force: true, node: 'n1' });
    await client.unmount('v1', '/mnt/v1', { node: 'n1' });
    await expect(client.deleteVolume('v1')).resolves.toEqual({ alreadyGone: false });
    await expect(client.createVolume({ name: 'd', spec: { size: 1, ha_level: 1 } })).resolves.toBe('v1');
    for (const route of ['POST /v1/mountattach/detach', 'POST /v1/mountattach/unmount', 'DELETE /v1/volumes/v1', 'POST /v1/volumes']) {
      expect(sdk.count(route)).toBe(2);
    }
  });

  it('times out a call that gets no answer and retries it when idempotent', async () => {
    let n = 0;
    sdk.on('GET /v1/clusters/inspectcurrent', async (_req, res) => {
      if (n++ === 0) await sleep(1_000);
      if (!res.destroyed) sendJson(res, 200, { cluster: { id: 'c1', name: 'px', status: 'STATUS_OK' } });
    });
    const cluster = await client.inspectCluster();
    expect(cluster).toEqual({ id: 'c1', name: 'px', status: 'STATUS_OK' });
    expect(n).toBe(2);
  });

  it('surfaces a timeout of a non-idempotent call as PortworxTimeoutError after one attempt', async () => {
    sdk.on('POST /v1/mountattach/attach', async (_req, res) => {
      await sleep(1_000);
      if (!res.destroyed) sendJson(res, 200, {});
    });
    const started = Date.now();
    const err = await client.attach('v1').catch((x: unknown) => x);
    expect(err).toBeInstanceOf(PortworxTimeoutError);
    expect((err as PortworxTimeoutError).retryable).toBe(true);
    expect((err as PortworxTimeoutError).timeoutMs).toBe(300);
    expect(Date.now() - started).toBeLessThan(900);
    expect(sdk.count('POST /v1/mountattach/attach')).toBe(1);
  });

  it('ends a call its caller aborts at once, and does not retry it', async () => {
    sdk.on('GET /v1/clusters/inspectcurrent', async (_req, res) => {
      await sleep(1_000);
      if (!res.destroyed) sendJson(res, 200, { cluster: { id: 'c1', name: 'px', status: 'STATUS_OK' } });
    });
    const ac = new AbortController();
    const started = Date.now();
    const call = client.inspectCluster({ signal: ac.signal }).catch((x: unknown) => x);
    setTimeout(() => ac.abort(), 50);
    const err = await call;
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(PortworxTimeoutError);
    expect(Date.now() - started).toBeLessThan(280);
    expect(sdk.count('GET /v1/clusters/inspectcurrent')).toBe(1);
  });

  it('reports a refused connection as a retryable PortworxConnectionError', async () => {
    const port = await freePort();
    const dead = new PortworxClient({ url: `http://127.0.0.1:${port}`, retries: 1, retryBackoff: { baseMs: 1, maxMs: 1 } });
    const err = await dead.inspectCluster().catch((x: unknown) => x);
    expect(err).toBeInstanceOf(PortworxConnectionError);
    expect((err as PortworxConnectionError).retryable).toBe(true);
    expect((err as PortworxConnectionError).httpStatus).toBeUndefined();
  });
});
