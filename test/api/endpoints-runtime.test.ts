import { describe, expect, it } from 'vitest';
import { POD_TAGS } from '../../machines/pod-instance.logic';
import { runtimeEndpoints, type OperationViewsPort } from '../../src/controller/operation-views';
import type { EndpointView } from '../../src/api/operations';
import { parseSpec } from '../../src/service-spec';

/** The runtime's view of a service running `spec` with node-0 and node-1 on agent-1 and agent-2. */
function runtime(specYaml: string): OperationViewsPort {
  const pods = [0, 1].map((i) => ({ name: `node-${i}`, podType: 'node', actor: { getSnapshot: () => ({ hasTag: (t: string) => t === POD_TAGS.running }) }, hostname: `agent-${i + 1}` }));
  const registry = { all: () => pods, context: (e: (typeof pods)[number]) => ({ task: { hostname: e.hostname } }) };
  return { service: 'cassandra', spec: parseSpec(specYaml), registry, memory: {}, governor: {} } as unknown as OperationViewsPort;
}
const spec = (network: string) =>
  `name: cassandra\n${network}pods:\n  node:\n    count: 2\n    cpus: 1\n    mem: 256\n    command: sleep 1\n    ports:\n      - {name: native, port: 9042}\n      - {name: admin}\n`;
const addresses = (rt: OperationViewsPort) => (runtimeEndpoints(rt) as EndpointView[]).map((e) => [e.name, e.addresses]);

describe('pxfw <service> endpoints reads the spec network', () => {
  it('on the dcos overlay: each pod by its autoip name and container port', () => {
    expect(addresses(runtime(spec('network: {name: dcos}\n')))).toEqual([
      ['node-native', ['node-0.cassandra.autoip.dcos.thisdcos.directory:9042', 'node-1.cassandra.autoip.dcos.thisdcos.directory:9042']],
      ['node-admin', ['node-0.cassandra.autoip.dcos.thisdcos.directory:1025', 'node-1.cassandra.autoip.dcos.thisdcos.directory:1025']],
    ]);
  });

  it('on the host network: the agent and port', () => {
    expect(addresses(runtime(spec('')))[0]).toEqual(['node-native', ['agent-1:9042', 'agent-2:9042']]);
  });
});
