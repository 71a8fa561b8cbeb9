import { fromPromise } from 'xstate';
import type {
  CheckVolumesInput,
  CheckVolumesOutput,
  ConfirmHostDownInput,
  ConfirmHostDownOutput,
  DisposeVolumesInput,
  EnsureVolumesInput,
  EnsureVolumesOutput,
  FenceInput,
  KillTaskInput,
  KillTaskOutput,
  ReleaseVolumesInput,
} from '../../machines/pod-instance.types';
import type { MesosSchedulerClient } from '../mesos';
import type { PortworxClient, Volume } from '../portworx';
import type { ClusterView } from '../placement';
import type { ServiceSpec } from '../service-spec';
import { podInstanceName } from '../service-spec/names';
import type { Logger } from '../log/logger';
import type { Metrics } from '../observe/metrics';
import type { ClusterState } from './cluster-view';
import { classifyCreateError, FenceNotConfirmedError, NoHealthyReplicaError, NotConnectedError, PodTypeRemovedError } from './errors';
import type { HeldResources } from './held-offers';
import type { PlanningRound } from './planning-state';
import { createVolumeRequest, planHost, replicaHostsFor } from './volume-planner';

/** What a volume plan reads and notes: a planning round, or the deps' direct reads. */
export type VolumePlanner = Pick<PlanningRound, 'siblingReplicaHosts' | 'notePlannedHost' | 'notePlannedReplicas'> & {
  readonly index: ClusterView | PlanningRound['index'];
};

export interface PodEffectDeps {
  spec: () => ServiceSpec;
  px: PortworxClient;
  mesos: () => MesosSchedulerClient | undefined;
  cluster: ClusterState;
  /** The placement view including where sibling pods are planned to go. */
  planningView: () => ClusterView;
  /** Hosts whose offers the scheduler holds (OfferHold.hosts): a new volume goes there when as good. */
  heldHosts?: () => ReadonlyMap<string, HeldResources>;
  /** Hosts holding replicas of other pods of the same type (their failover targets). */
  siblingReplicaHosts?: (podType: string, index: number) => Set<string>;
  /** Remember the host a pod was planned on, so pods planned concurrently (a parallel phase) spread. */
  notePlannedHost?: (pod: string, host: string) => void;
  /** Remember where a new volume's replicas were pinned, before Portworx is asked (parallel phases). */
  notePlannedReplicas?: (pod: string, hosts: string[]) => void;
  /**
   * Run a volume plan in a time slice on the slice's shared planning round (PlanningState.round):
   * a burst of plans neither rescans every pod per plan nor blocks the event loop. Without it,
   * each plan reads `planningView` and `siblingReplicaHosts` afresh.
   */
  planRound?: <T>(plan: (round: VolumePlanner) => T) => Promise<T>;
  logger: Logger;
  metrics: Metrics;
  /** Resolves once the task is terminal; rejects after `timeoutMs` (TaskTracker.waitTerminal). */
  waitTaskEnded?: (taskId: string, timeoutMs: number) => Promise<void>;
  /** The last status Mesos sent for the task is terminal. */
  isTaskTerminal?: (taskId: string) => boolean;
  /** How long fencing waits for a killed task to end before force-detaching anyway. */
  fenceKillWaitMs?: number;
  /** The last state Mesos reported for a task (TaskTracker.status). */
  lastTaskState?: (taskId: string) => string | undefined;
  /** Does the agent's own API answer (v1 GET_HEALTH)? False when it cannot be reached. */
  agentAnswers?: (agentId: string, hostname: string) => Promise<boolean>;
  /** Re-read agents and storage nodes now (StorageWatch.refresh): evidence is read level-triggered. */
  refreshEvidence?: () => Promise<void>;
  /**
   * Storage nodes read recently (StorageWatch.recent): before a new volume's replicas are
   * pinned. Absent: refreshEvidence.
   */
  recentStorage?: () => Promise<void>;
}

function timed<I, O>(deps: PodEffectDeps, name: string, fn: (input: I) => Promise<O>) {
  return fromPromise<O, I>(async ({ input }) => {
    const end = deps.metrics.effectSeconds.startTimer({ effect: name });
    try {
      return await fn(input);
    } catch (err) {
      // The machine decides retry vs. park; here we only count it (it logs via its transition).
      deps.metrics.effectErrors.inc({ effect: name, code: (err as { code?: string }).code ?? 'UNKNOWN' });
      throw err;
    } finally {
      end();
    }
  });
}

function mesosOrThrow(deps: PodEffectDeps): MesosSchedulerClient {
  const m = deps.mesos();
  if (!m?.frameworkId) throw new NotConnectedError('not subscribed to the Mesos master yet');
  return m;
}

/** Node ids where a volume is attached right now (SDK: attached_on). */
function attachedNode(v: Volume): string | undefined {
  return v.attached_on && v.attached_on !== '' ? v.attached_on : undefined;
}

function replicaNodeIds(v: Volume): string[] {
  return [...new Set((v.replica_sets ?? []).flatMap((rs) => rs.nodes ?? []))];
}

/**
 * Create-or-find each volume by its deterministic name. A new volume gets its replicas pinned:
 * the first on the host planned for the pod, the others in other failure domains.
 */
export async function ensureVolumes(deps: PodEffectDeps, input: EnsureVolumesInput): Promise<EnsureVolumesOutput> {
  const spec = deps.spec();
  const pod = spec.pods[input.podType];
  if (!pod) throw new PodTypeRemovedError(spec.name, input.podType, podInstanceName(input.podType, input.index));
  const out: { name: string; id: string }[] = [];
  let plannedHost: string | undefined;
  let fresh = false;
  for (const vol of input.volumes) {
    const existing = vol.id ? await deps.px.inspectVolume(vol.id).catch(() => undefined) : await deps.px.findVolumeByName(vol.name);
    const found = existing ?? (vol.id ? await deps.px.findVolumeByName(vol.name) : undefined);
    if (found?.volume.id) {
      out.push({ name: vol.name, id: found.volume.id });
      // A later volume of the same pod (say, after a crash between two creates) must share a host.
      const first = found.volume.replica_sets?.[0]?.nodes?.[0];
      plannedHost ??= first ? deps.cluster.hostOfNode(first) : undefined;
      continue;
    }
    const volSpec = pod.volumes.find((v) => `${spec.name}-${input.podType}-${input.index}-${v.name}` === vol.name);
    if (!volSpec) throw new NoHealthyReplicaError(`volume ${vol.name} is not declared by pod type ${input.podType}`);
    if (!fresh) {
      // Read the nodes now (level-triggered): a node that went down since the last storage refresh
      // must not get a replica. Each attempt of this effect reads afresh, so a retry re-pins.
      await (deps.recentStorage ?? deps.refreshEvidence)?.().catch((err: unknown) => deps.logger.warn({ err }, 'could not re-read agents and storage nodes'));
      fresh = true;
    }
    const plan = (planner: VolumePlanner): string[] => {
      // Hosts holding siblings' replicas are their failover targets: keep both the pod and our replicas off them.
      const siblingHosts = planner.siblingReplicaHosts(input.podType, input.index);
      if (plannedHost === undefined) {
        plannedHost = planHost(spec, input.podType, input.index, planner.index, siblingHosts, deps.heldHosts?.());
        // Synchronously after planning: a sibling planned while this create is in flight sees it.
        planner.notePlannedHost(input.podType, input.index, plannedHost);
      }
      // The pod itself: its failover replica goes where it could run, every hard constraint kept.
      const pinned = replicaHostsFor(plannedHost, volSpec, planner.index, vol.name, { podType: input.podType, replicaHosts: siblingHosts }, { spec, index: input.index });
      planner.notePlannedReplicas(input.podType, input.index, pinned);
      return pinned;
    };
    const hosts = deps.planRound ? await deps.planRound(plan) : plan(directPlanner(deps));
    const nodeIds = hosts.map((h) => deps.cluster.nodeIdOfHost(h)).filter((x): x is string => !!x);
    const id = await deps.px.createVolume(createVolumeRequest(spec, input.podType, input.index, volSpec, vol.name, nodeIds)).catch((err: unknown) => {
      throw classifyCreateError(err, vol.name, hosts, nodeIds);
    });
    deps.logger.info({ volume: vol.name, id, replicas: hosts }, 'volume created');
    out.push({ name: vol.name, id });
  }
  return { volumes: out };
}

/** Without a planning round: read the view and the siblings afresh for this plan. */
function directPlanner(deps: PodEffectDeps): VolumePlanner {
  return {
    index: deps.planningView(),
    siblingReplicaHosts: (podType, index) => deps.siblingReplicaHosts?.(podType, index) ?? new Set<string>(),
    notePlannedHost: (podType, index, host) => deps.notePlannedHost?.(`${podType}-${index}`, host),
    notePlannedReplicas: (podType, index, hosts) => deps.notePlannedReplicas?.(`${podType}-${index}`, hosts),
  };
}

/** The host of a task is down as far as we can tell: Mesos lost the agent or Portworx says OFFLINE. */
function hostDown(deps: PodEffectDeps, agentId: string, hostname: string | null): boolean {
  const agent = deps.cluster.agent(agentId);
  return !deps.cluster.reachable(agentId) || (hostname !== null && deps.cluster.storageLiveness(hostname) === 'offline') || !!agent?.gone;
}

/**
 * Fence by storage, not by waiting. The old task gets a KILL; only while its host is up do we
 * wait for it to end (its agent unmounts the volume). A KILL to a dead host is never answered,
 * so it is sent best effort and not waited for. Then every volume is force-detached from
 * wherever it is attached, and re-inspected until Portworx confirms the attachment is gone.
 * Should the old task turn up again, the router kills it as a stray: it no longer owns the pod.
 */
export async function fence(deps: PodEffectDeps, input: FenceInput): Promise<void> {
  if (input.taskId && input.agentId && !deps.isTaskTerminal?.(input.taskId)) {
    const down = hostDown(deps, input.agentId, input.hostname);
    const taskId = input.taskId;
    if (down) {
      const m = deps.mesos();
      if (m?.frameworkId) {
        await m.kill(taskId, input.agentId).catch((err: unknown) => deps.logger.warn({ err, taskId }, 'best-effort KILL of a task on a down host failed'));
      }
    } else {
      await mesosOrThrow(deps).kill(taskId, input.agentId);
      // A task that does not end in time is fenced anyway: that is what the force-detach is for.
      await deps.waitTaskEnded?.(taskId, deps.fenceKillWaitMs ?? 30_000).catch((err: unknown) => {
        deps.logger.warn({ err, taskId }, 'killed task did not end in time: force-detaching its volumes anyway');
      });
    }
  }
  for (const id of input.volumeIds) {
    const v = await inspectIfPresent(deps, id);
    const node = v && attachedNode(v.volume);
    if (!node) continue;
    await deps.px.detach(id, { force: true, unmountBeforeDetach: true });
    const after = await inspectIfPresent(deps, id);
    const still = after && attachedNode(after.volume);
    if (still) throw new FenceNotConfirmedError(`volume ${v.name} is still attached on ${deps.cluster.hostOfNode(still) ?? still} after a forced detach`);
    deps.logger.info({ volume: v.name, from: deps.cluster.hostOfNode(node) ?? node }, 'volume force-detached and confirmed (fenced)');
  }
}

async function inspectIfPresent(deps: PodEffectDeps, id: string) {
  return deps.px.inspectVolume(id).catch((err: unknown) => {
    if ((err as { code?: string }).code === 'PORTWORX_NOT_FOUND') return undefined;
    throw err;
  });
}

/**
 * At the end of a probation: is the task's host down? Read now, level-triggered: the agent's
 * own API first (an agent that answers runs its tasks: never replace those), then Portworx's
 * node status and Mesos' view of the agent, each re-read.
 */
export async function confirmHostDown(deps: PodEffectDeps, input: ConfirmHostDownInput): Promise<ConfirmHostDownOutput> {
  await deps.refreshEvidence?.().catch((err: unknown) => deps.logger.warn({ err }, 'could not re-read agents and storage nodes'));
  const answers = deps.agentAnswers ? await deps.agentAnswers(input.agentId, input.hostname).catch(() => false) : false;
  if (answers) return { down: false, reason: `the agent on ${input.hostname} answers` };
  const silent = `the agent on ${input.hostname} does not answer`;
  if (deps.cluster.storageLiveness(input.hostname) === 'offline') return { down: true, reason: `${silent} and Portworx reports its node OFFLINE` };
  const agent = deps.cluster.agent(input.agentId);
  if (agent?.gone) return { down: true, reason: `${silent} and Mesos removed the agent` };
  if (agent?.unreachable || deps.lastTaskState?.(input.taskId) === 'TASK_UNREACHABLE') {
    return { down: true, reason: `${silent} and Mesos reports the agent unreachable` };
  }
  return { down: false, reason: `${silent}, but neither Mesos nor Portworx reports the host down` };
}

/** Every volume must keep a replica on a node that is up; returns the hosts holding all of them. */
export async function checkVolumes(deps: PodEffectDeps, input: CheckVolumesInput): Promise<CheckVolumesOutput> {
  let common: Set<string> | undefined;
  for (const id of input.volumeIds) {
    const v = await deps.px.inspectVolume(id);
    const healthy = replicaNodeIds(v.volume)
      .map((n) => deps.cluster.hostOfNode(n))
      .filter((h): h is string => !!h && deps.cluster.storageNode(h)?.health === 'up' && !deps.cluster.agentByHost(h)?.gone);
    if (healthy.length === 0) throw new NoHealthyReplicaError(`volume ${v.name} has no replica on a node that is up`);
    common = common ? new Set(healthy.filter((h) => common!.has(h))) : new Set(healthy);
  }
  return { replicaHosts: [...(common ?? [])] };
}

export async function killTask(deps: PodEffectDeps, input: KillTaskInput): Promise<KillTaskOutput> {
  const agent = deps.cluster.agent(input.agentId);
  // A task on an agent known to be gone for good can never report again: it is as dead as it
  // gets. An agent we merely do not know (e.g. partitioned across our restart) gets the KILL,
  // and Mesos answers with the task's real state.
  if (agent?.gone || deps.isTaskTerminal?.(input.taskId)) return { terminal: true };
  if (input.stopping) {
    // Stopping: a task the master forgot (UNKNOWN) or lost with its agent (LOST) is over, and a
    // KILL to a host that is down will never be answered. The release that follows force-detaches
    // a volume whose node is down, so such a task cannot keep its volume.
    const last = deps.lastTaskState?.(input.taskId);
    if (last === 'TASK_UNKNOWN' || last === 'TASK_LOST') return { terminal: true };
    if (agent && agent.unreachable && deps.cluster.storageLiveness(agent.hostname) === 'offline') {
      await deps.mesos()?.kill(input.taskId, input.agentId).catch(() => undefined);
      return { terminal: true };
    }
  }
  await mesosOrThrow(deps).kill(input.taskId, input.agentId);
  return { terminal: false };
}

/** Make sure the volumes are detached (the agent's isolator normally did it when the task ended). */
export async function releaseVolumes(deps: PodEffectDeps, input: ReleaseVolumesInput): Promise<void> {
  for (const id of input.volumeIds) {
    const v = await deps.px.inspectVolume(id).catch((err: unknown) => {
      if ((err as { code?: string }).code === 'PORTWORX_NOT_FOUND') return undefined;
      throw err;
    });
    const node = v && attachedNode(v.volume);
    if (!node) continue;
    const host = deps.cluster.hostOfNode(node);
    const down = !host || deps.cluster.storageNode(host)?.health !== 'up';
    // A node that is down cannot unmount; only a forced detach frees the volume then.
    await deps.px.detach(id, { force: down, unmountBeforeDetach: true, ...(host && !down ? { node: host } : {}) });
  }
}

export async function disposeVolumes(deps: PodEffectDeps, input: DisposeVolumesInput): Promise<void> {
  if (input.policy === 'retain') return;
  for (const vol of input.volumes) {
    const found = vol.id ? { id: vol.id } : (await deps.px.findVolumeByName(vol.name))?.volume;
    if (found?.id) await deps.px.deleteVolume(found.id);
    deps.logger.info({ volume: vol.name }, 'volume deleted');
  }
}

/** The pod machine's effects bound to real clients, for `podInstanceMachine.provide({ actors })`. */
export function podEffectActors(deps: PodEffectDeps) {
  return {
    ensureVolumes: timed(deps, 'ensureVolumes', (i: EnsureVolumesInput) => ensureVolumes(deps, i)),
    fence: timed(deps, 'fence', (i: FenceInput) => fence(deps, i)),
    checkVolumes: timed(deps, 'checkVolumes', (i: CheckVolumesInput) => checkVolumes(deps, i)),
    confirmHostDown: timed(deps, 'confirmHostDown', (i: ConfirmHostDownInput) => confirmHostDown(deps, i)),
    killTask: timed(deps, 'killTask', (i: KillTaskInput) => killTask(deps, i)),
    releaseVolumes: timed(deps, 'releaseVolumes', (i: ReleaseVolumesInput) => releaseVolumes(deps, i)),
    disposeVolumes: timed(deps, 'disposeVolumes', (i: DisposeVolumesInput) => disposeVolumes(deps, i)),
  };
}
