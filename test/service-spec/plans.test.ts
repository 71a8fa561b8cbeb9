import { describe, expect, it } from 'vitest';
import { findCycle, orderedPhases, parseSpec, ServiceSpecError, type DeployPlan } from '../../src/service-spec';

const pod = (name: string) => `  ${name}:\n    count: 1\n    cpus: 1\n    mem: 64\n    command: run\n`;
const spec = (phases: string, strategy = 'serial') =>
  `name: svc\npods:\n${pod('a')}${pod('b')}${pod('c')}plans:\n  deploy:\n    strategy: ${strategy}\n    phases:\n${phases}`;
const phase = (name: string, podType: string, deps: string[] = []) =>
  `      - name: ${name}\n        pod: ${podType}\n        depends_on: [${deps.join(', ')}]\n`;

function issues(text: string): { path: string; message: string }[] {
  try {
    parseSpec(text);
  } catch (err) {
    return [...(err as ServiceSpecError).issues];
  }
  return [];
}

describe('deploy plan validation', () => {
  it('accepts dependencies that form a DAG and orders phases so dependencies come first', () => {
    const s = parseSpec(spec(phase('pc', 'c', ['pa', 'pb']) + phase('pb', 'b', ['pa']) + phase('pa', 'a'), 'parallel'));
    expect(orderedPhases(s.plans.deploy).map((p) => p.name)).toEqual(['pa', 'pb', 'pc']);
  });

  it('reports a two-phase cycle with the phase names in order', () => {
    const found = issues(spec(phase('pa', 'a', ['pb']) + phase('pb', 'b', ['pa']) + phase('pc', 'c')));
    expect(found).toContainEqual({ path: 'plans.deploy.phases', message: 'dependency cycle: pa -> pb -> pa' });
  });

  it('reports a longer cycle', () => {
    const found = issues(spec(phase('pa', 'a', ['pc']) + phase('pb', 'b', ['pa']) + phase('pc', 'c', ['pb'])));
    expect(found.find((i) => i.message.startsWith('dependency cycle'))?.message).toBe('dependency cycle: pa -> pc -> pb -> pa');
  });

  it('reports a phase depending on itself', () => {
    const found = issues(spec(phase('pa', 'a', ['pa']) + phase('pb', 'b') + phase('pc', 'c')));
    expect(found).toContainEqual({ path: 'plans.deploy.phases[0].depends_on[0]', message: "phase 'pa' cannot depend on itself" });
  });

  it('reports a dependency on an unknown phase', () => {
    const found = issues(spec(phase('pa', 'a', ['nope']) + phase('pb', 'b') + phase('pc', 'c')));
    expect(found[0]).toMatchObject({ path: 'plans.deploy.phases[0].depends_on[0]' });
    expect(found[0]!.message).toMatch(/unknown phase 'nope'/);
  });

  it('reports a pod type deployed twice and a pod type deployed by no phase', () => {
    const found = issues(spec(phase('pa', 'a') + phase('pb', 'a')));
    expect(found).toContainEqual({ path: 'plans.deploy.phases[1].pod', message: "pod type 'a' is already deployed by phase 'pa'" });
    expect(found).toContainEqual({ path: 'plans.deploy.phases', message: "no phase deploys pod type 'b'" });
    expect(found).toContainEqual({ path: 'plans.deploy.phases', message: "no phase deploys pod type 'c'" });
  });

  it('reports duplicate phase names', () => {
    const found = issues(spec(phase('pa', 'a') + phase('pa', 'b') + phase('pc', 'c')));
    expect(found).toContainEqual({ path: 'plans.deploy.phases[1].name', message: "duplicate phase name 'pa'" });
  });

  it('findCycle returns undefined for an acyclic plan', () => {
    const plan: DeployPlan = {
      strategy: 'serial',
      phases: [
        { name: 'x', pod: 'a', strategy: 'serial', dependsOn: [] },
        { name: 'y', pod: 'b', strategy: 'serial', dependsOn: ['x'] },
      ],
    };
    expect(findCycle(plan.phases)).toBeUndefined();
  });

  it('orderedPhases refuses a cyclic plan with a ServiceSpecError', () => {
    const plan: DeployPlan = {
      strategy: 'serial',
      phases: [
        { name: 'x', pod: 'a', strategy: 'serial', dependsOn: ['y'] },
        { name: 'y', pod: 'b', strategy: 'serial', dependsOn: ['x'] },
      ],
    };
    expect(() => orderedPhases(plan)).toThrow(ServiceSpecError);
  });
});

describe('sidecar plans in the spec', () => {
  const withSidecar = (plan: string) => `name: svc\npods:\n${pod('a')}plans:\n${plan}`;

  it('parses every plan beside deploy as a sidecar plan', () => {
    const s = parseSpec(
      withSidecar('  repair:\n    parameters: { KEYSPACE: "" }\n    phases:\n      - { name: repair, pod: a, strategy: serial, command: "nodetool repair $KEYSPACE", timeout: 1h }\n'),
    );
    expect(Object.keys(s.plans.sidecars)).toEqual(['repair']);
    expect(s.plans.sidecars.repair?.parameters).toEqual({ KEYSPACE: '' });
    expect(s.plans.deploy.phases.map((p) => p.pod)).toEqual(['a']);
  });

  it('reports a sidecar plan on an unknown pod type with its path', () => {
    const found = issues(withSidecar('  repair:\n    phases:\n      - { name: repair, pod: nope, command: "true" }\n'));
    expect(found.some((i) => i.path.startsWith('plans.repair'))).toBe(true);
  });

  it('refuses a reserved plan name', () => {
    const found = issues(withSidecar('  decommission:\n    phases:\n      - { name: x, pod: a, command: "true" }\n'));
    expect(found.map((i) => i.path)).toContain('plans.decommission');
  });

  it('gives the shipped cassandra spec repair and cleanup', async () => {
    const { readFile } = await import('node:fs/promises');
    const s = parseSpec(await readFile('deploy/frameworks/cassandra.yml', 'utf8'));
    expect(Object.keys(s.plans.sidecars).sort()).toEqual(['cleanup', 'repair']);
  });
});
