import type { PortworxClient } from '../../portworx';
import { PxfwError } from '../../errors';
import type { Logger } from '../../log/logger';
import { PXD_DRIVER, type DockerVolume, type IsolatedTask, type VolumeIsolator } from '../mesos/isolator';
import { pxdRequest } from './pxd-options';

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
 * runs, each of its pxd volumes is created when missing (from its driver options), then attached
 * and mounted on the task's agent; when the last task using a volume on that agent ends, the
 * volume is unmounted and detached. Options that disagree with the existing volume, or Portworx
 * refusing the attach (still attached elsewhere), fail the launch, as on a real agent.
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
      if (users.size === 0) await this.attachAndMount(vol, task.hostname);
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

  /**
   * `dvdcli mount` has the driver create the volume first: a missing volume is created from the
   * driver options, and an existing one whose size or shared flag differs from them is refused as
   * the SDK refuses it (ALREADY_EXISTS, api/server/sdk/volume_ops.go). An absent `size` is not
   * compared here (the plugin would read it as 0 and refuse): pxfw always sends one.
   */
  private async ensureVolume(vol: DockerVolume): Promise<string> {
    const request = pxdRequest(vol.options);
    if ('error' in request) throw new VolumeMountRefusedError(`Failed to mount docker volume ${vol.name}: ${request.error}`);
    const found = await this.px.findVolumeByName(vol.name);
    const existing = found?.volume;
    if (existing?.id) {
      const size = BigInt(existing.spec?.size ?? 0);
      if (vol.options.size !== undefined && size !== request.size) {
        throw new VolumeMountRefusedError(`Failed to mount docker volume ${vol.name}: Existing volume has a size of ${size} which differs from requested size of ${request.size}`);
      }
      const shared = existing.spec?.shared ?? false;
      if (shared !== request.shared) {
        throw new VolumeMountRefusedError(`Failed to mount docker volume ${vol.name}: Existing volume has shared=${shared} while request is asking for shared=${request.shared}`);
      }
      return existing.id;
    }
    try {
      const id = await this.px.createVolume({ name: vol.name, spec: request.create });
      this.logger?.info({ volume: vol.name, options: vol.options }, 'pxd created the missing volume from its driver options');
      return id;
    } catch (cause) {
      throw new VolumeMountRefusedError(`Failed to mount docker volume ${vol.name}: create: ${(cause as Error).message}`, { cause });
    }
  }

  private async attachAndMount(vol: DockerVolume, hostname: string): Promise<void> {
    const name = vol.name;
    const id = await this.ensureVolume(vol);
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
