import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { agentHealthProbe, probationMs, replacementPolicy, storageOutagePolicy } from '../../src/controller/failure-policy';
import type { ServiceSpec } from '../../src/service-spec';
import { demoSpec, silentLogger } from './fixtures';

function withPolicy(spec: ServiceSpec, extra: Partial<ServiceSpec['failurePolicy']>): ServiceSpec {
  return { ...spec, failurePolicy: { ...spec.failurePolicy, ...extra } };
}

describe('failure policy as the runtime reads it', () => {
  it('falls back to the defaults for a spec object without the fields', () => {
    const bare = { ...demoSpec(), failurePolicy: { permanentFailureTimeout: 1200, autoReplace: true } } as unknown as ServiceSpec;
    expect(probationMs(bare)).toBe(10_000);
    expect(replacementPolicy(bare, 'node')).toEqual({ maxConcurrentReplacements: 1, maxUnavailable: 1 });
    expect(storageOutagePolicy(bare)).toEqual({ share: 0.4, minNodes: 2, windowMs: 60_000 });
  });

  it('defaults: 10 s probation, one replacement at a time, one pod down, outage at a third of the nodes (2+) within 60 s', () => {
    const spec = demoSpec();
    expect(probationMs(spec)).toBe(10_000);
    expect(probationMs(spec, 10)).toBe(1_000);
    expect(replacementPolicy(spec, 'node')).toEqual({ maxConcurrentReplacements: 1, maxUnavailable: 1 });
    expect(storageOutagePolicy(spec, 10)).toEqual({ share: 0.4, minNodes: 2, windowMs: 6_000 });
  });

  it('takes the spec values, max_unavailable per pod type', () => {
    const spec = withPolicy(demoSpec(), { probation: 30, maxConcurrentReplacements: 2, maxUnavailable: { node: 3 }, storageOutage: { share: 0.5, minNodes: 3, window: 120 } });
    expect(probationMs(spec)).toBe(30_000);
    expect(replacementPolicy(spec, 'node')).toEqual({ maxConcurrentReplacements: 2, maxUnavailable: 3 });
    expect(storageOutagePolicy(spec)).toEqual({ share: 0.5, minNodes: 3, windowMs: 120_000 });
  });
});

describe('agentHealthProbe (GET_HEALTH on the agent API)', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  async function agentAnswering(healthy: boolean): Promise<string> {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        expect(JSON.parse(body)).toEqual({ type: 'GET_HEALTH' });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ type: 'GET_HEALTH', get_health: { healthy } }));
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  }

  it('counts any answer, healthy or not, as an agent that answers', async () => {
    for (const healthy of [true, false]) {
      const url = await agentAnswering(healthy);
      const probe = agentHealthProbe({ agentUrl: () => url, timeScale: 1, logger: silentLogger() });
      await expect(probe('a1', 'h1')).resolves.toBe(true);
      server!.close();
    }
  });

  it('rejects when the agent cannot be reached (read as silent)', async () => {
    const probe = agentHealthProbe({ agentUrl: () => 'http://127.0.0.1:9', timeScale: 10, logger: silentLogger() });
    await expect(probe('a1', 'h1')).rejects.toBeDefined();
  });
});
