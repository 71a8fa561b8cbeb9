import { describe, expect, it } from 'vitest';
import {
  buildPlacementIndex,
  evaluateOffers,
  PlacementInputError,
  PlacementMemory,
  podRequestFor,
  type PlacementConstraint,
} from '../../src/placement';
import { parseSpec } from '../../src/service-spec';
import { makeCluster, makeRequest, placePods } from './fixtures';

describe('evaluateOffers', () => {
  it('judges no offers as no fit, and debug offers says so (all of a big round taken)', () => {
    const { view } = makeCluster({ agents: 3 });
    const memory = new PlacementMemory({ now: () => new Date(0) });
    const result = evaluateOffers(makeRequest(), [], buildPlacementIndex(view), { detail: 'summary', memory, trusted: true });
    expect(result).toEqual({ evaluations: [] });
    expect(memory.explain('node-0')).toEqual(['cassandra node-0 at 1970-01-01T00:00:00.000Z: no offer fits among 0 offer(s); soft convergence']);
  });

  it('returns one evaluation per offer, in offer order, each with all four stage outcomes', () => {
    const { view, offers } = makeCluster({ agents: 4 });
    const result = evaluateOffers(makeRequest(), offers, view);
    expect(result.evaluations.map((e) => e.offerId)).toEqual(offers.map((o) => o.offerId));
    for (const e of result.evaluations) {
      expect(e.outcomes.map((o) => o.stage)).toEqual(['resources', 'constraints', 'storage-health', 'volume-locality']);
      expect(e.outcomes.every((o) => o.reason.length > 0)).toBe(true);
    }
  });

  it('chooses nothing when no offer passes', () => {
    const { view, offers } = makeCluster({ agents: 2, cpus: 0.5 });
    const result = evaluateOffers(makeRequest({ cpus: 1 }), offers, view);
    expect(result.chosen).toBeUndefined();
    expect(result.evaluations.every((e) => !e.pass)).toBe(true);
  });

  it('among equal scores prefers the rack and zone with the fewest pods of the type', () => {
    const { view, offers } = makeCluster({ agents: 6, racks: 3, zones: 3 });
    const crowded = placePods(view, 'node', { 'agent-0': ['node-1'], 'agent-1': ['node-2'] });
    const result = evaluateOffers(makeRequest(), offers, crowded);
    expect(result.chosen?.hostname).toBe('agent-2'); // rack-2 and zone-2 are empty
  });

  it('breaks remaining ties by agentId, so the choice is deterministic', () => {
    const { view, offers } = makeCluster({ agents: 6 });
    const forward = evaluateOffers(makeRequest(), offers, view);
    const backward = evaluateOffers(makeRequest(), [...offers].reverse(), view);
    expect(forward.chosen?.agentId).toBe('id-00000');
    expect(backward.chosen?.agentId).toBe('id-00000');
  });

  it("does not count the pod's own recorded placement against it (relaunch in place)", () => {
    const { view, offers } = makeCluster({ agents: 2 });
    const here = placePods(view, 'node', { 'agent-0': ['node-0'] });
    const unique: PlacementConstraint[] = [{ field: 'hostname', operator: 'UNIQUE' }];
    const index = buildPlacementIndex(here);
    const result = evaluateOffers(makeRequest({ index: 0, constraints: unique }), offers, index);
    expect(result.evaluations[0]!.pass).toBe(true);
    // and the index still holds the pod afterwards
    expect(index.count('node', 'hostname', 'agent-0')).toBe(1);
    const other = evaluateOffers(makeRequest({ index: 1, constraints: unique }), offers, index);
    expect(other.evaluations[0]!.pass).toBe(false);
  });

  it('reuses one index across a round, updated by recordPlacement', () => {
    const { view, offers } = makeCluster({ agents: 3 });
    const index = buildPlacementIndex(view);
    const unique: PlacementConstraint[] = [{ field: 'hostname', operator: 'UNIQUE' }];
    const hosts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const result = evaluateOffers(makeRequest({ index: i, constraints: unique }), offers, index);
      const offer = offers.find((o) => o.offerId === result.chosen!.offerId)!;
      index.recordPlacement('node', `node-${i}`, offer);
      hosts.push(offer.hostname);
    }
    expect(new Set(hosts).size).toBe(3);
    expect(evaluateOffers(makeRequest({ index: 3, constraints: unique }), offers, index).chosen).toBeUndefined();
    index.removePlacement('node-1');
    expect(evaluateOffers(makeRequest({ index: 3, constraints: unique }), offers, index).chosen?.hostname).toBe(hosts[1]);
  });

  it('rejects a malformed request with a PlacementInputError naming the field', () => {
    const { view, offers } = makeCluster({ agents: 1 });
    const bad = { ...makeRequest(), cpus: -1 };
    expect(() => evaluateOffers(bad, offers, view)).toThrow(PlacementInputError);
    expect(() => evaluateOffers(bad, offers, view)).toThrow(/cpus/);
  });

  it('rejects a malformed cluster view', () => {
    const { offers } = makeCluster({ agents: 1 });
    const view = { agents: [{ agentId: 'a' }], storage: {} } as never;
    expect(() => evaluateOffers(makeRequest(), offers, view)).toThrow(/invalid cluster view: agents\[0\]\.hostname/);
  });
});

describe('podRequestFor', () => {
  const spec = parseSpec(`
name: cassandra
pods:
  node:
    count: 3
    cpus: 1
    mem: 2048
    disk: 100
    ports: [{name: native, port: 9042}, {name: jmx}]
    placement: "hostname:UNIQUE"
    command: run
    volumes:
      - {name: data, path: /data, size: 10, repl: 2}
      - {name: logs, path: /logs, size: 1, repl: 1}
convergence: {mode: hard}
`);

  it('builds the request from the spec, with deterministic volume names and what exists now', () => {
    const req = podRequestFor(spec, 'node', 2, {
      existingVolumes: { 'cassandra-node-2-data': ['agent-1', 'agent-4'] },
      overhead: { cpus: 0.1, mem: 32 },
    });
    expect(req).toEqual({
      service: 'cassandra',
      podType: 'node',
      index: 2,
      cpus: 1.1,
      mem: 2080,
      disk: 100,
      ports: 2,
      fixedPorts: [9042],
      constraints: [{ field: 'hostname', operator: 'UNIQUE' }],
      volumes: [
        { name: 'cassandra-node-2-data', exists: true, replicaHosts: ['agent-1', 'agent-4'] },
        { name: 'cassandra-node-2-logs', exists: false, replicaHosts: [] },
      ],
      convergence: { mode: 'hard', softWaitExpired: false },
    });
  });

  it('takes the existing volumes from a Map as from a record, and carries the spread policy it is given', () => {
    const existing = { 'cassandra-node-2-data': ['agent-1', 'agent-4'] };
    const fromMap = podRequestFor(spec, 'node', 2, { existingVolumes: new Map(Object.entries(existing)), spread: 'break' });
    expect(fromMap).toEqual({ ...podRequestFor(spec, 'node', 2, { existingVolumes: existing }), spread: 'break' });
  });

  it('asks the offer for no ports when the pods are on a virtual network without port mapping (DC/OS overlay)', () => {
    const overlay = parseSpec(`name: cassandra
network: {name: dcos}
pods:
  node:
    count: 1
    cpus: 1
    mem: 2048
    ports: [{name: native, port: 9042}, {name: jmx}]
    command: run
`);
    expect(podRequestFor(overlay, 'node', 0)).toMatchObject({ ports: 0, fixedPorts: [] });
    const mapped = parseSpec(`name: cassandra
network: {name: mesos-bridge}
pods:
  node:
    count: 1
    cpus: 1
    mem: 2048
    ports: [{name: native, port: 9042}, {name: jmx}]
    command: run
`);
    expect(podRequestFor(mapped, 'node', 0)).toMatchObject({ ports: 2, fixedPorts: [9042] });
  });

  it('refuses an unknown pod type', () => {
    expect(() => podRequestFor(spec, 'seed', 0)).toThrow(/no pod type 'seed'/);
  });
});
