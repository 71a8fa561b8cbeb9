import { taskVariables, type DiscoveryView } from '../service-spec/discovery';
import { launchView, renderTemplate } from '../service-spec/templates';
import type { HealthCheckSpec, PodSpec, ReadinessCheckSpec, ServiceSpec } from '../service-spec/types';
import { launchGroupOperation, type LaunchTaskSpec } from './builders';
import { checkInfo, healthCheckInfo, type PortOf } from './task-group-checks';
import { podPorts, withPortMappings } from './task-group-ports';
import { volumeMounts } from './task-group-volumes';
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

/** `PORT_<NAME>` for each pod port, as the task's environment names it. */
export function portEnvName(name: string): string {
  return `PORT_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

export { pxdDriverOptions, volumeMounts } from './task-group-volumes';
export { choosePorts, podPorts } from './task-group-ports';

/** A check with its command template rendered for this pod instance (port probes have none). */
function renderedCheck<C extends ReadinessCheckSpec | HealthCheckSpec>(check: C, view: DiscoveryView): C {
  if (check.probe.kind !== 'command') return check;
  return { ...check, probe: { kind: 'command', command: renderTemplate(check.probe.command, view) } };
}

/**
 * The task's environment: the spec's own (templates rendered), then the discovery variables
 * dcos-commons sets (TASK_NAME, POD_INSTANCE_INDEX, FRAMEWORK_NAME, FRAMEWORK_HOST, and pxfw's
 * TASK_HOST, TASK_MESOS_HOST, POD_TYPE), then the PXFW_* names, then one PORT_<NAME> per port.
 */
function taskEnv(input: TaskGroupInput, pod: PodSpec, ports: number[], view: DiscoveryView): Record<string, string> {
  const { spec, pod: ref, taskId } = input;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(pod.env)) env[name] = renderTemplate(value, view);
  Object.assign(env, taskVariables(spec, ref.podType, ref.index), {
    PXFW_SERVICE: spec.name,
    PXFW_POD: ref.name,
    PXFW_POD_INDEX: String(ref.index),
    PXFW_TASK_ID: taskId,
  });
  pod.ports.forEach((p, i) => (env[portEnvName(p.name)] = String(ports[i])));
  return env;
}

/**
 * The one task of the pod's task group: resources, command, environment, volumes, checks, labels.
 * Its name is the pod instance name (`node-0`): Mesos-DNS and DC/OS autoip name the task
 * `<task name>.<framework name>…`, so the name is what discovery.ts promises the siblings.
 */
export function podTask(input: TaskGroupInput): LaunchTaskSpec {
  const { spec, pod: ref, taskId } = input;
  const pod = spec.pods[ref.podType];
  if (!pod) throw new RangeError(`pod type '${ref.podType}' is not in spec '${spec.name}'`);
  const { ports, hostPorts } = podPorts(spec, pod, input.offerPorts);
  const view = launchView(spec, ref.podType, ref.index);
  const env = taskEnv(input, pod, ports, view);
  const portOf: PortOf = (port) => (typeof port === 'number' ? port : (ports[pod.ports.findIndex((p) => p.name === port)] ?? 0));
  const labels: Record<string, string> = { 'pxfw/service': spec.name, 'pxfw/pod': ref.name };
  if (input.configId !== undefined) labels[CONFIG_ID_LABEL] = input.configId;
  return {
    taskId,
    name: ref.name,
    cpus: pod.cpus,
    mem: pod.mem,
    ...(pod.disk > 0 ? { disk: pod.disk } : {}),
    // Only host ports are resources of the offer; a virtual network's container ports are not.
    ...(hostPorts && ports.length > 0 ? { ports } : {}),
    command: renderTemplate(pod.command, view),
    env,
    ...(pod.image ? { image: pod.image } : {}),
    volumes: volumeMounts(spec, ref, input.volumes),
    labels,
    ...(pod.healthCheck ? { healthCheck: healthCheckInfo(renderedCheck(pod.healthCheck, view), portOf, env) } : {}),
    ...(pod.readinessCheck ? { check: checkInfo(renderedCheck(pod.readinessCheck, view), portOf, env) } : {}),
  };
}

/**
 * The ACCEPT operation launching the pod: one task under a DEFAULT executor named after it.
 * Throws MesosInsufficientResourcesError when the offer is too small (launchGroupOperation).
 */
export function buildTaskGroup(input: TaskGroupInput): OfferOperation {
  const task = podTask(input);
  const network = input.spec.network;
  const op = launchGroupOperation({
    offer: input.offer,
    executorId: `${input.taskId}__executor`,
    frameworkId: input.frameworkId,
    role: input.offer.allocation_info?.role ?? '*',
    ...(network ? { executor: { network: { name: network.name, labels: network.labels } } } : {}),
    tasks: [task],
    // Built here from the parsed spec: the schema walk is skipped (builders.ts `trusted`); the
    // specs in test/mesos/task-group*.test.ts hold these operations to the proto.
    trusted: true,
  });
  // Host ports on a virtual network reach the pod only through the network's port mapping.
  return network?.hostPorts ? withPortMappings(op, task.ports ?? []) : op;
}
