import { taskHost } from '../service-spec/discovery';
import { OVERLAY_DYNAMIC_PORTS, usesHostPorts } from '../service-spec/network';
import type { NetworkSpec } from '../service-spec/types';
import { OperationError } from './errors';

/**
 * `pxfw <service> endpoints [NAME]`: what each pod type exposes, as dcos-commons' endpoints show
 * them: the address of every running pod and its stable DC/OS DNS name
 * (`<task>.<service>.autoip.dcos.thisdcos.directory:port`, which follows the pod when it moves).
 *
 * The address is the agent's (`host:port`) when the pod's ports are host ports: on the host
 * network, or on a virtual network that maps them 1:1 (network.ts). On a virtual network without
 * port mapping (DC/OS's `dcos` overlay) the pod has an address of its own and the agent's ports are
 * not its ports: the address is then the pod's autoip name and container port (dcos-commons shows
 * the container IP there, which pxfw does not keep; the name resolves to it). Dynamic ports there
 * are the container's, the lowest free of OVERLAY_DYNAMIC_PORTS, as every launch chooses them
 * (task-group-ports.ts choosePorts), so they are known without the task.
 */

export class UnknownEndpointError extends OperationError {
  readonly code = 'UNKNOWN_ENDPOINT';
  readonly retryable = false;
  readonly status = 404;
}

export interface EndpointDetailView {
  /** `<pod type>-<port name>`, e.g. `node-native`. */
  name: string;
  addresses: string[];
  /** Autoip DNS names with the port, one per running pod, in the order of `addresses`. */
  dns: string[];
  podType: string;
  port: string;
}

export interface EndpointPod {
  name: string;
  podType: string;
  hostname: string;
  running: boolean;
}

export interface EndpointPortSpec {
  name: string;
  port?: number | undefined;
}

/** The container ports of a pod on a virtual network without port mapping: fixed as written, dynamic from OVERLAY_DYNAMIC_PORTS. */
function containerPorts(ports: readonly EndpointPortSpec[]): number[] {
  const fixed = new Set(ports.flatMap((p) => (p.port ? [p.port] : [])));
  let next: number = OVERLAY_DYNAMIC_PORTS.begin;
  return ports.map((p) => {
    if (p.port) return p.port;
    while (fixed.has(next)) next++;
    return next++;
  });
}

/**
 * Every port of every pod type, with the running pods' addresses and DNS names (by pod index).
 * `network`: the spec's virtual network (absent: the host network).
 */
export function endpointViews(
  service: string,
  podTypes: Record<string, { ports?: readonly EndpointPortSpec[] | undefined }>,
  pods: readonly EndpointPod[],
  network?: NetworkSpec,
): EndpointDetailView[] {
  const byIndex = [...pods].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  const hostPorts = usesHostPorts(network ? { network } : {});
  const out: EndpointDetailView[] = [];
  for (const [podType, spec] of Object.entries(podTypes)) {
    const running = byIndex.filter((p) => p.podType === podType && p.running);
    const ports = spec.ports ?? [];
    const inContainer = hostPorts ? [] : containerPorts(ports);
    ports.forEach((port, i) => {
      const n = hostPorts ? (port.port ?? '?') : inContainer[i]!;
      const dns = running.map((p) => `${taskHost(service, p.name)}:${n}`);
      out.push({ name: `${podType}-${port.name}`, podType, port: port.name, addresses: hostPorts ? running.map((p) => `${p.hostname}:${n}`) : dns, dns });
    });
  }
  return out;
}

/** One endpoint by name, or the 404 naming the ones there are. */
export function endpointNamed(list: readonly EndpointDetailView[], name: string): EndpointDetailView {
  const found = list.find((e) => e.name === name);
  if (found) return found;
  throw new UnknownEndpointError(`no endpoint '${name}' (endpoints: ${list.map((e) => e.name).join(', ') || 'none'})`);
}
