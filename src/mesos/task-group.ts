import { volumeName } from '../service-spec/names';
import type { PodSpec, ServiceSpec } from '../service-spec/types';
import { launchGroupOperation, type LaunchTaskSpec, type VolumeMountSpec } from './builders';
import { checkInfo, healthCheckInfo, type PortOf } from './task-group-checks';
import type { Offer, OfferOperation } from './types';

/**
 * The LAUNCH_GROUP of one pod instance, built by a pure function from the spec, the pod, the
 * offer it was placed on and the configuration it is launched with. The offer handler places,
 * persists the intent and accepts; what goes on the wire is decided here alone.
 */

/** TaskInfo label naming the configuration (config-update-plan.ts `configId`) a task was launched with. */
export const CONFIG_ID_LABEL = 'pxfw/config-id';

export interface TaskGroupInput {
  spec: ServiceSpec;
  pod: { podType: string; index: number; name: string };
  taskId: string;
  frameworkId: string;
  offer: Offer;
  /** The offer's port ranges (the placement view of it). */
  offerPorts: readonly { begin: number; end: number }[];
  /** The pod's Portworx volumes, by their deterministic names (`<service>-<podType>-<index>-<volume>`). */
  volumes: readonly { name: string }[];
  /** The configuration id this launch runs (absent: no label). */
  configId?: string | undefined;
}

/** A pod's ports: its fixed ports, then the lowest free ones of the offer's ranges, in spec order. */
export function choosePorts(pod: PodSpec, offerPorts: readonly { begin: number; end: number }[]): number[] {
  const fixed = new Set(pod.ports.flatMap((p) => (p.port ? [p.port] : [])));
  const free: number[] = [];
  const dynamic = pod.ports.filter((p) => !p.port).length;
  for (const r of offerPorts) {
    for (let p = r.begin; p <= r.end && free.length < dynamic; p++) if (!fixed.has(p)) free.push(p);
  }
  return pod.ports.map((p) => p.port ?? free.shift() ?? 0).filter((p) => p > 0);
}

/** `PORT_<NAME>` for each pod port, as the task's environment names it. */
export function portEnvName(name: string): string {
  return `PORT_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * The volume spec of each of the pod's volumes, matched by its full deterministic name: a suffix
 * match would take volume `meta-data` for the spec of `data`.
 */
export function volumeMounts(spec: ServiceSpec, pod: TaskGroupInput['pod'], volumes: readonly { name: string }[]): VolumeMountSpec[] {
  const podSpec = spec.pods[pod.podType];
  return volumes.map((v): VolumeMountSpec => {
    const vs = podSpec?.volumes.find((s) => volumeName(spec.name, pod.podType, pod.index, s.name) === v.name);
    return {
      containerPath: vs?.path ?? `/mnt/${v.name}`,
      name: v.name,
      driverOptions: vs ? { size: String(vs.size), repl: String(vs.repl) } : {},
    };
  });
}

/** The one task of the pod's task group: resources, command, environment, volumes, checks, labels. */
export function podTask(input: TaskGroupInput): LaunchTaskSpec {
  const { spec, pod: ref, taskId } = input;
  const pod = spec.pods[ref.podType];
  if (!pod) throw new RangeError(`pod type '${ref.podType}' is not in spec '${spec.name}'`);
  const ports = choosePorts(pod, input.offerPorts);
  const env: Record<string, string> = {
    ...pod.env,
    PXFW_SERVICE: spec.name,
    PXFW_POD: ref.name,
    PXFW_POD_INDEX: String(ref.index),
    PXFW_TASK_ID: taskId,
  };
  pod.ports.forEach((p, i) => (env[portEnvName(p.name)] = String(ports[i])));
  const portOf: PortOf = (port) => (typeof port === 'number' ? port : (ports[pod.ports.findIndex((p) => p.name === port)] ?? 0));
  const labels: Record<string, string> = { 'pxfw/service': spec.name, 'pxfw/pod': ref.name };
  if (input.configId !== undefined) labels[CONFIG_ID_LABEL] = input.configId;
  return {
    taskId,
    name: `${spec.name}-${ref.name}`,
    cpus: pod.cpus,
    mem: pod.mem,
    ...(pod.disk > 0 ? { disk: pod.disk } : {}),
    ...(ports.length > 0 ? { ports } : {}),
    command: pod.command,
    env,
    ...(pod.image ? { image: pod.image } : {}),
    volumes: volumeMounts(spec, ref, input.volumes),
    labels,
    ...(pod.healthCheck ? { healthCheck: healthCheckInfo(pod.healthCheck, portOf, env) } : {}),
    ...(pod.readinessCheck ? { check: checkInfo(pod.readinessCheck, portOf, env) } : {}),
  };
}

/**
 * The ACCEPT operation launching the pod: one task under a DEFAULT executor named after it.
 * Throws MesosInsufficientResourcesError when the offer is too small (launchGroupOperation).
 */
export function buildTaskGroup(input: TaskGroupInput): OfferOperation {
  return launchGroupOperation({
    offer: input.offer,
    executorId: `${input.taskId}__executor`,
    frameworkId: input.frameworkId,
    role: input.offer.allocation_info?.role ?? '*',
    tasks: [podTask(input)],
  });
}
