import { OperationFailedError } from './errors';
import type { OperationResult, ServiceStatusView } from './operations';

/**
 * Verbs about the service's own lifecycle (`status`, `reinstall`), served by whoever runs the
 * service's supervisor in this process. The runtime registers itself here when it starts and
 * leaves when it stops; a ServiceOperations that implements these verbs itself takes precedence.
 */
export interface ServiceLifecycle {
  reinstall(): Promise<OperationResult>;
  status(): Promise<ServiceStatusView>;
}

const lifecycles = new Map<string, ServiceLifecycle>();

/** Register the lifecycle of `service`; returns the function that removes exactly this registration. */
export function registerLifecycle(service: string, lifecycle: ServiceLifecycle): () => void {
  lifecycles.set(service, lifecycle);
  return () => {
    if (lifecycles.get(service) === lifecycle) lifecycles.delete(service);
  };
}

export function lifecycleOf(service: string): ServiceLifecycle {
  const l = lifecycles.get(service);
  if (!l) throw new OperationFailedError(`no scheduler runtime for ${service} in this process answers lifecycle commands`);
  return l;
}
