import type { SpecIssue } from './errors';
import type { PortSpec, ServiceSpec } from './types';

/**
 * Ports on a virtual network, as dcos-commons handles them (docs/service-spec.md, "Virtual network").
 *
 * On the host network a pod's ports are host ports: Mesos offers them as the `ports` resource and
 * the task must take each one from its offer. On a CNI virtual network each pod has an address of
 * its own, so its ports are the container's and no port resource is taken — unless the network maps
 * container ports to host ports (a bridge), and then each pod port is also a host port, taken from
 * the offer and mapped 1:1 (NetworkInfo.port_mappings). dcos-commons: PortEvaluationStage
 * `requireHostPorts` (no network names, or a network that supports port mapping), and
 * DcosConstants.networkSupportsPortMapping (`dcos` no, `mesos-bridge` yes, any other no); its YAML
 * mapper refuses host ports on a network that does not map them ("Virtual Network %s doesn't support
 * container->host port mapping").
 */

/** DC/OS's overlay network: container ports only, never mapped to the host. */
export const DCOS_OVERLAY_NETWORK = 'dcos';
/** The Mesos CNI bridge of DC/OS: maps container ports to host ports. */
export const MESOS_BRIDGE_NETWORK = 'mesos-bridge';

/**
 * Where a dynamic port of a pod on a virtual network comes from: the container's own ports (no
 * offer has them), the lowest free one of this range (dcos-commons OVERLAY_DYNAMIC_PORT_RANGE_*).
 */
export const OVERLAY_DYNAMIC_PORTS = { begin: 1025, end: 2025 } as const;

/** Whether pods on this network have their ports mapped to host ports when the spec does not say. */
export function networkMapsPortsByDefault(name: string): boolean {
  return name === MESOS_BRIDGE_NETWORK;
}

/**
 * Whether the pods' ports are host ports, taken from the offer: on the host network always; on a
 * virtual network only when it maps them (`network.host_ports`).
 */
export function usesHostPorts(spec: Pick<ServiceSpec, 'network'>): boolean {
  return spec.network === undefined || spec.network.hostPorts;
}

/** The host ports a pod of this spec needs from an offer: how many, and which by number. */
export function hostPortNeeds(spec: Pick<ServiceSpec, 'network'>, ports: readonly PortSpec[]): { count: number; fixed: number[] } {
  if (!usesHostPorts(spec)) return { count: 0, fixed: [] };
  return { count: ports.length, fixed: ports.flatMap((p) => (p.port ? [p.port] : [])) };
}

/** `network.host_ports: true` on DC/OS's overlay: it has no port mapping, the pods would never be reachable on them. */
export function networkIssues(raw: { name: string; host_ports?: boolean | undefined } | undefined): SpecIssue[] {
  if (!raw || raw.host_ports !== true || raw.name !== DCOS_OVERLAY_NETWORK) return [];
  return [
    {
      path: 'network.host_ports',
      message: `virtual network '${raw.name}' does not map container ports to host ports (as dcos-commons refuses it): drop host_ports, or use a network that maps them such as ${MESOS_BRIDGE_NETWORK}`,
    },
  ];
}
