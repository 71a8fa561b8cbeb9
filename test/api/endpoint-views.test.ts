import { describe, expect, it } from 'vitest';
import { endpointNamed, endpointViews } from '../../src/api/endpoint-views';
import { podPorts } from '../../src/mesos/task-group-ports';
import { parseSpec } from '../../src/service-spec';

const podTypes = { node: { ports: [{ name: 'native', port: 9042 }, { name: 'jmx', port: 7199 }] }, seed: {} };
const pods = [
  { name: 'node-1', podType: 'node', hostname: 'agent-2', running: true },
  { name: 'node-0', podType: 'node', hostname: 'agent-1', running: true },
  { name: 'node-2', podType: 'node', hostname: 'agent-3', running: false },
];

describe('endpoints: agent addresses and the DC/OS DNS names of each pod type port', () => {
  it('lists host:port and <task>.<service>.autoip.dcos.thisdcos.directory:port of the running pods, by index', () => {
    const list = endpointViews('cassandra', podTypes, pods);
    expect(list.map((e) => e.name)).toEqual(['node-native', 'node-jmx']);
    expect(list[0]).toEqual({
      name: 'node-native',
      podType: 'node',
      port: 'native',
      addresses: ['agent-1:9042', 'agent-2:9042'],
      dns: ['node-0.cassandra.autoip.dcos.thisdcos.directory:9042', 'node-1.cassandra.autoip.dcos.thisdcos.directory:9042'],
    });
  });

  it('finds one by name, or names the endpoints there are', () => {
    const list = endpointViews('cassandra', podTypes, pods);
    expect(endpointNamed(list, 'node-jmx').addresses).toEqual(['agent-1:7199', 'agent-2:7199']);
    expect(() => endpointNamed(list, 'native')).toThrow("no endpoint 'native' (endpoints: node-native, node-jmx)");
  });
});

describe('endpoints on a virtual network', () => {
  const overlay = { name: 'dcos', labels: {}, hostPorts: false };
  const withDynamic = { node: { ports: [{ name: 'native', port: 9042 }, { name: 'admin' }, { name: 'gossip', port: 1025 }, { name: 'metrics' }] } };

  it('without port mapping (dcos overlay): the address is the pod autoip name and container port, not agent:port', () => {
    const list = endpointViews('cassandra', podTypes, pods, overlay);
    expect(list[0]).toMatchObject({
      name: 'node-native',
      addresses: ['node-0.cassandra.autoip.dcos.thisdcos.directory:9042', 'node-1.cassandra.autoip.dcos.thisdcos.directory:9042'],
      dns: ['node-0.cassandra.autoip.dcos.thisdcos.directory:9042', 'node-1.cassandra.autoip.dcos.thisdcos.directory:9042'],
    });
    expect(list.flatMap((e) => e.addresses).some((a) => a.startsWith('agent-'))).toBe(false);
  });

  it('dynamic ports are the container ports every launch takes (the lowest free from 1025), not ?', () => {
    const list = endpointViews('cassandra', withDynamic, pods, overlay);
    expect(list.map((e) => [e.name, e.addresses[0]!.split(':')[1]])).toEqual([
      ['node-native', '9042'],
      ['node-admin', '1026'],
      ['node-gossip', '1025'],
      ['node-metrics', '1027'],
    ]);
    const spec = parseSpec(
      'name: cassandra\nnetwork: {name: dcos}\npods:\n  node:\n    count: 1\n    cpus: 1\n    mem: 256\n    command: sleep 1\n    ports:\n      - {name: native, port: 9042}\n      - {name: admin}\n      - {name: gossip, port: 1025}\n      - {name: metrics}\n',
    );
    const launched = podPorts(spec, spec.pods.node!, [{ begin: 31000, end: 32000 }]);
    expect(launched.hostPorts).toBe(false);
    expect(endpointViews('cassandra', spec.pods, pods, spec.network).map((e) => Number(e.addresses[0]!.split(':')[1]))).toEqual(launched.ports);
  });

  it('with port mapping (mesos-bridge, or host_ports: true): agent:port, as on the host network', () => {
    const bridge = endpointViews('cassandra', podTypes, pods, { name: 'mesos-bridge', labels: {}, hostPorts: true });
    expect(bridge[0]!.addresses).toEqual(['agent-1:9042', 'agent-2:9042']);
    expect(bridge).toEqual(endpointViews('cassandra', podTypes, pods));
  });
});
