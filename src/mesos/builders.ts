import { z } from 'zod';
import { ResourcePool } from './resources';
import type { ContainerInfo, ExecutorInfo, Offer, OfferOperation, Resource, TaskInfo, Volume } from './types';
import type { CheckInfo, HealthCheckInfo } from './task-group-checks';
import { parseOrThrow } from './validate';

export {
  attributeValue,
  faultDomainOf,
  offerHasPorts,
  offerRanges,
  offerScalar,
  rackOf,
  topologyOf,
  type Topology,
} from './resources';

/**
 * The smallest executor Mesos accepts for a task group: ≥ 0.01 cpus, ≥ 32 MB and some disk — the
 * master answers TASK_ERROR "Executor '…' uses no disk" otherwise (src/master/validation.cpp).
 */
export const MIN_EXECUTOR_CPUS = 0.01;
export const MIN_EXECUTOR_MEM_MB = 32;
export const DEFAULT_EXECUTOR_RESOURCES = { cpus: 0.1, mem: 32, disk: 10 } as const;

/** Portworx's Docker volume driver name. */
export const PORTWORX_DRIVER = 'pxd';

const volumeSpec = z.object({
  containerPath: z.string().min(1),
  name: z.string().min(1),
  driverOptions: z.record(z.string(), z.string()).optional(),
  readOnly: z.boolean().optional(),
});

const taskSpec = z.object({
  taskId: z.string().min(1),
  name: z.string().min(1),
  cpus: z.number().positive(),
  mem: z.number().positive(),
  disk: z.number().positive().optional(),
  ports: z.array(z.number().int().min(1).max(65535)).optional(),
  command: z.string().min(1),
  env: z.record(z.string(), z.string()).optional(),
  image: z.string().min(1).optional(),
  volumes: z.array(volumeSpec),
  labels: z.record(z.string(), z.string()).optional(),
  /** TaskInfo.health_check, as built by task-group-checks.ts (mesos.proto HealthCheck JSON). */
  healthCheck: z.custom<HealthCheckInfo>((v) => typeof v === 'object' && v !== null && 'type' in v).optional(),
  /** TaskInfo.check (mesos.proto CheckInfo JSON). */
  check: z.custom<CheckInfo>((v) => typeof v === 'object' && v !== null && 'type' in v).optional(),
});

const launchGroupSpec = z.object({
  executorId: z.string().min(1),
  frameworkId: z.string().min(1),
  role: z.string().min(1),
  tasks: z
    .array(taskSpec)
    .min(1)
    .refine((tasks) => new Set(tasks.map((t) => t.taskId)).size === tasks.length, 'task ids must be unique'),
  executor: z
    .object({
      cpus: z.number().min(MIN_EXECUTOR_CPUS).optional(),
      mem: z.number().min(MIN_EXECUTOR_MEM_MB).optional(),
      disk: z.number().positive().optional(),
      name: z.string().min(1).optional(),
      /** A virtual network the task group joins: tasks of a group share the executor's network. */
      network: z.object({ name: z.string().min(1), labels: z.record(z.string(), z.string()).optional() }).optional(),
    })
    .optional(),
});

export type VolumeMountSpec = z.input<typeof volumeSpec>;
export type LaunchTaskSpec = z.input<typeof taskSpec>;
export type LaunchGroupInput = z.input<typeof launchGroupSpec> & {
  offer: Offer;
  /**
   * The input was built here from a parsed spec (task-group.ts buildTaskGroup), not taken from
   * outside: skip its zod check (a whole schema walk per launch, the largest part of building
   * one). Boundary callers (tests, adapters, anything from the wire) leave it unset and get the
   * check. A trusted input must still satisfy the schema's types: nothing is defaulted by it.
   */
  trusted?: boolean;
};

type LaunchGroupSpec = z.output<typeof launchGroupSpec>;

/**
 * An ACCEPT operation launching `tasks` as one task group on the offer's agent under a DEFAULT
 * executor. Each task runs in a MESOS container with its Portworx volumes mounted through the
 * Docker volume isolator. Throws MesosInsufficientResourcesError when the offer is too small,
 * and ValidationError on an invalid input that is not `trusted`.
 */
export function launchGroupOperation(input: LaunchGroupInput): OfferOperation {
  const { offer, trusted, ...rest } = input;
  // The schema only checks (no defaults, no transforms): a trusted input is used as it is.
  const spec: LaunchGroupSpec = trusted ? (rest as LaunchGroupSpec) : parseOrThrow(launchGroupSpec, rest, 'launch group');
  const pool = new ResourcePool(offer, spec.role);
  const exec = { ...DEFAULT_EXECUTOR_RESOURCES, ...spec.executor };
  const executorResources = [
    ...pool.takeScalar('cpus', exec.cpus, `executor ${spec.executorId}`),
    ...pool.takeScalar('mem', exec.mem, `executor ${spec.executorId}`),
    ...pool.takeScalar('disk', exec.disk, `executor ${spec.executorId}`),
  ];
  const executor: ExecutorInfo = {
    type: 'DEFAULT',
    executor_id: { value: spec.executorId },
    framework_id: { value: spec.frameworkId },
    // The default executor runs the tasks itself: it must not carry a command.
    resources: executorResources,
    ...(exec.name ? { name: exec.name } : {}),
    ...(exec.network ? { container: executorContainer(exec.network) } : {}),
  };
  const tasks = spec.tasks.map((task) => taskInfo(task, offer, pool));
  return { type: 'LAUNCH_GROUP', launch_group: { executor, task_group: { tasks } } };
}

/**
 * mesos.proto NetworkInfo naming a CNI network. Mesos refuses it on a task of a task group ("nested
 * containers not joining parent's network" may not have HTTP/TCP health checks), so it goes on the
 * executor's container and every task of the group shares that network.
 */
function executorContainer(network: { name: string; labels?: Record<string, string> | undefined }): ContainerInfo {
  const labels = Object.entries(network.labels ?? {}).map(([key, value]) => ({ key, value }));
  const info = { name: network.name, ...(labels.length > 0 ? { labels: { labels } } : {}) };
  return { type: 'MESOS', network_infos: [info] } as ContainerInfo;
}

/** A TaskInfo with the check fields mesos.proto v1 gives it (health_check = 9, check = 13). */
export type CheckedTaskInfo = TaskInfo & { health_check?: HealthCheckInfo; check?: CheckInfo };

function taskInfo(task: z.output<typeof taskSpec>, offer: Offer, pool: ResourcePool): CheckedTaskInfo {
  const what = `task ${task.taskId}`;
  const resources: Resource[] = [
    ...pool.takeScalar('cpus', task.cpus, what),
    ...pool.takeScalar('mem', task.mem, what),
    ...(task.disk ? pool.takeScalar('disk', task.disk, what) : []),
    ...(task.ports && task.ports.length > 0 ? pool.takePorts(task.ports, what) : []),
  ];
  const variables = Object.entries(task.env ?? {}).map(([name, value]) => ({ name, value }));
  const labels = Object.entries(task.labels ?? {}).map(([key, value]) => ({ key, value }));
  return {
    name: task.name,
    task_id: { value: task.taskId },
    agent_id: offer.agent_id,
    resources,
    command: {
      value: task.command,
      shell: true,
      ...(variables.length > 0 ? { environment: { variables } } : {}),
    },
    container: mesosContainer(task.image, task.volumes),
    ...(labels.length > 0 ? { labels: { labels } } : {}),
    ...(task.healthCheck ? { health_check: task.healthCheck } : {}),
    ...(task.check ? { check: task.check } : {}),
  };
}

function mesosContainer(image: string | undefined, volumes: z.output<typeof volumeSpec>[]): ContainerInfo {
  return {
    type: 'MESOS',
    ...(image ? { mesos: { image: { type: 'DOCKER', docker: { name: image } } } } : {}),
    ...(volumes.length > 0 ? { volumes: volumes.map(portworxVolume) } : {}),
  };
}

/** A `pxd` Docker volume mounted at `containerPath` (DESIGN.md wire facts). */
export function portworxVolume(spec: VolumeMountSpec): Volume {
  const parameter = Object.entries(spec.driverOptions ?? {}).map(([key, value]) => ({ key, value }));
  return {
    container_path: spec.containerPath,
    mode: spec.readOnly ? 'RO' : 'RW',
    source: {
      type: 'DOCKER_VOLUME',
      docker_volume: {
        driver: PORTWORX_DRIVER,
        name: spec.name,
        ...(parameter.length > 0 ? { driver_options: { parameter } } : {}),
      },
    },
  };
}
