import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Offer } from '../../src/mesos';
import { podTask } from '../../src/mesos/task-group';
import { renderMarathonApp } from '../../src/packaging';
import { loadSpecFile, parseSpec, serviceUuid, type ServiceSpec } from '../../src/service-spec';
import { FRAMEWORKS_DIR, PACKAGES_DIR } from './schemas';

const KAFKA = join(PACKAGES_DIR, 'pxfw-kafka');

const specOf = async (options?: unknown) => {
  const app = (await renderMarathonApp(KAFKA, options)) as { env: Record<string, unknown> };
  return parseSpec(String(app.env.PXFW_SPEC_YAML), 'rendered', { clusterRules: true });
};

/** CLUSTER_ID broker-<index> is launched with. */
function clusterIdOf(spec: ServiceSpec, index = 0): string | undefined {
  const task = podTask({
    spec,
    pod: { podType: 'broker', index, name: `broker-${index}` },
    taskId: 't',
    frameworkId: 'f',
    offer: { id: { value: 'o' }, framework_id: { value: 'f' }, agent_id: { value: 'a' }, hostname: 'h', resources: [] } as Offer,
    offerPorts: [{ begin: 1025, end: 32000 }],
    volumes: [],
  });
  return task.env?.CLUSTER_ID;
}

/** What Kafka's Uuid.fromString accepts: base64url decoding to exactly 16 bytes (at most 24 characters). */
function isKafkaUuid(text: string): boolean {
  return /^[A-Za-z0-9_-]{22}$/.test(text) && Buffer.from(text, 'base64url').length === 16 && !text.startsWith('-');
}

describe('the KRaft cluster id of a Kafka service', () => {
  it('is derived from the service name: the same for every broker and every launch, another for another service', async () => {
    const kafka = await specOf();
    const id = clusterIdOf(kafka);
    expect(id).toBe(serviceUuid('kafka'));
    expect(clusterIdOf(kafka, 2)).toBe(id);
    expect(clusterIdOf(await specOf())).toBe(id);
    const other = clusterIdOf(await specOf({ service: { name: 'kafka-2' } }));
    expect(other).toBe(serviceUuid('kafka-2'));
    expect(other).not.toBe(id);
  });

  it('has the form kafka-storage.sh random-uuid prints (22 base64url characters of 16 bytes, no leading -)', () => {
    for (const name of ['kafka', 'kafka-2', 'events', 'a', 'x'.repeat(63)]) expect(isKafkaUuid(serviceUuid(name)), name).toBe(true);
    // The fixed default of the Kafka docker example is not what any service gets any more.
    expect(serviceUuid('kafka')).not.toBe('MkU3OEVBNTcwNTJENDM2Qk');
  });

  it('is the operator\'s when the package option sets one', async () => {
    expect(clusterIdOf(await specOf({ broker: { cluster_id: 'q1Sh-9_ITSWEUMNdTy3MkQ' } }))).toBe('q1Sh-9_ITSWEUMNdTy3MkQ');
  });

  it('is derived in the shipped spec run as it is (pxfw sandbox --framework kafka)', async () => {
    const spec = await loadSpecFile(join(FRAMEWORKS_DIR, 'kafka.yml'));
    expect(clusterIdOf(spec)).toBe(serviceUuid('kafka'));
  });
});
