import { describe, expect, it } from 'vitest';
import { buildPlan, type Plan } from '../../machines/plan';
import { PlanInErrorError, RuntimeOperations } from '../../src/controller/operations';
import type { Runtime } from '../../src/controller/runtime';
import { demoSpec, silentLogger } from './fixtures';

/*
 * `scale` while a plan is in ERROR: a step's pod is parked (e.g. re-attaching.blocked after a
 * refused call) and needs an operator. The scale used to answer OK and then never happen.
 */

const steps = (n: number) => Array.from({ length: n }, (_, index) => ({ podType: 'node', index }));

function withStatus(plan: Plan, status: Record<string, 'COMPLETE' | 'ERROR' | 'STARTING'>): Plan {
  return {
    ...plan,
    phases: plan.phases.map((p) => ({ ...p, steps: p.steps.map((s) => ({ ...s, status: status[s.name] ?? s.status })) })),
  };
}

function runtime(plans: { deploy: Plan; decommission: Plan }) {
  const sent: unknown[] = [];
  const pods = new Map([['node-4', { name: 'node-4', podType: 'node', index: 4, state: 're-attaching.blocked' }]]);
  const rt = {
    service: 'demo',
    spec: demoSpec({ count: 3 }),
    frameworkStateName: 'active.running',
    frameworkIs: (state: string) => state === 'active',
    frameworkContext: { ...plans, rejected: null },
    registry: {
      get: (name: string) => pods.get(name),
      context: () => ({ reason: 'fence failed (MESOS_AUTH): Mesos master forbids this principal (HTTP 403)' }),
    },
    sendFramework: (e: unknown) => sent.push(e),
    setSpec(spec: ReturnType<typeof demoSpec>) {
      this.spec = spec;
    },
    // Read when RuntimeOperations is built (config updates, restores); not used by scale.
    logger: silentLogger(),
    opts: {},
    leading: false,
    framework: { subscribe: () => ({ unsubscribe: () => undefined }) },
    onFramework: () => () => undefined,
  };
  return { ops: new RuntimeOperations(rt as unknown as Runtime), sent };
}

const phases = { phases: [{ name: 'node', podType: 'node' }] };

describe('scale while a plan is in ERROR', () => {
  it('is refused with a 409 naming the plan, the step in ERROR and its pod state and reason; no SCALE is sent', async () => {
    const decommission = withStatus(buildPlan('decommission', phases, [4, 5].map((index) => ({ podType: 'node', index }))), {
      'node-4': 'ERROR',
      'node-5': 'COMPLETE',
    });
    const deploy = withStatus(buildPlan('deploy', phases, steps(3)), { 'node-0': 'COMPLETE', 'node-1': 'COMPLETE', 'node-2': 'COMPLETE' });
    const { ops, sent } = runtime({ deploy, decommission });

    const err = await ops.scale('node', 3).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(PlanInErrorError);
    expect(err).toMatchObject({ code: 'PLAN_IN_ERROR', status: 409, retryable: false, plan: 'decommission' });
    const message = (err as Error).message;
    expect(message).toContain('cannot scale node to 3');
    expect(message).toContain('the decommission plan is in ERROR');
    expect(message).toContain('node-4 (re-attaching.blocked: fence failed (MESOS_AUTH)');
    expect(message).toContain('plan status decommission');
    expect(sent).toEqual([]);
  });

  it('names the deploy plan when that is the one in ERROR', async () => {
    const deploy = withStatus(buildPlan('deploy', phases, steps(3)), { 'node-0': 'COMPLETE', 'node-1': 'ERROR' });
    const { ops, sent } = runtime({ deploy, decommission: buildPlan('decommission', phases, []) });

    await expect(ops.scale('node', 5)).rejects.toThrow(/the deploy plan is in ERROR at node-1 \(pod not found\)/);
    expect(sent).toEqual([]);
  });

  it('goes ahead while no plan is in ERROR', async () => {
    const deploy = withStatus(buildPlan('deploy', phases, steps(3)), { 'node-0': 'COMPLETE', 'node-1': 'STARTING' });
    const { ops, sent } = runtime({ deploy, decommission: buildPlan('decommission', phases, []) });

    await expect(ops.scale('node', 4)).resolves.toMatchObject({ accepted: true, message: 'scaling node to 4' });
    expect(sent).toEqual([{ type: 'SCALE', podType: 'node', count: 4 }]);
  });
});
