import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import type { SimTaskSummary } from '../../src/sim/mesos';
import { expectConformantRecordings } from '../conformance/recordings';
import { probationMs, recordedKills, replacementWindows, sleep, startDeployed } from './helpers-faults';
import { dataVolume, podTasks, recordedForcedDetaches, recordedLaunches, runningTask, SafetyWatch } from './helpers-recovery';
import { POD_TAGS } from '../../machines/pod-instance.logic';
import { podTags } from './helpers';

type Fault = { what: string; apply(sb: Sandbox, host: string, probation: number): void; reported?: string };

const FAULTS: Fault[] = [
  ...(['STATUS_STORAGE_DOWN', 'STATUS_MAINTENANCE', 'STATUS_NONE', 'STATUS_OFFLINE'] as const).map(
    (status): Fault => ({ what: `reports the node ${status}`, apply: (sb, host) => sb.portworx.setNodeStatus(host, status), reported: status }),
  ),
  {
    // Stork ignores stale duplicate node entries (libopenstorage/stork#448, #1851).
    what: 'lists a stale duplicate entry of the node, OFFLINE',
    apply: (sb, host) => void sb.portworx.addDuplicateNode(host, { status: 'STATUS_OFFLINE' }),
  },
  {
    what: 'flaps the node offline and back, faster than the probation',
    apply: (sb, host, probation) => sb.portworx.flapNode(host, { periodMs: Math.round(probation / 4), count: 4 }),
  },
];

/**
 * The shipped Cassandra spec, unchanged. A Portworx node status alone is no proof that the host
 * is down while Mesos reports its task running on a reachable agent (its agent answers): Stork
 * learned not to evict on STORAGE_DOWN (libopenstorage/stork#1385), a node in MAINTENANCE still
 * runs its pods, NONE counts as online (#646), stale duplicates are ignored.
 */
// Each fault has a sandbox of its own and the run is mostly simulated waiting (deploy, probations):
// the six scenarios run side by side (describe.concurrent), the checks of one scenario in order
// (it.sequential: the last ones heal the node the first ones read).
describe.concurrent.each(FAULTS.map((f) => [f.what, f] as const))('Portworx %s for a running pod: nothing moves while the task runs', (_what, fault) => {
  let sb: Sandbox;
  let record: string;
  let name: string;
  let victim: SimTaskSummary;
  let volumeId: string;
  let launchesBefore: number;
  let violations: string[];

  beforeAll(async () => {
    ({ sb, record, name } = await startDeployed('cassandra'));
    victim = runningTask(sb, name, 'node-1');
    const volume = dataVolume(sb, name, 'node-1');
    volumeId = volume.id;
    launchesBefore = recordedLaunches(record, `${name}__`).length;
    const watch = new SafetyWatch(sb, name, 'node-1', volume.name);
    fault.apply(sb, victim.hostname, probationMs(sb));
    // Two probations and then some: a pod on probation would have been confirmed or cleared.
    await sleep(probationMs(sb) * 2.5);
    violations = watch.stop();
  }, 120_000);

  afterAll(async () => {
    await sb?.stop();
  });

  // A status fault is checked as Portworx reports it; a duplicate entry or a flap has no one status.
  if (fault.reported !== undefined) {
    it.sequential('reports the status for the node', () => {
      expect(sb.portworx.nodes().find((n) => n.hostname === victim.hostname)?.status).toBe(fault.reported);
    });
  }

  it.sequential('keeps the same task running on the same agent: no launch, no kill, no forced detach, no replacement', () => {
    expect(podTasks(sb, name, 'node-1').map((t) => [t.taskId, t.hostname, t.state])).toEqual([[victim.taskId, victim.hostname, 'TASK_RUNNING']]);
    expect(recordedLaunches(record, `${name}__`)).toHaveLength(launchesBefore);
    expect(recordedKills(record, victim.taskId)).toEqual([]);
    expect(recordedForcedDetaches(record, volumeId)).toEqual([]);
    expect(replacementWindows(record)).toEqual([]);
    expect(violations).toEqual([]);
  });

  it.sequential('keeps the volume attached where the task runs', () => {
    expect(sb.portworx.volumes().find((v) => v.id === volumeId)?.attachedOn).toEqual([victim.hostname]);
  });

  it.sequential('is running (not failed) once the node is OK again', async () => {
    if (fault.reported) sb.portworx.setNodeStatus(victim.hostname, 'STATUS_OK');
    else sb.portworx.removeDuplicateNode(victim.hostname);
    await sleep(probationMs(sb) / 2);
    expect(podTags(sb.scheduler.runtime, 'node-1')).toContain(POD_TAGS.ready);
    expect(podTasks(sb, name, 'node-1').map((t) => t.taskId)).toEqual([victim.taskId]);
  });

  it.sequential('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});
