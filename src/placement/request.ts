import { volumeName } from '../service-spec/names';
import { hostPortNeeds } from '../service-spec/network';
import type { ServiceSpec } from '../service-spec/types';
import { UnknownPodTypeError } from './errors';
import type { PodRequest, SpreadPolicy } from './types';

export interface PodRequestState {
  /**
   * Replica hostnames of each volume that already exists, by deterministic volume name (a Map in
   * the hot path: a record keyed by per-pod names gives V8 a new object shape per pod).
   */
  existingVolumes?: Readonly<Record<string, string[]>> | ReadonlyMap<string, string[]>;
  /** Soft convergence: the pod has waited max_wait for a holder's offer. */
  softWaitExpired?: boolean;
  /** Resources added on top of the pod's own (e.g. the default executor's share). */
  overhead?: { cpus?: number; mem?: number; disk?: number };
  /** The pod type's spread policy (failure_policy.spread); absent: the request has none (keep). */
  spread?: SpreadPolicy;
}

/** The placement request of pod instance `<podType>-<index>` of a spec, given what exists now. */
export function podRequestFor(spec: ServiceSpec, podType: string, index: number, state: PodRequestState = {}): PodRequest {
  const pod = spec.pods[podType];
  if (!pod) throw new UnknownPodTypeError(`service ${spec.name} has no pod type '${podType}' (pods: ${Object.keys(spec.pods).join(', ')})`);
  const existing = state.existingVolumes;
  // Pods on a virtual network without port mapping take no port from the offer.
  const ports = hostPortNeeds(spec, pod.ports);
  return {
    service: spec.name,
    podType,
    index,
    cpus: pod.cpus + (state.overhead?.cpus ?? 0),
    mem: pod.mem + (state.overhead?.mem ?? 0),
    disk: pod.disk + (state.overhead?.disk ?? 0),
    // Fixed ports are still counted: the offer must contain them, and any range holding them counts.
    ports: ports.count,
    fixedPorts: ports.fixed,
    constraints: pod.placement,
    volumes: pod.volumes.map((v) => {
      const name = volumeName(spec.name, podType, index, v.name);
      const hosts = replicaHostsOf(existing, name);
      return { name, exists: hosts !== undefined, replicaHosts: hosts ?? [] };
    }),
    convergence: { mode: spec.convergence.mode, softWaitExpired: state.softWaitExpired ?? false },
    ...(state.spread !== undefined ? { spread: state.spread } : {}),
  };
}

/** A volume's replica hosts from the request state (a module function: no closure per pod). */
function replicaHostsOf(existing: PodRequestState['existingVolumes'], name: string): string[] | undefined {
  if (existing === undefined) return undefined;
  return existing instanceof Map ? existing.get(name) : (existing as Readonly<Record<string, string[]>>)[name];
}
