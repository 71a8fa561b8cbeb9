import { describe, expect, it } from 'vitest';
import { endpointNamed, endpointViews } from '../../src/api/endpoint-views';

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
