import { join } from 'node:path';
import { checkMessage } from '../conformance/mesos-proto-checker';
import { mesosProtoRoot } from '../conformance/mesos-proto-loader';
import { MESOS_PROTO_ROOT } from '../helpers/prerequisites';

/*
 * The conformance loader reads mesos.proto, scheduler.proto and master.proto only. The agent API
 * is described by agent/agent.proto beside them (Debian's mesos-go 0.0.6, about Mesos 1.4): load
 * it into the same protobufjs Root once, so checkMessage can look up `mesos.v1.agent.Call`.
 */
let loaded = false;

function ensureAgentProto(): void {
  if (loaded) return;
  const root = mesosProtoRoot();
  // Its imports (mesos.proto, gogo.proto) resolve to files the Root already holds.
  root.loadSync(join(MESOS_PROTO_ROOT, 'agent', 'agent.proto'), { keepCase: true });
  root.resolveAll();
  loaded = true;
}

/** Violations of one agent API Call against mesos.v1.agent.Call ([] when it conforms). */
export function checkAgentCall(call: unknown): string[] {
  ensureAgentProto();
  return checkMessage('mesos.v1.agent.Call', call);
}

/** Violations of one agent API Response against mesos.v1.agent.Response. */
export function checkAgentResponse(response: unknown): string[] {
  ensureAgentProto();
  return checkMessage('mesos.v1.agent.Response', response);
}
