import { OVERLAY_DYNAMIC_PORTS, usesHostPorts } from '../service-spec/network';
import type { PodSpec, ServiceSpec } from '../service-spec/types';
import type { ContainerInfo, OfferOperation } from './types';

/**
 * The ports of one launch (service-spec/network.ts has the rules): host ports come from the
 * offer and go into the task's `ports` resource; on a virtual network without port mapping they
 * are the container's own (fixed ones as written, dynamic ones from OVERLAY_DYNAMIC_PORTS) and no
 * port resource is taken, as dcos-commons' PortEvaluationStage does.
 */

type PortRange = { readonly begin: number; readonly end: number };

/** A pod's ports: its fixed ports, then the lowest free ones of `ranges`, in spec order. */
export function choosePorts(pod: PodSpec, ranges: readonly PortRange[]): number[] {
  const fixed = new Set(pod.ports.flatMap((p) => (p.port ? [p.port] : [])));
  const free: number[] = [];
  const dynamic = pod.ports.filter((p) => !p.port).length;
  for (const r of ranges) {
    for (let p = r.begin; p <= r.end && free.length < dynamic; p++) if (!fixed.has(p)) free.push(p);
  }
  return pod.ports.map((p) => p.port ?? free.shift() ?? 0).filter((p) => p > 0);
}

export interface PodPorts {
  /** One port per pod port, in spec order: what PORT_<NAME> and the checks see. */
  ports: number[];
  /** The ports are host ports: the task takes them from the offer (and a virtual network maps them). */
  hostPorts: boolean;
}

/** The ports a pod instance runs with on this offer. */
export function podPorts(spec: ServiceSpec, pod: PodSpec, offerPorts: readonly PortRange[]): PodPorts {
  const hostPorts = usesHostPorts(spec);
  return { hostPorts, ports: choosePorts(pod, hostPorts ? offerPorts : [OVERLAY_DYNAMIC_PORTS]) };
}

/**
 * mesos.proto NetworkInfo.port_mappings for host ports on a virtual network: each host port to the
 * same container port (dcos-commons maps a task port 1:1 unless the YAML remaps it).
 */
export function withPortMappings(op: OfferOperation, ports: readonly number[]): OfferOperation {
  if (op.type !== 'LAUNCH_GROUP' || ports.length === 0) return op;
  const container = op.launch_group.executor.container;
  // network_infos is set by builders.ts (ContainerInfo does not type it).
  const infos = (container as { network_infos?: Record<string, unknown>[] } | undefined)?.network_infos;
  if (!container || !infos || infos.length === 0) return op;
  const port_mappings = ports.map((p) => ({ host_port: p, container_port: p, protocol: 'tcp' }));
  const network_infos = infos.map((info, i) => (i === 0 ? { ...info, port_mappings } : info));
  const executor = { ...op.launch_group.executor, container: { ...container, network_infos } as ContainerInfo };
  return { ...op, launch_group: { ...op.launch_group, executor } };
}
