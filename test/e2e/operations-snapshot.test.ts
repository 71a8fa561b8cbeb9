import { POD_TAGS } from '../../machines/pod-instance.logic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox';
import { GROUP_SNAPSHOT_LABEL } from '../../src/sim/portworx';
import { findVerb } from '../../src/api/verbs';
import { eventually, frameworkYaml, startSandbox } from './helpers';
import { captureTransitions, cli, cliJson, firstTransition, runningTasks, serviceVolumes, SimSampler } from './helpers-ops';

interface SnapshotJson {
  id: string;
  name: string;
  podType: string | null;
  volumes: { volumeId: string; volumeName: string; snapshotId: string }[];
}

/** Every pod of the service is running (its actor) and its task runs on the agent. */
function allRunning(sb: Sandbox, count: number): boolean {
  const pods = sb.scheduler.runtime.registry.all();
  return pods.length === count && pods.every((e) => e.actor.getSnapshot().hasTag(POD_TAGS.running)) && runningTasks(sb).length === count;
}

describe('pxfw <service> snapshot (promise 6: framework-level consistent snapshots)', () => {
  let sb: Sandbox;
  let name: string;

  beforeAll(async () => {
    const spec = frameworkYaml('cassandra');
    name = spec.name;
    ({ sandbox: sb } = await startSandbox(spec.yaml, { record: false }));
    await sb.scheduler.waitDeployed(60_000);
    for (const v of serviceVolumes(sb, name)) sb.portworx.setMarker(v.id, 'v1');
  });
  afterAll(async () => {
    await sb?.stop();
  });

  it('treats snapshot create as not destructive (no --yes) and snapshot restore as destructive', () => {
    expect(findVerb('snapshot.create')?.destructive).toBe(false);
    expect(findVerb('snapshot.restore')?.destructive).toBe(true);
  });

  it('snapshot create --name s1 takes ONE group: one snapshot per volume, all sharing one group id', async () => {
    const r = await cli(name, 'snapshot', 'create', '--name', 's1');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^creating snapshot of ${name} \\(waiting up to 600 s\\)\\.\\.\\.$`, 'm'));
    expect(r.out).toMatch(new RegExp(`^snapshot s1 \\(${name}-s1\\) of the whole service at \\S+: 3 volumes$`, 'm'));
    const vols = serviceVolumes(sb, name);
    const snaps = sb.portworx.volumes().filter((v) => v.parentId);
    expect(snaps.map((s) => s.parentId).sort()).toEqual(vols.map((v) => v.id).sort());
    expect(new Set(snaps.map((s) => s.labels[GROUP_SNAPSHOT_LABEL])).size).toBe(1);
    expect(snaps[0]!.labels[GROUP_SNAPSHOT_LABEL]).toMatch(/.+/);
    // One consistency point: every member was captured at the same instant, with the data of then.
    expect(new Set(snaps.map((s) => String(s.ctime))).size).toBe(1);
    for (const s of snaps) {
      expect(s.labels).toMatchObject({ 'pxfw/service': name, 'pxfw/snapshot': 's1' });
      expect(sb.portworx.marker(s.id)).toBe('v1');
    }
    for (const v of vols) expect(r.out).toContain(v.id);
  });

  it('ran the pre-snapshot command (nodetool flush) inside each running task, before the group snapshot', () => {
    const cmds = sb.mesos.commands().filter((c) => c.command === 'nodetool flush');
    const tasks = runningTasks(sb);
    expect(cmds.map((c) => c.taskId).sort()).toEqual(tasks.map((t) => t.taskId).sort());
    for (const c of cmds) {
      expect(c.state).toBe('exited');
      expect(c.exitStatus).toBe(0);
      // Nested under the task's own container, on the task's agent.
      expect(c.hostname).toBe(tasks.find((t) => t.taskId === c.taskId)!.hostname);
    }
    const snapTime = new Date(sb.portworx.volumes().find((v) => v.parentId)!.ctime).getTime();
    for (const c of cmds) expect(new Date(c.endedAt!).getTime()).toBeLessThanOrEqual(snapTime);
  });

  it('snapshot list shows the group with its three volumes (human and --json)', async () => {
    const r = await cli(name, 'snapshot', 'list');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^${name}-s1\\s+s1\\s+\\S+\\s+\\(all\\)\\s+3$`, 'm'));
    const list = await cliJson<SnapshotJson[]>(name, 'snapshot', 'list');
    expect(list).toHaveLength(1);
    expect(list[0]!.name).toBe('s1');
    const snaps = sb.portworx.volumes().filter((v) => v.parentId);
    expect(list[0]!.volumes.map((v) => v.snapshotId).sort()).toEqual(snaps.map((s) => s.id).sort());
  });

  it('refuses a second snapshot with the same name and changes nothing', async () => {
    const before = sb.portworx.volumes().length;
    const r = await cli(name, 'snapshot', 'create', '--name', 's1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^pxfw: 409 CONFLICT: a snapshot named 's1' exists already/m);
    expect(sb.portworx.volumes()).toHaveLength(before);
  });

  it('snapshot restore s1 --yes stops the pods, restores every volume, and starts them again', async () => {
    for (const v of serviceVolumes(sb, name)) sb.portworx.setMarker(v.id, 'v2');
    const oldTasks = runningTasks(sb).map((t) => t.taskId);
    const transitions = captureTransitions(sb);
    const sampler = new SimSampler(sb);
    let r;
    try {
      r = await cli(name, 'snapshot', 'restore', 's1', '--yes');
      await eventually('all pods running again', () => allRunning(sb, 3));
    } finally {
      sampler.stop();
      transitions.stop();
    }
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe("restored 3 volumes from 's1'; pods restarted");
    for (const v of serviceVolumes(sb, name)) expect(sb.portworx.marker(v.id), v.name).toBe('v1');
    // The old tasks were killed (not lost) and new ones launched.
    for (const id of oldTasks) expect(sampler.first((c) => c.kind === 'task' && c.taskId === id && c.state === 'TASK_KILLED'), id).toBeGreaterThan(0);
    expect(runningTasks(sb).map((t) => t.taskId).filter((id) => oldTasks.includes(id))).toEqual([]);
    // Each pod went through stopped before starting again, and all stopped before any restarted.
    const t = transitions.list;
    const lastStopped = Math.max(...['node-0', 'node-1', 'node-2'].map((p) => firstTransition(t, `pod/${p}`, 'stopped')));
    for (const p of ['node-0', 'node-1', 'node-2']) {
      expect(firstTransition(t, `pod/${p}`, 'stopped'), p).toBeGreaterThanOrEqual(0);
      expect(firstTransition(t, `pod/${p}`, 'placed'), p).toBeGreaterThan(lastStopped);
    }
    // Never a running task whose volume was detached under it (the restore needs them detached).
    expect(sampler.violations).toEqual([]);
    for (const v of serviceVolumes(sb, name)) expect(v.attachedOn).toHaveLength(1);
  });

  it('snapshot restore of an unknown snapshot is a 404 and changes nothing', async () => {
    const tasks = runningTasks(sb).map((t) => t.taskId).sort();
    const r = await cli(name, 'snapshot', 'restore', 'nope', '--yes');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^pxfw: 404 UNKNOWN_SNAPSHOT: .*'nope'/m);
    expect(runningTasks(sb).map((t) => t.taskId).sort()).toEqual(tasks);
  });

  it('a failing pre-snapshot command aborts the snapshot: no group is kept and the CLI says why', async () => {
    sb.mesos.setCommandBehaviour('nodetool flush', { exitCode: 2 });
    try {
      const before = sb.portworx.volumes().filter((v) => v.parentId).length;
      const r = await cli(name, 'snapshot', 'create', '--name', 's2');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/snapshot 's2' failed: pre-commands: .*nodetool flush.*exited with code 2/);
      expect(sb.portworx.volumes().filter((v) => v.parentId)).toHaveLength(before);
      const list = await cliJson<SnapshotJson[]>(name, 'snapshot', 'list');
      expect(list.map((s) => s.name)).toEqual(['s1']);
    } finally {
      sb.mesos.setCommandBehaviour('nodetool flush', {});
    }
  });

  it('a failing post-snapshot command keeps the snapshot, and the CLI warns about the command', async () => {
    // The post command runs even when the snapshot itself failed; here the snapshot succeeds.
    sb.scheduler.runtime.spec.pods.node!.postSnapshot = 'nodetool thaw';
    sb.mesos.setCommandBehaviour('nodetool thaw', { exitCode: 3 });
    try {
      const r = await cli(name, 'snapshot', 'create', '--name', 's3');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/warning: the snapshot was taken but a post-snapshot command failed: .*nodetool thaw.*code 3/);
      const thaws = sb.mesos.commands().filter((c) => c.command === 'nodetool thaw');
      expect(thaws).toHaveLength(3);
      const list = await cliJson<SnapshotJson[]>(name, 'snapshot', 'list');
      expect(list.map((s) => s.name)).toContain('s3');
    } finally {
      sb.mesos.setCommandBehaviour('nodetool thaw', {});
      delete sb.scheduler.runtime.spec.pods.node!.postSnapshot;
    }
  });
});
