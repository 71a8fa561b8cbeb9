import { describe, expect, it } from 'vitest';
import { evaluateOffers } from '../../src/placement';
import { makeCluster, makeRequest, placePods } from './fixtures';

describe('even spread (GROUP_BY) against data locality: the spread policy decides', () => {
  // Six agents in three zones; node-1 and node-2 run in zones 1 and 2. node-0 lost its host
  // (agent-0, zone 0); its volume's other replica is on agent-1, in zone 1.
  const { view, offers } = makeCluster({ agents: 6, racks: 3, zones: 3 });
  const crowded = placePods(view, 'node', { 'agent-1': ['node-1'], 'agent-2': ['node-2'] });
  const lost = { ...crowded, storage: { ...crowded.storage, 'agent-0': 'down' as const } };
  const live = offers.filter((o) => o.hostname !== 'agent-0');
  const request = makeRequest({
    constraints: [{ field: '@zone', operator: 'GROUP_BY' }],
    volumes: [{ name: 'cassandra-node-0-data', exists: true, replicaHosts: ['agent-0', 'agent-1'] }],
    convergence: { mode: 'hard', softWaitExpired: false },
  });
  const constraintsOf = (result: ReturnType<typeof evaluateOffers>, host: string) =>
    result.evaluations.find((e) => e.hostname === host)!.outcomes.find((o) => o.stage === 'constraints')!;

  it('keep (the default): the holder in a zone that already has a pod is rejected, naming the constraint it would break', () => {
    const result = evaluateOffers(request, live, lost);
    expect(result.chosen).toBeUndefined();
    const holder = constraintsOf(result, 'agent-1');
    expect(holder.pass).toBe(false);
    expect(holder.reason).toMatch(/@zone:GROUP_BY fails: @zone=zone-1 has 1 node pod\(s\) while some @zone has 0/);
    expect(holder.reason).toMatch(/spread policy keep: a new replica goes where the constraints hold/);
  });

  it('keep: once a replica is on a host of the empty zone, the pod goes there', () => {
    const synced = { ...request, volumes: [{ ...request.volumes[0]!, replicaHosts: ['agent-0', 'agent-1', 'agent-3'] }] };
    const result = evaluateOffers(synced, live, lost);
    expect(result.chosen?.hostname).toBe('agent-3');
    expect(result.chosen?.breaks).toBeUndefined();
  });

  it('break: the pod follows its data onto the holder and the choice names the broken constraint', () => {
    const result = evaluateOffers({ ...request, spread: 'break' }, live, lost);
    expect(result.chosen?.hostname).toBe('agent-1');
    expect(result.chosen?.breaks).toEqual(['@zone:GROUP_BY']);
    expect(constraintsOf(result, 'agent-1').reason).toMatch(/@zone:GROUP_BY BROKEN by spread policy break/);
  });

  it('break: a holder that keeps every constraint is preferred, and nothing is broken', () => {
    const twoHolders = { ...request, spread: 'break' as const, volumes: [{ ...request.volumes[0]!, replicaHosts: ['agent-1', 'agent-3'] }] };
    const result = evaluateOffers(twoHolders, live, lost);
    expect(result.chosen?.hostname).toBe('agent-3');
    expect(result.chosen?.breaks).toBeUndefined();
    expect(constraintsOf(result, 'agent-1').pass).toBe(false);
  });

  it('keeps the spread for hosts that hold no replica, whatever the policy', () => {
    for (const spread of ['keep', 'break'] as const) {
      const result = evaluateOffers({ ...request, spread, convergence: { mode: 'soft', softWaitExpired: true } }, live, crowded);
      expect(constraintsOf(result, 'agent-4').pass).toBe(false);
    }
  });

  it('keeps the spread for a pod whose volumes are all new', () => {
    const fresh = makeRequest({ constraints: [{ field: '@zone', operator: 'GROUP_BY' }], volumes: [{ name: 'v', exists: false, replicaHosts: [] }] });
    const result = evaluateOffers(fresh, live, crowded);
    expect(result.chosen && ['agent-3'].includes(result.chosen.hostname)).toBe(true);
  });

  it('debug offers shows the broken constraint on the chosen offer and every rejected offer with its reasons', async () => {
    const { PlacementMemory } = await import('../../src/placement');
    const memory = new PlacementMemory();
    evaluateOffers({ ...request, spread: 'break' }, live, lost, { memory, detail: 'summary' });
    const lines = memory.explain('node-0');
    expect(lines.find((l) => l.startsWith('agent-1'))).toMatch(/CHOSEN .*BREAKS @zone:GROUP_BY/);
    for (const host of ['agent-2', 'agent-3', 'agent-4', 'agent-5']) {
      expect(lines.some((l) => l.startsWith(`agent-${host.slice(-1)}`) && /FAIL/.test(l)), host).toBe(true);
    }
  });
});

describe('fixed ports and replica pinning', () => {
  it('fails an offer that lacks one of the pod fixed ports, naming the port', async () => {
    const { resourcesStage, prepareStageContext, buildPlacementIndex } = await import('../../src/placement');
    const { view, offers } = makeCluster({ agents: 1 });
    const offer = { ...offers[0]!, ports: [{ begin: 1025, end: 9041 }, { begin: 9043, end: 32000 }] };
    const ctx = prepareStageContext(makeRequest({ ports: 1, fixedPorts: [9042] }), buildPlacementIndex(view));
    const outcome = resourcesStage.explain(offer, ctx);
    expect(outcome.pass).toBe(false);
    expect(outcome.reason).toMatch(/9042 not offered/);
  });

  it('pins the extra replicas on hosts that run no pod of the same type', async () => {
    const { pinReplicas } = await import('../../src/placement');
    // agent-0..5: rack-i%3. node-1 runs on agent-1 (rack-1), node-2 on agent-2 (rack-2).
    const { view } = makeCluster({ agents: 6, racks: 3, zones: 3 });
    const busy = placePods(view, 'node', { 'agent-1': ['node-1'], 'agent-2': ['node-2'] });
    for (const salt of ['a', 'b', 'c', 'd', 'e', 'f']) {
      const [, second] = pinReplicas('agent-0', 2, busy, { salt, podType: 'node' });
      expect(['agent-4', 'agent-5']).toContain(second);
    }
  });
});

describe('replica pinning over a whole deploy (hostname:UNIQUE, @zone:GROUP_BY: the shipped Cassandra spec)', () => {
  const constraints = [
    { field: 'hostname', operator: 'UNIQUE' as const },
    { field: '@zone', operator: 'GROUP_BY' as const },
  ];

  it('leaves every pod, after any single host failure, a surviving replica holder that keeps every hard constraint and is no other pod\'s failover, whatever order and tie-breaks', async () => {
    const fc = (await import('fast-check')).default;
    const { pinPodReplicas } = await import('../../src/placement');
    fc.assert(
      fc.property(
        // [agents, racks, zones, pods]: racks per zone 1 (6/3, 8/4, 9/3, 10/5) or 2 (8/4 over 2 zones, 12/6 over 3).
        fc.constantFrom([6, 3, 3, 3], [8, 4, 4, 4], [9, 3, 3, 3], [10, 5, 5, 5], [8, 4, 2, 3], [12, 6, 3, 3]),
        fc.constantFrom(2, 3),
        fc.array(fc.nat(), { minLength: 5, maxLength: 5 }),
        fc.array(fc.string(), { minLength: 5, maxLength: 5 }),
        fc.nat(),
        ([agents, racks, zones, pods], repl, picks, salts, orderSeed) => {
          const { view, offers } = makeCluster({ agents: agents!, racks: racks!, zones: zones! });
          // Deploy order: a rotation of the indices, reversed or not (serial phases run in index order; others may not).
          const order = Array.from({ length: pods! }, (_, i) => (i + orderSeed) % pods!);
          if (orderSeed % 2 === 1) order.reverse();
          let placed = view;
          const hostOf = new Map<number, string>();
          const replicasOf = new Map<number, string[]>();
          for (const [step, i] of order.entries()) {
            const siblingReplicas = new Set([...replicasOf.values()].flat());
            // The pod goes where its constraints allow, off a sibling's replica holder when it can (planHost).
            const request = makeRequest({ index: i, constraints, volumes: [{ name: `v${i}`, exists: false, replicaHosts: [] }] });
            const fits = evaluateOffers(request, offers, placed).evaluations.filter((e) => e.pass).map((e) => e.hostname);
            const clean = fits.filter((h) => !siblingReplicas.has(h));
            const choices = clean.length > 0 ? clean : fits;
            const host = choices[picks[step]! % choices.length]!;
            hostOf.set(i, host);
            placed = placePods(placed, 'node', { [host]: [`node-${i}`] });
            const { hosts } = pinPodReplicas(host, repl, placed, { podType: 'node', index: i, constraints }, { salt: salts[step]!, podType: 'node', avoidHosts: siblingReplicas });
            replicasOf.set(i, hosts);
          }
          // Each pod's host fails in turn: the keep path (hard convergence: holders only) must find
          // holders that keep every constraint (the keepers), and place the pod on one, breaking nothing.
          const keepersOf = new Map<number, string[]>();
          for (const [i, host] of hostOf) {
            const lost = { ...placed, storage: { ...placed.storage, [host]: 'down' as const } };
            const request = makeRequest({
              index: i,
              constraints,
              volumes: [{ name: `v${i}`, exists: true, replicaHosts: replicasOf.get(i)! }],
              convergence: { mode: 'hard', softWaitExpired: false },
            });
            const result = evaluateOffers(request, offers.filter((o) => o.hostname !== host), lost);
            const keepers = result.evaluations.filter((e) => e.pass).map((e) => e.hostname);
            expect(result.chosen, `node-${i} on ${host}, replicas ${replicasOf.get(i)!.join(', ')}`).toBeDefined();
            expect(result.chosen!.breaks).toBeUndefined();
            for (const k of keepers) expect(replicasOf.get(i)).toContain(k);
            keepersOf.set(i, keepers);
          }
          // A pod's failover may not take the only failover host of another pod: some keeper of
          // every pod is no other pod's sole keeper.
          for (const [i, keepers] of keepersOf) {
            const neededByOthers = new Set([...keepersOf].filter(([q, k]) => q !== i && k.length === 1).map(([, k]) => k[0]!));
            expect(keepers.filter((k) => !neededByOthers.has(k)), `node-${i}: keepers ${keepers.join(', ')}`).not.toEqual([]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
