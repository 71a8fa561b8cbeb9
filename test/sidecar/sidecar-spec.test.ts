import { describe, expect, it } from 'vitest';
import { parseSidecarPlans } from '../../src/sidecar/sidecar-spec';

describe('the spec side of sidecar plans: plans.<name> besides deploy', () => {
  it('parses repair as the Cassandra spec declares it, with defaults', () => {
    const { plans, issues } = parseSidecarPlans(
      {
        deploy: { phases: [] },
        repair: { parameters: { KEYSPACE: '' }, phases: [{ name: 'repair', pod: 'node', command: 'nodetool -p $PORT_JMX repair -pr $KEYSPACE', timeout: '1h' }] },
      },
      ['node'],
    );
    expect(issues).toEqual([]);
    expect(plans).toEqual({
      repair: {
        name: 'repair',
        strategy: 'serial',
        parameters: { KEYSPACE: '' },
        phases: [{ name: 'repair', podType: 'node', strategy: 'serial', command: 'nodetool -p $PORT_JMX repair -pr $KEYSPACE', timeoutS: 3600 }],
      },
    });
  });

  it('names each problem: a reserved name, an unknown pod type, a bad parameter name, a missing command, a duplicate phase', () => {
    const { plans, issues } = parseSidecarPlans(
      {
        update: { phases: [] },
        cleanup: {
          parameters: { keyspace: 'x' },
          phases: [
            { name: 'a', pod: 'seed', command: 'x' },
            { name: 'a', pod: 'node' },
          ],
        },
        compact: { phases: [{ name: 'a', pod: 'node', command: 'x' }, { name: 'a', pod: 'node', command: 'y' }] },
      },
      ['node'],
    );
    expect(plans).toEqual({});
    expect(issues.map((i) => i.path)).toEqual(['plans.update', 'plans.cleanup.parameters.keyspace', 'plans.cleanup.phases.1.command', 'plans.compact.phases']);
    expect(issues[0]!.message).toContain("'update' cannot name a sidecar plan");
    expect(issues[3]!.message).toBe("phase 'a' appears twice");
    const unknownPod = parseSidecarPlans({ repair: { phases: [{ name: 'r', pod: 'seed', command: 'x' }] } }, ['node']);
    expect(unknownPod.issues).toEqual([{ path: 'plans.repair.phases.0.pod', message: "no pod type 'seed' (pod types: node)" }]);
  });
});
