import type { PortworxClient } from '../../portworx';
import { PxfwError } from '../../errors';
import type { Logger } from '../../log/logger';
import { PXD_DRIVER, type IsolatedTask, type VolumeIsolator } from '../mesos/isolator';

export class VolumeMountRefusedError extends PxfwError {
  readonly code = 'VOLUME_MOUNT_REFUSED';
  readonly retryable = false;
}

/** Where the pxd driver mounts a volume on the host (Portworx's docker plugin convention). */
export function hostMountPath(volumeName: string): string {
  return `/var/lib/osd/mounts/${volumeName}`;
}

/**
 * Plays the Mesos agents' `docker/volume` isolator with the Portworx `pxd` driver: before a task
 * runs, each of its pxd volumes is attached and mounted on the task's agent; when the last task
 * using a volume on that agent ends, the volume is unmounted and detached. Portworx refusing
 * the attach (still attached elsewhere, or missing) fails the launch, as on a real agent.
 *
 * A host that crashes never releases its tasks' volumes. When it comes back it registers a new
 * agent id at the same hostname, so users recorded under another agent id of that host are stale
 * (their tasks died with the host) and are forgotten: the next task attaches and mounts again.
 */
export class PortworxVolumeIsolator implements VolumeIsolator {
  /** Users per `<hostname>|<volume name>`: task id → agent id (several tasks on one agent may share a volume). */
  private readonly users = new Map<string, Map<string, string>>();

  constructor(
    private readonly px: PortworxClient,
    private readonly logger?: Logger,
  ) {}

  async prepare(task: IsolatedTask): Promise<void> {
    for (const vol of task.volumes.filter((v) => v.driver === PXD_DRIVER)) {
      const key = `${task.hostname}|${vol.name}`;
      const users = this.currentUsers(key, task.agentId);
      if (users.size === 0) await this.attachAndMount(vol.name, task.hostname);
      users.set(task.taskId, task.agentId);
      this.users.set(key, users);
    }
  }

  async release(task: IsolatedTask): Promise<void> {
    for (const vol of task.volumes.filter((v) => v.driver === PXD_DRIVER)) {
      const key = `${task.hostname}|${vol.name}`;
      const users = this.currentUsers(key, task.agentId);
      if (!users.delete(task.taskId) || users.size > 0) continue;
      this.users.delete(key);
      const found = await this.px.findVolumeByName(vol.name);
      if (!found) continue; // deleted meanwhile: nothing is mounted any more
      const id = found.volume.id ?? vol.name;
      await this.px.unmount(id, hostMountPath(vol.name), { node: task.hostname });
      await this.px.detach(id, { node: task.hostname });
      this.logger?.debug({ volume: vol.name, host: task.hostname }, 'volume unmounted and detached');
    }
  }

  /** The users of `key` on agent `agentId`; users left by an earlier agent of the same host are dropped. */
  private currentUsers(key: string, agentId: string): Map<string, string> {
    const users = this.users.get(key) ?? new Map<string, string>();
    for (const [taskId, owner] of users) {
      if (owner !== agentId) {
        users.delete(taskId);
        this.logger?.debug({ key, taskId, agentId: owner }, 'forgetting a volume user of an earlier agent on this host');
      }
    }
    return users;
  }

  private async attachAndMount(name: string, hostname: string): Promise<void> {
    const found = await this.px.findVolumeByName(name);
    if (!found?.volume.id) {
      throw new VolumeMountRefusedError(`Failed to mount docker volume ${name}: volume not found in Portworx`);
    }
    const id = found.volume.id;
    try {
      await this.px.attach(id, { node: hostname });
      await this.px.mount(id, hostMountPath(name), { node: hostname });
    } catch (cause) {
      throw new VolumeMountRefusedError(
        `Failed to mount docker volume ${name} on ${hostname}: ${(cause as Error).message}`,
        { cause },
      );
    }
  }
}
