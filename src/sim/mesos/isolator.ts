/**
 * The agents' `docker/volume` isolator hook. The simulator calls `prepare` for a task that mounts
 * `pxd` DOCKER_VOLUME volumes before reporting it RUNNING, and `release` once the task has ended.
 * A `prepare` that throws fails the task with TASK_FAILED / REASON_CONTAINER_LAUNCH_FAILED.
 */
export interface DockerVolume {
  driver: string;
  name: string;
  options: Record<string, string>;
}

export interface IsolatedTask {
  taskId: string;
  agentId: string;
  hostname: string;
  volumes: DockerVolume[];
}

export interface VolumeIsolator {
  prepare(task: IsolatedTask): Promise<void>;
  release(task: IsolatedTask): Promise<void>;
}

/** One docker volume a task mounts, as recorded by the simulator (see MesosSimulator.volumeMounts()). */
export interface VolumeMount extends DockerVolume {
  taskId: string;
  frameworkId: string;
  agentId: string;
  hostname: string;
  containerPath: string;
  mode: string;
  /** True while the task is active on its agent; false after it ended or its agent went away. */
  active: boolean;
}

/** The Portworx volume driver name as it appears in `docker_volume.driver`. */
export const PXD_DRIVER = 'pxd';

interface WireVolume {
  container_path?: unknown;
  mode?: unknown;
  source?: {
    type?: unknown;
    docker_volume?: { driver?: unknown; name?: unknown; driver_options?: { parameter?: unknown } };
  };
}

/** Extract the DOCKER_VOLUME volumes of a ContainerInfo (wire JSON); other volume kinds are not ours. */
export function dockerVolumesOf(container: unknown): (DockerVolume & { containerPath: string; mode: string })[] {
  if (!container || typeof container !== 'object') return [];
  const volumes = (container as { volumes?: unknown }).volumes;
  if (!Array.isArray(volumes)) return [];
  const out: (DockerVolume & { containerPath: string; mode: string })[] = [];
  for (const v of volumes as WireVolume[]) {
    const dv = v?.source?.docker_volume;
    if (v?.source?.type !== 'DOCKER_VOLUME' || !dv || typeof dv.name !== 'string') continue;
    const options: Record<string, string> = {};
    const params = dv.driver_options?.parameter;
    if (Array.isArray(params)) {
      for (const p of params as { key?: unknown; value?: unknown }[]) {
        if (typeof p?.key === 'string') options[p.key] = typeof p.value === 'string' ? p.value : String(p.value ?? '');
      }
    }
    out.push({
      driver: typeof dv.driver === 'string' ? dv.driver : '',
      name: dv.name,
      options,
      containerPath: typeof v.container_path === 'string' ? v.container_path : '',
      mode: typeof v.mode === 'string' ? v.mode : 'RW',
    });
  }
  return out;
}
