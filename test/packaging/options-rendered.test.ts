import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderMarathonApp } from '../../src/packaging';
import { parseSpec } from '../../src/service-spec';
import { PACKAGES_DIR } from './schemas';

const CASSANDRA = join(PACKAGES_DIR, 'pxfw-cassandra');

type App = Record<string, unknown> & { env: Record<string, unknown> };
const specOf = async (dir: string, options?: unknown) => parseSpec(String(((await renderMarathonApp(dir, options)) as App).env.PXFW_SPEC_YAML));

describe('every package option lands in the spec it claims to set', () => {
  it('service.name: cass2 names the Cassandra cluster cass2, not the framework default', async () => {
    const spec = await specOf(CASSANDRA, { service: { name: 'cass2' } });
    expect(spec.name).toBe('cass2');
    expect(spec.pods.node?.env.CASSANDRA_CLUSTER_NAME).toBe('cass2');
  });
});
