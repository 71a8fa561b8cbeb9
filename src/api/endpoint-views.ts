import { taskHost } from '../service-spec/discovery';
import { OperationError } from './errors';

/**
 * `pxfw <service> endpoints [NAME]`: what each pod type exposes, as dcos-commons' endpoints show
 * them: the agent address (`host:port`) of every running pod and its stable DC/OS DNS name
 * (`<task>.<service>.autoip.dcos.thisdcos.directory:port`, which follows the pod when it moves).
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

/** Every port of every pod type, with the running pods' addresses and DNS names (by pod index). */
export function endpointViews(service: string, podTypes: Record<string, { ports?: readonly EndpointPortSpec[] | undefined }>, pods: readonly EndpointPod[]): EndpointDetailView[] {
  const byIndex = [...pods].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
  const out: EndpointDetailView[] = [];
  for (const [podType, spec] of Object.entries(podTypes)) {
    const running = byIndex.filter((p) => p.podType === podType && p.running);
    for (const port of spec.ports ?? []) {
      const n = port.port ?? '?';
      out.push({
        name: `${podType}-${port.name}`,
        podType,
        port: port.name,
        addresses: running.map((p) => `${p.hostname}:${n}`),
        dns: running.map((p) => `${taskHost(service, p.name)}:${n}`),
      });
    }
  }
  return out;
}

/** One endpoint by name, or the 404 naming the ones there are. */
export function endpointNamed(list: readonly EndpointDetailView[], name: string): EndpointDetailView {
  const found = list.find((e) => e.name === name);
  if (found) return found;
  throw new UnknownEndpointError(`no endpoint '${name}' (endpoints: ${list.map((e) => e.name).join(', ') || 'none'})`);
}
