import { PXD_DRIVER, type VolumeIsolator, type VolumeMount } from './isolator';
import type { Master } from './master';
import type { SimAgent, SimTask } from './state';

const MOUNT_LOG_LIMIT = 20_000;

/** A launched task's docker volumes are mounted on its agent: record them (the log keeps active mounts when it grows). */
export function recordMounts(mountLog: VolumeMount[], task: SimTask, agent: SimAgent): void {
  for (const v of task.volumes) {
    const mount: VolumeMount = {
      ...v,
      taskId: task.id,
      frameworkId: task.frameworkId,
      agentId: agent.id,
      hostname: agent.hostname,
      active: true,
    };
    task.mounts.push(mount);
    mountLog.push(mount);
  }
  if (mountLog.length > MOUNT_LOG_LIMIT) {
    const keep = mountLog.filter((x) => x.active);
    mountLog.splice(0, mountLog.length, ...keep);
  }
}

/** The task ended on its agent: its mounts end, and the isolator releases the pxd volumes it prepared. Once. */
export function releaseVolumes(task: SimTask, isolator: VolumeIsolator | undefined, m: Master): void {
  if (task.released) return;
  task.released = true;
  for (const mount of task.mounts) mount.active = false;
  if (!isolator || !task.prepared) return;
  const agent = m.agents.get(task.agentId);
  const pxd = task.volumes.filter((v) => v.driver === PXD_DRIVER).map(({ driver, name, options }) => ({ driver, name, options }));
  isolator
    .release({ taskId: task.id, agentId: task.agentId, hostname: agent?.hostname ?? '', volumes: pxd })
    .catch((err: unknown) => m.log.error({ taskId: task.id, err }, 'volume isolator failed to release volumes'));
}
