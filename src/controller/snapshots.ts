import type { GroupSnapshotOutput } from '../../machines/framework.types';
import type { SnapshotView } from '../api/operations';
import { POD_TAGS } from '../../machines/pod-instance.logic';
import type { PodInstanceContext } from '../../machines/pod-instance.types';
import type { PortworxClient } from '../portworx';
import type { ServiceSpec } from '../service-spec';
import { SnapshotCommandError } from './errors';
import type { PodEntry } from './pod-registry';
import type { StateStore } from './ports/state-store';
import type { TaskTracker } from './task-tracker';

export interface CommandTarget {
  taskId: string;
  agentId: string;
  hostname: string;
  containerId: { value: string; parent?: { value: string } };
}

/** Runs a command inside a running task (the Mesos agent API's nested containers). */
export interface CommandRunner {
  run(target: CommandTarget, command: string, timeoutMs: number): Promise<{ exitCode: number }>;
}

const SNAPSHOT_PREFIX = 'snapshots.';

/** What the snapshots need: the spec, the pods and their tasks' containers, Portworx and KV. */
export interface SnapshotDeps {
  service: string;
  spec: () => ServiceSpec;
  pods: { all(): PodEntry[]; context(e: PodEntry): Pick<PodInstanceContext, 'task'> };
  tasks: Pick<TaskTracker, 'status'>;
  px: Pick<PortworxClient, 'inspectVolumeWithFilters' | 'createGroupSnapshot'>;
  kv: StateStore;
  runner: CommandRunner | undefined;
}

/**
 * Framework-level consistent snapshots: optional pre-commands in every running task of the
 * pod types that declare one, one group snapshot of every volume of the service (or of one pod
 * type) through the legacy REST, then the post-commands — which run even when the snapshot
 * failed, so a `flush`/`freeze` is always undone.
 */
export class SnapshotManager {
  /** The pod type the next SNAPSHOT_CREATE targets (the machine event carries only the name). */
  private scope = new Map<string, string | null>();

  constructor(private readonly deps: SnapshotDeps) {}

  setScope(name: string, podType: string | null): void {
    this.scope.set(name, podType);
  }

  async runCommands(phase: 'pre' | 'post', name: string): Promise<void> {
    const podType = this.scope.get(name) ?? null;
    const spec = this.deps.spec();
    const failures: string[] = [];
    for (const entry of this.deps.pods.all()) {
      if (podType && entry.podType !== podType) continue;
      const pod = spec.pods[entry.podType];
      const command = phase === 'pre' ? pod?.preSnapshot : pod?.postSnapshot;
      if (!pod || !command) continue;
      const task = this.deps.pods.context(entry).task;
      if (!task || !entry.actor.getSnapshot().hasTag(POD_TAGS.running)) continue;
      const container = this.deps.tasks.status(task.taskId)?.container_status?.container_id;
      if (!container) {
        // Without the container the command cannot run: a snapshot without it is not consistent.
        failures.push(`${entry.name}: container of task ${task.taskId} not known yet (no status with container_status since the scheduler started)`);
        continue;
      }
      const runner = this.deps.runner;
      if (!runner) throw new SnapshotCommandError(`no command runner configured for ${phase}-snapshot commands`);
      try {
        const target = { taskId: task.taskId, agentId: task.agentId, hostname: task.hostname, containerId: container as CommandTarget['containerId'] };
        await runner.run(target, command, pod.snapshotTimeout * 1000);
      } catch (err) {
        failures.push(`${entry.name}: ${(err as Error).message}`);
      }
    }
    if (failures.length > 0) throw new SnapshotCommandError(`${phase}-snapshot command failed in ${failures.join('; ')}`);
  }

  async groupSnapshot(name: string): Promise<GroupSnapshotOutput> {
    const podType = this.scope.get(name) ?? null;
    const labels: Record<string, string> = { 'pxfw/service': this.deps.service, ...(podType ? { 'pxfw/pod-type': podType } : {}) };
    const volumes = (await this.deps.px.inspectVolumeWithFilters({ labels })).filter((v) => v.volume.id && !v.volume.source?.parent);
    const groupId = `${this.deps.service}-${name}`;
    const result = await this.deps.px.createGroupSnapshot({
      volumeIds: volumes.map((v) => v.volume.id!),
      groupId,
      labels: { 'pxfw/service': this.deps.service, 'pxfw/snapshot': name },
      deleteOnFailure: true,
    });
    const view: SnapshotView = {
      id: result.groupId,
      name,
      createdAt: new Date().toISOString(),
      podType,
      volumes: volumes.map((v) => ({ volumeId: v.volume.id!, volumeName: v.name, snapshotId: result.snapshots[v.volume.id!] ?? '' })),
    };
    await this.deps.kv.put(`${SNAPSHOT_PREFIX}${safeName(name)}`, view, 0).catch(async () => {
      await this.deps.kv.modify(`${SNAPSHOT_PREFIX}${safeName(name)}`, () => view);
    });
    return { snapshotIds: Object.values(result.snapshots) };
  }

  async list(): Promise<SnapshotView[]> {
    const out: SnapshotView[] = [];
    for (const key of await this.deps.kv.keys(SNAPSHOT_PREFIX)) {
      const v = await this.deps.kv.get<SnapshotView>(key);
      if (v) out.push(v.value);
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async find(idOrName: string): Promise<SnapshotView | undefined> {
    return (await this.list()).find((s) => s.id === idOrName || s.name === idOrName);
  }

  async allSnapshotIds(): Promise<string[]> {
    return (await this.list()).flatMap((s) => s.volumes.map((v) => v.snapshotId).filter(Boolean));
  }
}

function safeName(name: string): string {
  return name.replace(/[^-_A-Za-z0-9]/g, '_');
}
