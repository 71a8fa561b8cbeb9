import { describe, expect, it } from 'vitest';
import { FaultLog } from '../../src/sim/chaos/fault-log';
import { InvariantMonitor } from '../../src/sim/chaos/invariants';
import type { Truth, TruthTask, TruthVolume } from '../../src/sim/chaos/truth';

const task = (taskId: string, hostname: string, state = 'TASK_RUNNING', agentUp = true): TruthTask => ({ taskId, pod: taskId.split('__')[1]!, agentId: `${hostname}-id`, hostname, state, agentUp });
const truth = (at: number, tasks: TruthTask[], volumes: TruthVolume[] = []): Truth => ({ at, source: 'simulator', tasks, volumes });

function rig(killed: string[] = []) {
  const faults = new FaultLog();
  const monitor = new InvariantMonitor(faults, { probationMs: 1000, staleGraceMs: 2000, pollMs: 50, sawKill: (id) => killed.includes(id) });
  return { faults, monitor };
}

describe('the chaos invariants', () => {
  it('a second live task of a pod next to a reachable first one is a double launch', () => {
    const { monitor } = rig();
    monitor.observe(truth(1000, [task('svc__node-0__1-aa', 'agent-1')]));
    const v = monitor.observe(truth(1100, [task('svc__node-0__1-aa', 'agent-1'), task('svc__node-0__2-bb', 'agent-1', 'TASK_STARTING')]));
    expect(v.map((x) => x.kind)).toEqual(['double-launch']);
  });

  it('a task back from a partition may overlap its replacement for the grace period, not longer', () => {
    const { monitor } = rig();
    monitor.observe(truth(1000, [task('svc__node-0__1-aa', 'agent-1')]));
    monitor.observe(truth(2000, [task('svc__node-0__1-aa', 'agent-1', 'TASK_RUNNING', false)]));
    monitor.observe(truth(3000, [task('svc__node-0__1-aa', 'agent-1', 'TASK_RUNNING', false), task('svc__node-0__2-bb', 'agent-2')]));
    expect(monitor.observe(truth(4000, [task('svc__node-0__1-aa', 'agent-1'), task('svc__node-0__2-bb', 'agent-2')]))).toEqual([]);
    expect(monitor.observe(truth(5500, [task('svc__node-0__1-aa', 'agent-1'), task('svc__node-0__2-bb', 'agent-2')]))).toEqual([]);
    expect(monitor.observe(truth(6100, [task('svc__node-0__1-aa', 'agent-1'), task('svc__node-0__2-bb', 'agent-2')])).map((x) => x.kind)).toEqual(['stale-task-kept']);
  });

  it('an old task back while its replacement is cut off is no move, but must still be killed', () => {
    const { faults, monitor } = rig();
    faults.add({ step: 1, kind: 'partition', host: 'agent-1', detail: '', at: 1500 });
    monitor.observe(truth(1000, [task('svc__node-0__1-aa', 'agent-1')]));
    monitor.observe(truth(3000, [task('svc__node-0__1-aa', 'agent-1', 'TASK_RUNNING', false), task('svc__node-0__2-bb', 'agent-2')]));
    const back = [task('svc__node-0__1-aa', 'agent-1'), task('svc__node-0__2-bb', 'agent-2', 'TASK_RUNNING', false)];
    expect(monitor.observe(truth(4000, back))).toEqual([]);
    expect(monitor.observe(truth(6500, back)).map((x) => x.kind)).toEqual(['stale-task-kept']);
  });

  it('a pod may move when its host crashed, and not when nothing happened to it', () => {
    const { faults, monitor } = rig();
    monitor.observe(truth(1000, [task('svc__node-0__1-aa', 'agent-1'), task('svc__node-1__1-cc', 'agent-3')]));
    faults.add({ step: 1, kind: 'crash', host: 'agent-1', detail: '', at: 1500 });
    const v = monitor.observe(truth(3000, [task('svc__node-0__2-bb', 'agent-2'), task('svc__node-1__2-dd', 'agent-4')]));
    expect(v.map((x) => `${x.kind} ${x.pod}`)).toEqual(['moved-without-evidence node-1']);
  });

  it('a partition or an OFFLINE node shorter than half the probation is no evidence for killing a task', () => {
    const { faults, monitor } = rig(['svc__node-0__1-aa']);
    monitor.observe(truth(1000, [task('svc__node-0__1-aa', 'agent-1')]));
    faults.end(faults.add({ step: 1, kind: 'partition', host: 'agent-1', detail: 'short', at: 1200 }), 1400);
    faults.end(faults.add({ step: 2, kind: 'px-offline', host: 'agent-1', detail: '', at: 1500 }), 1900);
    expect(monitor.observe(truth(3000, [task('svc__node-0__2-bb', 'agent-2')])).map((x) => x.kind)).toEqual(['moved-without-evidence']);
  });

  it('a move after the task died by itself on a faulty host is a note; after the scheduler killed it on STORAGE_DOWN, a violation', () => {
    const { faults, monitor } = rig(['svc__node-1__1-cc']);
    monitor.observe(truth(1000, [task('svc__node-0__1-aa', 'agent-1'), task('svc__node-1__1-cc', 'agent-3')]));
    faults.end(faults.add({ step: 1, kind: 'restart-new-id', host: 'agent-1', detail: '', at: 1500 }), 1500);
    faults.add({ step: 1, kind: 'px-storage-down', host: 'agent-3', detail: '', at: 1500 });
    monitor.observe(truth(2000, [task('svc__node-0__1-aa', 'agent-1', 'TASK_LOST'), task('svc__node-1__1-cc', 'agent-3')]));
    const v = monitor.observe(truth(3000, [task('svc__node-0__2-bb', 'agent-2'), task('svc__node-1__2-dd', 'agent-4')]));
    expect(v.map((x) => `${x.kind} ${x.pod}`)).toEqual(['moved-without-evidence node-1']);
    expect(monitor.notes.map((x) => `${x.kind} ${x.pod}`)).toEqual(['moved-without-evidence node-0']);
  });

  it('a volume attached on two hosts is a violation unless shared', () => {
    const { monitor } = rig();
    const v = monitor.observe(truth(1000, [], [
      { id: 'v1', name: 'svc-node-0-data', shared: false, attachedOn: ['agent-1', 'agent-2'] },
      { id: 'v2', name: 'svc-shared', shared: true, attachedOn: ['agent-1', 'agent-2'] },
    ]));
    expect(v.map((x) => x.kind)).toEqual(['double-attachment']);
  });

  it('tasks on a host the run crashed are not live, whatever the master still says', () => {
    const { faults, monitor } = rig();
    faults.add({ step: 1, kind: 'crash', host: 'agent-1', detail: '' });
    expect(monitor.isLive(task('svc__node-0__1-aa', 'agent-1'))).toBe(false);
    expect(monitor.isLive(task('svc__node-0__1-aa', 'agent-2'))).toBe(true);
  });
});
