import { describe, expect, it } from 'vitest';
import type { CheckedTaskInfo } from '../../src/mesos/builders';
import type { Offer, OfferOperation, Resource } from '../../src/mesos';
import { launchGroupOperation } from '../../src/mesos/builders';
import { buildTaskGroup, podTask, type TaskGroupInput } from '../../src/mesos/task-group';
import { hostPortNeeds, parseSpec, ServiceSpecError, type ServiceSpec } from '../../src/service-spec';
import { protoViolations } from './helpers/proto-check';

/**
 * Ports of pods on a virtual network, as dcos-commons' PortEvaluationStage treats them: on a
 * network without port mapping (DC/OS's `dcos` overlay) the ports are the container's own and no
 * port resource is taken from the offer; on one that maps ports (`mesos-bridge`, or
 * `host_ports: true`) each pod port is a host port from the offer, mapped 1:1.
 */

const scalar = (name: string, value: number): Resource => ({ name, type: 'SCALAR', scalar: { value }, allocation_info: { role: '*' } });

function offer(ports: { begin: number; end: number }[]): Offer {
  const resources: Resource[] = [scalar('cpus', 8), scalar('mem', 16_384), scalar('disk', 10_000)];
  if (ports.length > 0) resources.push({ name: 'ports', type: 'RANGES', ranges: { range: ports }, allocation_info: { role: '*' } });
  return { id: { value: 'offer-1' }, framework_id: { value: 'fw-1' }, agent_id: { value: 'agent-1' }, hostname: 'h1', allocation_info: { role: '*' }, resources } as Offer;
}

const spec = (network: string) =>
  parseSpec(`${network}
name: db
pods:
  node:
    count: 2
    cpus: 1
    mem: 1024
    ports:
      - {name: native, port: 9042}
      - {name: jmx}
    command: run-db --port $PORT_NATIVE
    readiness_check:
      tcp: {port: jmx}
`);

function launch(s: ServiceSpec, ports: { begin: number; end: number }[]): OfferOperation {
  return buildTaskGroup(inputFor(s, ports));
}

function inputFor(s: ServiceSpec, ports: { begin: number; end: number }[]): TaskGroupInput {
  return {
    spec: s,
    pod: { podType: 'node', index: 0, name: 'node-0' },
    taskId: 'db__node-0__1-0123abcd',
    frameworkId: 'fw-1',
    offer: offer(ports),
    offerPorts: ports,
    volumes: [],
  };
}

function taskOf(op: OfferOperation): CheckedTaskInfo {
  if (op.type !== 'LAUNCH_GROUP') throw new Error(`expected LAUNCH_GROUP, got ${op.type}`);
  return op.launch_group.task_group.tasks![0]!;
}

const envOf = (task: CheckedTaskInfo) => Object.fromEntries((task.command?.environment?.variables ?? []).map((v) => [v.name, v.value]));
/** The port ranges the task takes from the offer. */
const portResources = (task: CheckedTaskInfo) => (task.resources ?? []).filter((r) => r.name === 'ports').flatMap((r) => r.ranges?.range ?? []);
const networkInfo = (op: OfferOperation) => (op.type === 'LAUNCH_GROUP' ? (op.launch_group.executor.container as { network_infos?: Record<string, unknown>[] } | undefined)?.network_infos?.[0] : undefined);
const accept = (op: OfferOperation) => ({ type: 'ACCEPT', framework_id: { value: 'fw-1' }, accept: { offer_ids: [{ value: 'offer-1' }], operations: [op] } });

describe('pod ports on a virtual network (dcos-commons PortEvaluationStage, DcosConstants)', () => {
  it('on the dcos overlay takes no port from the offer: the fixed port as written, a dynamic one from 1025', () => {
    const op = launch(spec('network: {name: dcos}'), []);
    const task = taskOf(op);
    expect(portResources(task)).toEqual([]);
    expect(envOf(task)).toMatchObject({ PORT_NATIVE: '9042', PORT_JMX: '1025' });
    // The readiness check probes the container's own port.
    expect(task.check?.tcp?.port).toBe(1025);
    expect(networkInfo(op)).toEqual({ name: 'dcos' });
    expect(protoViolations('mesos.scheduler.Call', accept(op))).toEqual([]);
  });

  it('asks the offer for no ports on a network without port mapping (the placement requirement)', () => {
    const overlay = spec('network: {name: dcos}');
    expect(hostPortNeeds(overlay, overlay.pods.node!.ports)).toEqual({ count: 0, fixed: [] });
    const host = spec('');
    expect(hostPortNeeds(host, host.pods.node!.ports)).toEqual({ count: 2, fixed: [9042] });
  });

  it('on mesos-bridge takes host ports from the offer and maps each to the same container port', () => {
    const op = launch(spec('network: {name: mesos-bridge}'), [{ begin: 9000, end: 9100 }]);
    const task = taskOf(op);
    expect(portResources(task)).toEqual([{ begin: 9000, end: 9000 }, { begin: 9042, end: 9042 }]);
    expect(envOf(task)).toMatchObject({ PORT_NATIVE: '9042', PORT_JMX: '9000' });
    expect(networkInfo(op)).toEqual({
      name: 'mesos-bridge',
      port_mappings: [
        { host_port: 9042, container_port: 9042, protocol: 'tcp' },
        { host_port: 9000, container_port: 9000, protocol: 'tcp' },
      ],
    });
    expect(protoViolations('mesos.scheduler.Call', accept(op))).toEqual([]);
  });

  it('maps ports on any other network when the spec asks (host_ports: true), and not by default', () => {
    const mapped = launch(spec('network: {name: calico, host_ports: true}'), [{ begin: 9000, end: 9100 }]);
    expect(portResources(taskOf(mapped))).toHaveLength(2);
    expect(networkInfo(mapped)).toHaveProperty('port_mappings');
    const plain = launch(spec('network: {name: calico}'), []);
    expect(portResources(taskOf(plain))).toEqual([]);
    expect(networkInfo(plain)).not.toHaveProperty('port_mappings');
  });

  it('keeps host ports on the host network (no network: the agent\'s ports)', () => {
    const op = launch(spec(''), [{ begin: 9000, end: 9100 }]);
    expect(portResources(taskOf(op))).toHaveLength(2);
    expect(op.type === 'LAUNCH_GROUP' && op.launch_group.executor.container).toBeFalsy();
  });

  it('refuses host ports on the dcos overlay, which has no port mapping (as dcos-commons does)', () => {
    expect(() => spec('network: {name: dcos, host_ports: true}')).toThrow(ServiceSpecError);
    expect(() => spec('network: {name: dcos, host_ports: true}')).toThrow(/network\.host_ports: virtual network 'dcos' does not map container ports to host ports/);
  });

  it('builds, unchecked (builders.ts trusted), exactly the operation the checked builder makes of the same task', () => {
    for (const [network, ports] of [['', [{ begin: 9000, end: 9100 }]], ['network: {name: dcos}', []]] as const) {
      const input = inputFor(spec(network), [...ports]);
      const checked = launchGroupOperation({
        offer: input.offer,
        executorId: `${input.taskId}__executor`,
        frameworkId: 'fw-1',
        role: '*',
        ...(input.spec.network ? { executor: { network: { name: input.spec.network.name, labels: input.spec.network.labels } } } : {}),
        tasks: [podTask(input)],
      });
      expect(buildTaskGroup(input)).toEqual(checked);
    }
  });
});
