import { describe, expect, it } from 'vitest';
import { SnapshotManager, type CommandRunner, type CommandTarget } from '../../src/controller/snapshots';
import { SnapshotCommandError } from '../../src/controller/errors';
import { demoSpec, silentLogger } from './fixtures';
import { fakeDeps, podOn } from './runtime-fakes';
import type { StateStore } from '../../src/controller/ports/state-store';
import type { PortworxClient } from '../../src/portworx';

/** A SnapshotManager over fixed pods; Portworx and KV are not reached by runCommands. */
function managerFor(deps: ReturnType<typeof fakeDeps>['deps'], runner: CommandRunner): SnapshotManager {
  return new SnapshotManager({ ...deps, px: {} as PortworxClient, kv: {} as StateStore, runner });
}

function recordingRunner(): CommandRunner & { runs: { target: CommandTarget; command: string }[] } {
  const runs: { target: CommandTarget; command: string }[] = [];
  return {
    runs,
    async run(target, command) {
      runs.push({ target, command });
      return { exitCode: 0 };
    },
  };
}

const spec = demoSpec({ count: 2, extra: '    pre_snapshot: nodetool flush\n    post_snapshot: echo done\n' });

describe("SnapshotManager.runCommands('pre') (flush every running task before the group snapshot)", () => {
  it('fails, naming the pod, when a running pod\'s task container is not known yet', async () => {
    const runner = recordingRunner();
    const { deps } = fakeDeps({ spec, pods: [podOn('node', 0, 'running.up', 'h0')], logger: silentLogger() });
    const snapshots = managerFor(deps, runner);

    const err = await snapshots.runCommands('pre', 'nightly').catch((e: unknown) => e);

    expect(err).toBeInstanceOf(SnapshotCommandError);
    expect((err as Error).message).toMatch(/pre-snapshot command failed in node-0: container of task demo__node-0__1 not known/);
    expect(runner.runs).toEqual([]);
  });

  it('fails when the only status seen for the task carries no container_status (e.g. a reconciliation answer)', async () => {
    const runner = recordingRunner();
    const { deps, tasks } = fakeDeps({ spec, pods: [podOn('node', 0, 'running.up', 'h0')], logger: silentLogger() });
    tasks.observe({ task_id: { value: 'demo__node-0__1' }, state: 'TASK_RUNNING', source: 'SOURCE_MASTER', reason: 'REASON_RECONCILIATION' });

    await expect(managerFor(deps, runner).runCommands('pre', 'nightly')).rejects.toThrow(/node-0/);
    expect(runner.runs).toEqual([]);
  });

  it('still flushes the pods whose container is known, and fails naming only the pod it could not reach', async () => {
    const runner = recordingRunner();
    const pods = [podOn('node', 0, 'running.up', 'h0'), podOn('node', 1, 'running.up', 'h1')];
    const { deps, tasks } = fakeDeps({ spec, pods, logger: silentLogger() });
    tasks.observe({ task_id: { value: 'demo__node-0__1' }, state: 'TASK_RUNNING', container_status: { container_id: { value: 'c-child', parent: { value: 'c-parent' } } } });

    const err = (await managerFor(deps, runner).runCommands('pre', 'nightly').catch((e: unknown) => e)) as Error;

    expect(runner.runs).toEqual([
      { target: { taskId: 'demo__node-0__1', agentId: 'agent-h0', hostname: 'h0', containerId: { value: 'c-child', parent: { value: 'c-parent' } } }, command: 'nodetool flush' },
    ]);
    expect(err).toBeInstanceOf(SnapshotCommandError);
    expect(err.message).toContain('node-1');
    expect(err.message).not.toContain('node-0');
  });
});
