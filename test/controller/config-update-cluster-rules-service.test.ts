import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SimulatedCluster } from '../../src/sandbox/simulated-cluster';
import { SchedulerService } from '../../src/controller/scheduler-service';
import { parseSpec } from '../../src/service-spec';
import { bucketName } from '../../src/state/state-store';
import { SHARED_NATS_URL } from '../helpers/nats-server';
import { frameworkYaml } from '../e2e/helpers';
import { cli } from '../e2e/helpers-ops';

/*
 * A scheduler started as `pxfw run` starts it (SchedulerService with clusterRules, the spec parsed
 * with them) refuses, over the command service, a config update it would have refused at start:
 * HDFS without its image mounts /hadoop/... on the agent host. Without the option (the sandbox) the
 * structural rules only: the same file gets past the parse (to the diff, which restarts the pods).
 */
describe('config update over NATS holds the new spec to the cluster rules of pxfw run', () => {
  let nc: NatsConnection;
  let cluster: SimulatedCluster;
  const started: { service: SchedulerService; name: string }[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'pxfw-config-rules-'));

  beforeAll(async () => {
    nc = await connect({ servers: SHARED_NATS_URL });
    cluster = await SimulatedCluster.start({ agents: 3, racks: 3, speed: 10, nc });
  });
  afterAll(async () => {
    for (const s of started) await s.service.stop().catch(() => undefined);
    await cluster.stop();
    // Only the state buckets this test created.
    for (const s of started) await (await new Kvm(nc).open(bucketName(s.name))).destroy().catch(() => undefined);
    await nc.close();
  });

  async function start(clusterRules: boolean | undefined) {
    const { yaml, name } = frameworkYaml('hdfs');
    const service = await SchedulerService.start({
      spec: parseSpec(yaml, undefined, { clusterRules: clusterRules === true }),
      specYaml: yaml,
      mesosUrl: cluster.mesos.url,
      portworxUrl: cluster.portworx.url,
      portworxLegacyUrl: cluster.portworx.url,
      nc,
      instanceId: `config-rules-${name}`,
      agentUrl: (id) => cluster.mesos.agentUrl(id),
      speed: 10,
      ...(clusterRules === undefined ? {} : { clusterRules }),
    });
    started.push({ service, name });
    const noImage = join(dir, `${name}-no-image.yml`);
    writeFileSync(noImage, yaml.replace(/^ {4}image: .*\n/gm, ''));
    expect(yaml).toMatch(/^ {4}image: /m);
    return { name, noImage };
  }

  it('started with clusterRules: an update dropping the image of pods with absolute volume paths is refused, naming the path', { timeout: 60_000 }, async () => {
    const { name, noImage } = await start(true);
    const r = await cli(name, 'config', 'update', noImage, '--yes');
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/400 INVALID_REQUEST: .*pods\.journal\.volumes\[0\]\.path: '\/hadoop\/journal' is absolute but pod type 'journal' has no image/);
  });

  it('started without (the sandbox): the same file passes the parse', { timeout: 60_000 }, async () => {
    const { name, noImage } = await start(undefined);
    const r = await cli(name, 'config', 'update', noImage, '--yes');
    expect(r.err).not.toMatch(/has no image/);
  });
});
