import { describe, expect, it } from 'vitest';
import type { PlanView } from '../../src/api/operations';
import { SidecarPlans, type SidecarPlansDeps } from '../../src/sidecar/sidecar-plans';
import { commandLine, resolveParameters, type SidecarPlanSpec } from '../../src/sidecar/sidecar-plan';
import type { CommandTarget } from '../../src/sidecar/run-command-effect';
import type { PlanStore } from '../../src/workflows/workflow-runner';
import { memoryLogger } from '../api/helpers';

function memoryStore(): PlanStore & { keys(): string[] } {
  const kv = new Map<string, { value: unknown; revision: number }>();
  let rev = 0;
  return {
    keys: () => [...kv.keys()],
    async get<T>(key: string) {
      return kv.get(key) as { value: T; revision: number } | undefined;
    },
    async put<T>(key: string, value: T, expected: number) {
      if ((kv.get(key)?.revision ?? 0) !== expected) throw new Error(`conflict on ${key}`);
      rev += 1;
      kv.set(key, { value: structuredClone(value), revision: rev });
      return rev;
    },
  };
}

const repair: SidecarPlanSpec = {
  name: 'repair',
  strategy: 'serial',
  parameters: { KEYSPACE: '' },
  phases: [{ name: 'repair', podType: 'node', strategy: 'serial', command: 'nodetool -p $PORT_JMX repair -pr $KEYSPACE', timeoutS: 3600 }],
};

interface Rig {
  plans: SidecarPlans;
  store: ReturnType<typeof memoryStore>;
  ran: { pod: string; command: string; timeoutMs: number }[];
  exitCodes: Map<string, number>;
  hold: { release?: () => void };
}

function rig(store = memoryStore(), opts: { hold?: boolean } = {}): Rig {
  const ran: Rig['ran'] = [];
  const exitCodes = new Map<string, number>();
  const hold: Rig['hold'] = {};
  const target = (pod: string): CommandTarget | string =>
    pod === 'node-9' ? 'not running' : { taskId: `${pod}__t`, agentId: 'a', hostname: `host-${pod}`, containerId: { value: `c-${pod}` } };
  const deps: SidecarPlansDeps = {
    store,
    logger: memoryLogger().logger,
    specs: () => ({ repair }),
    podsByType: () => ({ node: ['node-0', 'node-1', 'node-2'] }),
    target,
    runner: {
      async run(t, command, timeoutMs) {
        const pod = t.taskId.split('__')[0]!;
        ran.push({ pod, command, timeoutMs });
        if (opts.hold) await new Promise<void>((resolve) => (hold.release = resolve));
        return { exitCode: exitCodes.get(pod) ?? 0 };
      },
    },
    now: () => new Date('2026-01-01T00:00:00Z'),
  };
  return { plans: new SidecarPlans(deps), store, ran, exitCodes, hold };
}

async function settle(plans: SidecarPlans, name: string, until: (v: PlanView) => boolean): Promise<PlanView> {
  for (let i = 0; i < 200; i++) {
    const v = plans.view(name);
    if (until(v)) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`plan ${name} did not settle: ${JSON.stringify(plans.view(name))}`);
}

describe('sidecar plans: plan start|stop PLAN -p KEY=VALUE', () => {
  it('runs the command in each pod of the phase, one at a time, with the parameters exported', async () => {
    const r = rig();
    await r.plans.start('repair', { KEYSPACE: "k's" });
    const done = await settle(r.plans, 'repair', (v) => v.status === 'COMPLETE');
    expect(done.phases[0]!.steps.map((s) => [s.name, s.status])).toEqual([
      ['node-0:[repair]', 'COMPLETE'],
      ['node-1:[repair]', 'COMPLETE'],
      ['node-2:[repair]', 'COMPLETE'],
    ]);
    expect(r.ran.map((x) => x.pod)).toEqual(['node-0', 'node-1', 'node-2']);
    expect(r.ran[0]).toEqual({ pod: 'node-0', command: `export KEYSPACE='k'\\''s'; nodetool -p $PORT_JMX repair -pr $KEYSPACE`, timeoutMs: 3_600_000 });
    // Persisted as the plan `plans.repair`, like update and restore.
    expect(r.store.keys()).toEqual(['plans.repair']);
  });

  it('refuses a parameter the plan does not take, and a plan the spec does not declare', async () => {
    const r = rig();
    await expect(r.plans.start('repair', { TABLE: 't' })).rejects.toMatchObject({ code: 'INVALID_REQUEST', message: 'parameters.TABLE: plan repair takes KEYSPACE' });
    await expect(r.plans.start('cleanup', {})).rejects.toMatchObject({ code: 'UNKNOWN_PLAN', message: "no sidecar plan 'cleanup' in the spec (sidecar plans: repair)" });
    expect(resolveParameters(repair, {})).toEqual({ KEYSPACE: '' });
    expect(commandLine('echo $A', {})).toBe('echo $A');
  });

  it('stops at a failing command (ERROR with the reason); a new start runs again from the first pod', async () => {
    const r = rig();
    r.exitCodes.set('node-1', 2);
    await r.plans.start('repair', {});
    const failed = await settle(r.plans, 'repair', (v) => v.status === 'ERROR');
    expect(failed.errors.join()).toContain('node-1: the command exited with code 2');
    expect(r.ran.map((x) => x.pod)).toEqual(['node-0', 'node-1']);
    r.exitCodes.clear();
    await r.plans.start('repair', {});
    await settle(r.plans, 'repair', (v) => v.status === 'COMPLETE');
    expect(r.ran.map((x) => x.pod)).toEqual(['node-0', 'node-1', 'node-0', 'node-1', 'node-2']);
  });

  it('plan stop leaves a running plan paused; start refuses while one runs', async () => {
    const r = rig(memoryStore(), { hold: true });
    await r.plans.start('repair', {});
    await settle(r.plans, 'repair', () => r.ran.length === 1);
    await expect(r.plans.start('repair', {})).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('plan stop repair first') });
    const stopped = await r.plans.stop('repair');
    expect(stopped).toMatchObject({ paused: true });
    r.hold.release?.();
    expect(r.plans.view('repair').status).not.toBe('COMPLETE');
  });

  it('a scheduler that takes over resumes a run under way from KV at its step', async () => {
    const store = memoryStore();
    const first = rig(store, { hold: true });
    await first.plans.start('repair', {});
    await settle(first.plans, 'repair', () => first.ran.length === 1);
    first.plans.stopAll(); // the scheduler goes away mid-command
    const second = rig(store);
    await second.plans.resumeStored();
    await settle(second.plans, 'repair', (v) => v.status === 'COMPLETE');
    // node-0's command was in flight: it runs again (sidecar commands must be safe to repeat).
    expect(second.ran.map((x) => x.pod)).toEqual(['node-0', 'node-1', 'node-2']);
  });
});
