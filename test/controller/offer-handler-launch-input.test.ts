import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors';
import { launchGroupOperation, type LaunchGroupInput, type LaunchTaskSpec, type Offer } from '../../src/mesos';

/**
 * The launch an offer round builds is trusted (made here from the parsed spec), so its zod walk is
 * skipped; anything else handed to launchGroupOperation is still checked at the boundary.
 */

const ROLE = 'svc-role';

function offer(): Offer {
  return {
    id: { value: 'offer-1' },
    framework_id: { value: 'fw-1' },
    agent_id: { value: 'agent-1' },
    hostname: 'host-1',
    allocation_info: { role: ROLE },
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 64 }, allocation_info: { role: ROLE } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 262_144 }, allocation_info: { role: ROLE } },
      { name: 'disk', type: 'SCALAR', scalar: { value: 1_000_000 }, allocation_info: { role: ROLE } },
      { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31099 }] }, allocation_info: { role: ROLE } },
    ],
  } as Offer;
}

const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);
const task = (i: number): fc.Arbitrary<LaunchTaskSpec> =>
  fc.record(
    {
      name,
      cpus: fc.integer({ min: 1, max: 40 }).map((n) => n / 10),
      mem: fc.integer({ min: 32, max: 4096 }),
      disk: fc.integer({ min: 1, max: 1000 }),
      ports: fc.uniqueArray(fc.integer({ min: 31000, max: 31099 }), { maxLength: 3 }),
      command: fc.string({ minLength: 1, maxLength: 20 }),
      env: fc.dictionary(name, fc.string({ maxLength: 10 }), { maxKeys: 3 }),
      image: name,
      volumes: fc.array(fc.record({ containerPath: name, name, driverOptions: fc.dictionary(name, name, { maxKeys: 2 }), readOnly: fc.boolean() }, { requiredKeys: ['containerPath', 'name'] }), { maxLength: 2 }),
      labels: fc.dictionary(name, name, { maxKeys: 2 }),
    },
    { requiredKeys: ['name', 'cpus', 'mem', 'command', 'volumes'] },
  ).map((t) => ({ ...t, taskId: `task-${i}` }));

const input = fc
  .record({
    tasks: fc.integer({ min: 1, max: 2 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => task(i)))),
    executor: fc.option(fc.record({ cpus: fc.constantFrom(0.1, 0.5), mem: fc.constantFrom(32, 64), name }, { requiredKeys: [] }), { nil: undefined }),
  })
  .map(({ tasks, executor }): Omit<LaunchGroupInput, 'offer'> => {
    // Ports are taken from one offer: no two tasks ask for the same one.
    const seen = new Set<number>();
    const fixed = tasks.map((t) => ({ ...t, ports: t.ports?.filter((p) => !seen.has(p) && seen.add(p)) }));
    return { executorId: 'exec-1', frameworkId: 'fw-1', role: ROLE, tasks: fixed, ...(executor ? { executor } : {}) };
  });

describe('launchGroupOperation: trusted launches skip the check, boundary inputs keep it', () => {
  it('builds the same ACCEPT operation from a trusted input as from the checked one', () => {
    fc.assert(
      fc.property(input, (spec) => {
        const checked = launchGroupOperation({ ...spec, offer: offer() });
        const trusted = launchGroupOperation({ ...spec, offer: offer(), trusted: true });
        expect(trusted).toEqual(checked);
      }),
      { numRuns: 150 },
    );
  });

  it.each([
    ['a task without an id', { taskId: '' }],
    ['negative cpus', { cpus: -1 }],
    ['a port outside 1-65535', { ports: [70_000] }],
    ['an empty command', { command: '' }],
    ['a volume without a container path', { volumes: [{ containerPath: '', name: 'v' }] }],
  ])('still rejects %s when the input is not trusted', (_what, bad) => {
    const good: LaunchTaskSpec = { taskId: 't-1', name: 'node', cpus: 1, mem: 512, command: 'run', volumes: [] };
    const build = () => launchGroupOperation({ executorId: 'e', frameworkId: 'fw-1', role: ROLE, tasks: [{ ...good, ...bad } as LaunchTaskSpec], offer: offer() });
    expect(build).toThrow(ValidationError);
  });

  it('still rejects duplicate task ids and an executor below what Mesos accepts when not trusted', () => {
    const t: LaunchTaskSpec = { taskId: 't-1', name: 'node', cpus: 1, mem: 512, command: 'run', volumes: [] };
    expect(() => launchGroupOperation({ executorId: 'e', frameworkId: 'fw-1', role: ROLE, tasks: [t, t], offer: offer() })).toThrow(/task ids must be unique/);
    expect(() => launchGroupOperation({ executorId: 'e', frameworkId: 'fw-1', role: ROLE, tasks: [t], executor: { mem: 8 }, offer: offer() })).toThrow(ValidationError);
  });
});
