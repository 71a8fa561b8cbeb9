import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import type { SimTaskSummary } from '../../src/sim/mesos';
import type { SimVolumeView } from '../../src/sim/portworx';
import { expectConformantRecordings } from '../conformance/recordings';
import { eventually, frameworkYaml, startSandbox } from './helpers';
import {
  NodeAlertListener,
  eventuallyPod,
  SafetyWatch,
  liveTasks,
  patchSpec,
  podTasks,
  recordedForcedDetaches,
  recordedLaunches,
} from './helpers-recovery';

const SPEED = 10;
/** Mesos offers every allocation interval (1 s simulated). */
const OFFER_INTERVAL_MS = 1000 / SPEED;
/** What the relaunch may take beyond one offer interval: fence, volume check, offer round, KV writes. */
const SLACK_MS = 1500;

describe('an agent dies: the pod is relaunched on a replica holder with the same volume, fenced first', () => {
  let sb: Sandbox;
  let record: string;
  let name: string;
  let alerts: NodeAlertListener;
  let victim: SimTaskSummary;
  let volumeBefore: SimVolumeView;
  let volumeCountBefore: number;
  let replacement: SimTaskSummary;
  let violations: string[];
  let killedAt: number;

  beforeAll(async () => {
    const spec = frameworkYaml(
      'cassandra',
      patchSpec((doc) => {
        // The shipped spec as it is (hostname UNIQUE, @zone GROUP_BY, fixed ports), with
        // automatic replacement on: the pod must find its free replica holder.
        doc.failure_policy = { permanent_failure_timeout: 120, auto_replace: true };
      }),
    );
    name = spec.name;
    const started = await startSandbox(spec.yaml);
    sb = started.sandbox;
    record = started.record!;
    await sb.scheduler.waitDeployed(60_000);
    alerts = await NodeAlertListener.start(sb.portworx.clusterId);

    victim = podTasks(sb, name, 'node-1').find((t) => t.state === 'TASK_RUNNING')!;
    volumeBefore = sb.portworx.volumes().find((v) => v.name === `${name}-node-1-data`)!;
    volumeCountBefore = sb.portworx.volumes().length;
    const watch = new SafetyWatch(sb, name, 'node-1', volumeBefore.name);
    killedAt = Date.now();
    sb.mesos.killAgent(victim.hostname);
    replacement = await eventuallyPod(
      sb,
      'node-1',
      'node-1 running again on another agent',
      () => podTasks(sb, name, 'node-1').find((t) => t.state === 'TASK_RUNNING' && t.taskId !== victim.taskId),
      30_000,
    );
    violations = watch.stop();
  });

  afterAll(async () => {
    await alerts?.close();
    await sb?.stop();
  });

  it('starts from a deployed pod whose volume has a replica on a surviving agent', () => {
    expect(victim).toBeDefined();
    expect(volumeBefore.replicaHosts).toContain(victim.hostname);
    expect(volumeBefore.replicaHosts.filter((h) => h !== victim.hostname)).toHaveLength(1);
  });

  it('takes the dead agent\'s Portworx node offline and raises a node alert on NATS', async () => {
    const node = sb.portworx.nodes().find((n) => n.hostname === victim.hostname)!;
    expect(node.online).toBe(false);
    const alert = await eventually('a node alert for the dead host', () =>
      alerts.received.find((a) => a.at >= killedAt && a.alert.resource_id === node.id && !a.alert.cleared),
    );
    expect(alert.alert.message).toBeTruthy();
  });

  it('relaunches the pod on the other replica holder of its volume', () => {
    const other = volumeBefore.replicaHosts.find((h) => h !== victim.hostname);
    expect(replacement.hostname).not.toBe(victim.hostname);
    expect(replacement.hostname).toBe(other);
  });

  it('re-attaches the same Portworx volume (same id, no new volume)', () => {
    expect(replacement.volumes.map((v) => v.name)).toEqual([volumeBefore.name]);
    const after = sb.portworx.volumes().find((v) => v.name === volumeBefore.name)!;
    expect(after.id).toBe(volumeBefore.id);
    expect(after.attachedOn).toEqual([replacement.hostname]);
    expect(sb.portworx.volumes()).toHaveLength(volumeCountBefore);
  });

  it('relaunches within one offer interval (plus slack) of the Portworx alert', () => {
    const node = sb.portworx.nodes().find((n) => n.hostname === victim.hostname)!;
    const alert = alerts.received.find((a) => a.at >= killedAt && a.alert.resource_id === node.id && !a.alert.cleared)!;
    const launch = recordedLaunches(record, replacement.taskId).at(0)!;
    expect(launch, 'recorded ACCEPT of the replacement task').toBeDefined();
    const delay = Date.parse(launch.ts) - alert.at;
    expect(delay).toBeLessThanOrEqual(OFFER_INTERVAL_MS + SLACK_MS);
  });

  it('force-detached the volume from the dead node before accepting the new launch', () => {
    const launch = recordedLaunches(record, replacement.taskId).at(0)!;
    const fences = recordedForcedDetaches(record, volumeBefore.id);
    expect(fences.length).toBeGreaterThan(0);
    expect(Date.parse(fences[0]!.ts)).toBeLessThanOrEqual(Date.parse(launch.ts));
  });

  it('never had two live tasks of the pod, nor the volume attached on two hosts', () => {
    expect(violations).toEqual([]);
    expect(liveTasks(podTasks(sb, name, 'node-1'))).toHaveLength(1);
  });

  it('records only conformant Mesos and Portworx traffic', () => {
    expectConformantRecordings(record, { require: ['mesos', 'portworx'] });
  });
});
