import { resToWire, type Res } from './resources';
import type { Json, SimAgent, SimExecutor, SimFramework, SimOffer, SimTask } from './state';

/** Builders of mesos.proto / master.proto JSON as the v1 APIs put it on the wire. */

/** TimeInfo: int64 nanoseconds, which exceeds 2^53 for current dates (a bigint here). */
export function timeInfo(ms: number): Json {
  return { nanoseconds: BigInt(Math.round(ms)) * 1_000_000n };
}

export function domainOf(region: string, zone: string): Json {
  return { fault_domain: { region: { name: region }, zone: { name: zone } } };
}

export function agentInfo(a: SimAgent): Json {
  return {
    hostname: a.hostname,
    port: 5051,
    resources: resToWire(a.total),
    attributes: [{ name: 'rack', type: 'TEXT', text: { value: a.rack } }],
    id: { value: a.id },
    domain: domainOf(a.region, a.zone),
  };
}

export function agentEntry(a: SimAgent): Json {
  return {
    agent_info: agentInfo(a),
    // A crashed host still looks active: the master has not noticed yet.
    active: a.state === 'registered',
    version: '1.5.0',
    pid: `slave(1)@127.0.0.1:${5051}`,
    registered_time: timeInfo(a.registeredAt),
    ...(a.reregisteredAt !== undefined ? { reregistered_time: timeInfo(a.reregisteredAt) } : {}),
    total_resources: resToWire(a.total),
    allocated_resources: resToWire(a.used, '*'),
    offered_resources: resToWire(a.offered, '*'),
    capabilities: [{ type: 'MULTI_ROLE' }, { type: 'HIERARCHICAL_ROLE' }, { type: 'RESERVATION_REFINEMENT' }],
  };
}

export function offerWire(o: SimOffer, a: SimAgent, fw: SimFramework): Json {
  // Mesos strips allocation info from offers to frameworks that are not MULTI_ROLE capable.
  const role = fw.multiRole ? o.role : undefined;
  return {
    id: { value: o.id },
    framework_id: { value: o.frameworkId },
    agent_id: { value: a.id },
    hostname: a.hostname,
    domain: domainOf(a.region, a.zone),
    resources: resToWire(o.resources, role),
    attributes: [{ name: 'rack', type: 'TEXT', text: { value: a.rack } }],
    executor_ids: [...a.executors.values()]
      .filter((e) => e.frameworkId === fw.id)
      .map((e) => ({ value: e.executorId })),
    ...(role !== undefined ? { allocation_info: { role } } : {}),
  };
}

export function taskWire(t: SimTask, masterState: string): Json {
  return {
    name: t.name,
    task_id: { value: t.id },
    framework_id: { value: t.frameworkId },
    ...(t.executorId !== undefined ? { executor_id: { value: t.executorId } } : {}),
    agent_id: { value: t.agentId },
    state: masterState,
    resources: t.resourcesWire,
    statuses: t.statuses,
    ...(t.statusUpdateState !== undefined ? { status_update_state: t.statusUpdateState } : {}),
    ...(t.statusUpdateUuid !== undefined ? { status_update_uuid: t.statusUpdateUuid } : {}),
    ...pick(t.info, ['labels', 'discovery', 'container']),
  };
}

export function executorWire(e: SimExecutor, agentId: string): Json {
  return { executor_info: e.info, agent_id: { value: agentId } };
}

export function frameworkEntry(fw: SimFramework, offers: Json[], allocated: Res, offered: Res): Json {
  return {
    framework_info: fw.info,
    active: fw.connected && !fw.suppressed,
    connected: fw.connected,
    recovered: false,
    registered_time: timeInfo(fw.registeredAt),
    ...(fw.reregisteredAt !== undefined ? { reregistered_time: timeInfo(fw.reregisteredAt) } : {}),
    offers,
    inverse_offers: [],
    allocated_resources: resToWire(allocated, fw.role),
    offered_resources: resToWire(offered, fw.role),
  };
}

export interface StatusFields {
  task: SimTask;
  state: string;
  source: 'SOURCE_MASTER' | 'SOURCE_AGENT' | 'SOURCE_EXECUTOR';
  reason?: string | undefined;
  message?: string | undefined;
  uuid?: string | undefined;
  unreachableAt?: number | undefined;
  /** mesos.ContainerStatus; executor updates carry the task's container id. */
  containerStatus?: Json | undefined;
  /** TaskStatus.healthy: the health checker's verdict. */
  healthy?: boolean | undefined;
  /** TaskStatus.check_status: every executor update of a checked task has one. */
  checkStatus?: Json | undefined;
}

export function taskStatus(f: StatusFields): Json {
  return {
    task_id: { value: f.task.id },
    state: f.state,
    ...(f.message !== undefined ? { message: f.message } : {}),
    source: f.source,
    ...(f.reason !== undefined ? { reason: f.reason } : {}),
    agent_id: { value: f.task.agentId },
    ...(f.task.executorId !== undefined ? { executor_id: { value: f.task.executorId } } : {}),
    timestamp: Date.now() / 1000,
    ...(f.uuid !== undefined ? { uuid: f.uuid } : {}),
    ...(f.containerStatus !== undefined ? { container_status: f.containerStatus } : {}),
    ...(f.healthy !== undefined ? { healthy: f.healthy } : {}),
    ...(f.checkStatus !== undefined ? { check_status: f.checkStatus } : {}),
    ...(f.unreachableAt !== undefined ? { unreachable_time: timeInfo(f.unreachableAt) } : {}),
  };
}

/** A status for a task the master does not know (reconciliation, invalid launches). */
export function bareStatus(
  taskId: string,
  agentId: string | undefined,
  state: string,
  reason: string,
  message: string,
  unreachableAt?: number,
): Json {
  return {
    task_id: { value: taskId },
    state,
    message,
    source: 'SOURCE_MASTER',
    reason,
    ...(agentId !== undefined ? { agent_id: { value: agentId } } : {}),
    timestamp: Date.now() / 1000,
    ...(unreachableAt !== undefined ? { unreachable_time: timeInfo(unreachableAt) } : {}),
  };
}

function pick(obj: Json, keys: string[]): Json {
  const out: Json = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}
