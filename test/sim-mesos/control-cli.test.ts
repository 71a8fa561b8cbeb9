import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerSimMesos } from '../../src/cli/sim-mesos.command';
import { SimControlError, simControl, type MesosSimulator } from '../../src/sim/mesos';
import { freePort } from '../helpers/nats-server';
import { TestScheduler, launchGroup, startSim, taskInfo, type Json } from './helpers';

async function control(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

/** Run `pxfw sim …` with only this command registered; returns stdout and the thrown error. */
async function runCli(args: string[]): Promise<{ out: string; error: unknown }> {
  const program = new Command('pxfw').exitOverride();
  registerSimMesos(program.command('sim'));
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['sim', ...args], { from: 'user' });
    return { out, error: undefined };
  } catch (error) {
    return { out, error };
  } finally {
    spy.mockRestore();
  }
}

describe('Mesos simulator: /sim/v1 control endpoint', () => {
  let sim: MesosSimulator;
  beforeEach(async () => {
    sim = await startSim({ agents: 2 });
  });
  afterEach(async () => {
    await sim.stop();
  });

  it('partitions, heals and kills agents by hostname or id', async () => {
    const p = await control(sim.url, 'POST', '/sim/v1/agents/agent-1/partition');
    expect(p).toMatchObject({ status: 200, json: { agent: { hostname: 'agent-1', state: 'unreachable' } } });
    const id = p.json.agent.id as string;
    expect((await control(sim.url, 'POST', `/sim/v1/agents/${id}/heal`)).json.agent.state).toBe('registered');
    expect((await control(sim.url, 'POST', '/sim/v1/agents/agent-1/kill')).json.agent.state).toBe('removed');
  });

  it('answers 404 for an unknown agent and 409 for an impossible transition, with a code and a message', async () => {
    expect(await control(sim.url, 'POST', '/sim/v1/agents/agent-9/kill')).toEqual({
      status: 404,
      json: { error: { code: 'SIM_AGENT_NOT_FOUND', message: "no agent with id or hostname 'agent-9' in the simulated cluster" } },
    });
    await control(sim.url, 'POST', '/sim/v1/agents/agent-2/kill');
    const again = await control(sim.url, 'POST', '/sim/v1/agents/agent-2/partition');
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('SIM_INVALID_TRANSITION');
  });

  it('fails a task with the given state and reason, validating the body', async () => {
    const s = await TestScheduler.subscribe(sim.url);
    try {
      s.autoAck();
      const [offer] = await s.offers();
      await s.call(launchGroup(offer!, [taskInfo('t1', offer!.agent_id.value)]));
      await s.waitForUpdate('t1', 'TASK_RUNNING');
      const bad = await control(sim.url, 'POST', '/sim/v1/tasks/t1/fail', { state: 'exploded' });
      expect(bad.status).toBe(400);
      expect(bad.json.error.message).toMatch(/^invalid fail request body: state: /);
      const ok = await control(sim.url, 'POST', '/sim/v1/tasks/t1/fail', { state: 'TASK_FINISHED' });
      expect(ok).toMatchObject({ status: 200, json: { task: { taskId: 't1', state: 'TASK_FINISHED' } } });
      await s.waitForUpdate('t1', 'TASK_FINISHED');
      expect((await control(sim.url, 'POST', '/sim/v1/tasks/nope/fail')).status).toBe(404);
    } finally {
      s.close();
    }
  });

  it('reports the state, and drops every stream on POST /sim/v1/failover', async () => {
    const s = await TestScheduler.subscribe(sim.url);
    const state = await control(sim.url, 'GET', '/sim/v1/state');
    expect(state.json.agents).toHaveLength(2);
    expect(state.json.frameworks).toMatchObject([{ id: s.frameworkId, connected: true }]);
    expect((await control(sim.url, 'POST', '/sim/v1/failover')).status).toBe(200);
    await s.waitForEnd();
    expect((await control(sim.url, 'GET', '/sim/v1/state')).json.frameworks[0].connected).toBe(false);
  });
});

describe('Mesos simulator: /sim/v1 control of crashes, restarts and failovers', () => {
  let sim: MesosSimulator;
  beforeEach(async () => {
    sim = await startSim({ agents: 2, agentRestartSeconds: 0 });
  });
  afterEach(async () => {
    await sim.stop();
  });

  it('crashes a host (the agent stays registered, its host down) and restarts it with a new id', async () => {
    const crash = await control(sim.url, 'POST', '/sim/v1/agents/agent-1/crash');
    expect(crash).toMatchObject({ status: 200, json: { agent: { hostname: 'agent-1', state: 'registered', hostDown: true } } });
    const restart = await control(sim.url, 'POST', '/sim/v1/agents/agent-1/restart', { new_id: true });
    expect(restart.json.agent).toMatchObject({ hostname: 'agent-1', state: 'registered', hostDown: false });
    expect(restart.json.agent.id).not.toBe(crash.json.agent.id);
  });

  it('restarts an agent process with its id, and validates the body', async () => {
    const before = sim.agents()[1]!;
    const r = await control(sim.url, 'POST', '/sim/v1/agents/agent-2/restart', { lose_executors: true });
    expect(r.json.agent).toMatchObject({ id: before.id, state: 'registered' });
    const bad = await control(sim.url, 'POST', '/sim/v1/agents/agent-2/restart', { newId: true });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/^invalid restart body: /);
  });

  it('takes the re-registration window of a failover from the body', async () => {
    expect((await control(sim.url, 'POST', '/sim/v1/failover', { reregister_window_seconds: 3600 })).status).toBe(200);
    expect(sim.agents().map((a) => a.state)).toEqual(['recovering', 'recovering']);
  });
});

describe('pxfw sim agent crash|restart|partition|heal|gone|kill', () => {
  it('crashes and restarts (--new-id) through the control endpoint', async () => {
    const sim = await startSim({ agents: 1, agentRestartSeconds: 0 });
    try {
      const crash = await runCli(['agent', 'crash', 'agent-1', '--mesos', sim.url]);
      expect(crash.error).toBeUndefined();
      expect(crash.out).toMatch(/^agent agent-1 \(.+-S0\) is now registered \(host down\)\n$/);
      const restart = await runCli(['agent', 'restart', 'agent-1', '--new-id', '--mesos', sim.url, '--json']);
      expect(JSON.parse(restart.out).agent).toMatchObject({ hostname: 'agent-1', state: 'registered', hostDown: false });
      expect(sim.agents().map((a) => a.state)).toEqual(['removed', 'registered']);
      const gone = await runCli(['agent', 'gone', 'agent-1', '--mesos', sim.url]);
      expect(gone.out).toMatch(/is now gone\n$/);
    } finally {
      await sim.stop();
    }
  });

  it('offers the ping-timeout flags on `pxfw sim mesos` and passes them to the simulator', async () => {
    const { simulatorOptions } = await import('../../src/cli/sim-mesos.command');
    const opts = simulatorOptions({ port: 0, agents: 1, racks: 1, region: 'r', heartbeat: 15, speed: 2, agentPingTimeout: 3, maxAgentPingTimeouts: 2, reregisterWindow: 0 });
    expect(opts).toMatchObject({ agentPingTimeoutSeconds: 3, maxAgentPingTimeouts: 2, reregisterWindowSeconds: 0, speed: 2 });
    const program = new Command('pxfw');
    registerSimMesos(program.command('sim'));
    const help = program.commands[0]!.commands.find((c) => c.name() === 'mesos')!.helpInformation();
    expect(help).toContain('--agent-ping-timeout <S>');
    expect(help).toContain('--max-agent-ping-timeouts <N>');
    const agentHelp = program.commands[0]!.commands.find((c) => c.name() === 'agent')!;
    expect(agentHelp.commands.map((c) => c.name())).toEqual(['crash', 'restart', 'partition', 'heal', 'gone', 'kill']);
  });

  it('--ports: DC/OS agents by default, `mesos` or ranges otherwise; a bad range is a usage error naming it', async () => {
    const { simulatorOptions } = await import('../../src/cli/sim-mesos.command');
    const base = { port: 0, agents: 1, racks: 1, region: 'r', heartbeat: 15, speed: 2, agentPingTimeout: 3, maxAgentPingTimeouts: 2 };
    expect(simulatorOptions(base).agentResources).toBeUndefined();
    const program = new Command('pxfw').exitOverride();
    let parsed: unknown;
    const sim = program.command('sim');
    registerSimMesos(sim);
    const mesos = sim.commands.find((c) => c.name() === 'mesos')!;
    mesos.exitOverride().configureOutput({ writeErr: () => undefined }).action((flags: { ports?: unknown }) => void (parsed = flags.ports));
    await program.parseAsync(['sim', 'mesos', '--ports', 'mesos'], { from: 'user' });
    expect(parsed).toEqual([{ begin: 31000, end: 32000 }]);
    expect(simulatorOptions({ ...base, ports: [{ begin: 31000, end: 32000 }] }).agentResources).toEqual({ ports: [{ begin: 31000, end: 32000 }] });
    await expect(program.parseAsync(['sim', 'mesos', '--ports', '9000-80'], { from: 'user' })).rejects.toThrow(/9000-80 is not a range within 1-65535/);
  });
});

describe('pxfw sim agent kill|partition|heal', () => {
  it('changes the agent through the control endpoint and prints its new state', async () => {
    const sim = await startSim({ agents: 1 });
    try {
      const { out, error } = await runCli(['agent', 'partition', 'agent-1', '--mesos', sim.url]);
      expect(error).toBeUndefined();
      expect(out).toMatch(/^agent agent-1 \(.+-S0\) is now unreachable\n$/);
      const json = await runCli(['agent', 'heal', 'agent-1', '--mesos', sim.url, '--json']);
      expect(JSON.parse(json.out).agent.state).toBe('registered');
    } finally {
      await sim.stop();
    }
  });

  it('fails with a one-line reason when the agent is unknown', async () => {
    const sim = await startSim({ agents: 1 });
    try {
      const { error } = await runCli(['agent', 'kill', 'agent-7', '--mesos', sim.url]);
      expect(error).toBeInstanceOf(SimControlError);
      expect((error as Error).message).toBe("no agent with id or hostname 'agent-7' in the simulated cluster");
      expect((error as SimControlError).status).toBe(404);
    } finally {
      await sim.stop();
    }
  });

  it('fails with a one-line, retryable reason when no simulator answers', async () => {
    const port = await freePort();
    const { error } = await runCli(['agent', 'kill', 'agent-1', '--mesos', `http://127.0.0.1:${port}`]);
    expect(error).toBeInstanceOf(SimControlError);
    expect((error as Error).message).toMatch(new RegExp(`^cannot reach the Mesos simulator at http://127\\.0\\.0\\.1:${port}: .+`));
    expect((error as Error).message).not.toContain('\n');
    expect((error as SimControlError).retryable).toBe(true);
  });

  it('rejects a malformed URL without a network call', async () => {
    await expect(simControl('not a url', 'sim/v1/failover')).rejects.toThrow("invalid Mesos simulator URL 'not a url'");
  });
});
