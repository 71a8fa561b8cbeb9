import { describe, expect, it } from 'vitest';
import { killAllTasks } from '../../src/controller/framework-effects';
import { agentIdOf, capturingLogger, clusterOf, demoSpec, FakeMesos, hosts } from './fixtures';
import { fakeDeps, podOn } from './runtime-fakes';

describe('killAllTasks (the uninstall step that ends every task of the service)', () => {
  const spec = demoSpec({ count: 2 });

  it('finishes after the kill wait, with a warning, when the only task left sits on an unreachable agent', async () => {
    const cluster = clusterOf(hosts(2));
    cluster.markUnreachable(agentIdOf('h1'), true);
    const mesos = new FakeMesos();
    const { logger, lines } = capturingLogger();
    const { deps, stopped } = fakeDeps({ spec, pods: [podOn('node', 1, 'running.unreachable', 'h1')], cluster, mesos, killWaitMs: 80, logger });

    const started = Date.now();
    await expect(killAllTasks(deps)).resolves.toBeUndefined();

    expect(Date.now() - started).toBeGreaterThanOrEqual(70);
    expect(stopped()).toBe(true);
    expect(mesos.of('KILL')).toEqual([{ type: 'KILL', taskId: 'demo__node-1__1', agentId: agentIdOf('h1') }]);
    const warning = lines.find((l) => l.level === 40 && String(l.msg).includes('unreachable agents counted as killed'));
    expect(warning?.tasks).toEqual(['demo__node-1__1']);
  });

  it('fails with a retryable error when a task on a reachable agent never ends', async () => {
    const cluster = clusterOf(hosts(2));
    const { deps } = fakeDeps({ spec, pods: [podOn('node', 0, 'running.up', 'h0')], cluster, mesos: new FakeMesos(), killWaitMs: 80, logger: capturingLogger().logger });

    const err = (await killAllTasks(deps).catch((e: unknown) => e)) as { message: string; retryable?: boolean; code?: string };

    expect(err).toBeInstanceOf(Error);
    expect(err.retryable).toBe(true);
    expect(err.code).toBe('KILL_TIMEOUT');
    expect(err.message).toContain('demo__node-0__1');
  });

  it('fails when a reachable agent\'s task hangs even if another task is excused by an unreachable agent', async () => {
    const cluster = clusterOf(hosts(2));
    cluster.markUnreachable(agentIdOf('h1'), true);
    const pods = [podOn('node', 0, 'running.up', 'h0'), podOn('node', 1, 'running.unreachable', 'h1')];
    const { deps } = fakeDeps({ spec, pods, cluster, mesos: new FakeMesos(), killWaitMs: 80, logger: capturingLogger().logger });

    await expect(killAllTasks(deps)).rejects.toMatchObject({ retryable: true, code: 'KILL_TIMEOUT' });
  });

  it('counts a task the master answers TASK_UNKNOWN (its agent died before a scheduler restart) as killed', async () => {
    const cluster = clusterOf(hosts(2));
    const mesos = new FakeMesos();
    const { deps, tasks } = fakeDeps({ spec, pods: [podOn('node', 1, 'running.up', 'h1')], cluster, mesos, killWaitMs: 5_000, logger: capturingLogger().logger });
    const done = killAllTasks(deps);
    await new Promise((r) => setTimeout(r, 10));
    tasks.observe({ task_id: { value: 'demo__node-1__1' }, agent_id: { value: agentIdOf('h1') }, state: 'TASK_UNKNOWN' } as never);
    await expect(done).resolves.toBeUndefined();
    expect(mesos.of('KILL')).toHaveLength(1);
  });
});
