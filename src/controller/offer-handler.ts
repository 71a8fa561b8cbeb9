import { DEFAULT_EXECUTOR_RESOURCES, launchGroupOperation, type MesosSchedulerClient, type Offer as MesosOffer } from '../mesos';
import {
  buildPlacementIndex,
  evaluateOffers,
  podRequestFor,
  type Offer,
  type PlacementMemory,
  type PodRequest,
} from '../placement';
import type { ServiceSpec } from '../spec';
import type { Logger } from '../log/logger';
import type { Metrics } from '../observe/metrics';
import type { ClusterState } from './cluster-view';
import type { PodEntry, PodRegistry } from './pod-registry';
import type { VolumeLocations } from './volume-locations';

/** Offers declined while pods still wait come back soon; with nothing to place, much later. */
export const REFUSE_SECONDS_BUSY = 5;
export const REFUSE_SECONDS_IDLE = 120;

export interface OfferHandlerDeps {
  spec: () => ServiceSpec;
  registry: PodRegistry;
  cluster: ClusterState;
  volumes: VolumeLocations;
  memory: PlacementMemory;
  mesos: () => MesosSchedulerClient | undefined;
  podsByAgent: () => Map<string, Record<string, string[]>>;
  /** False while uninstalling or standing by: every offer is declined. */
  launching: () => boolean;
  logger: Logger;
  metrics: Metrics;
}

function waitingForOffer(deps: OfferHandlerDeps, e: PodEntry): boolean {
  return e.state.startsWith('volume-provisioned') && deps.registry.context(e).task === null;
}

/** Pick ports for a pod: its fixed ports, then the lowest free ones of the offer's ranges. */
function choosePorts(spec: ServiceSpec, podType: string, offer: Offer): number[] {
  const wanted = spec.pods[podType]?.ports ?? [];
  const fixed = new Set(wanted.flatMap((p) => (p.port ? [p.port] : [])));
  const out: number[] = [...fixed];
  for (const r of offer.ports) {
    for (let p = r.begin; p <= r.end && out.length < wanted.length; p++) if (!fixed.has(p)) out.push(p);
  }
  return out;
}

/**
 * One offer round: keep an offer only while a pod needs it. Pods waiting for placement are
 * matched in name order against the round's offers (one pod per offer per round); the rest are
 * declined with a filter. Intent (the PLACE and its task id) is persisted before ACCEPT.
 */
export async function handleOffers(deps: OfferHandlerDeps, mesosOffers: MesosOffer[]): Promise<void> {
  const offers = mesosOffers.map((o) => deps.cluster.learnOffer(o));
  const byId = new Map(mesosOffers.map((o) => [o.id.value, o]));
  const mesos = deps.mesos();
  if (!mesos) return;
  const waiting = deps.launching() ? deps.registry.all().filter((e) => waitingForOffer(deps, e)) : [];
  const used = new Set<string>();
  if (waiting.length > 0) {
    const spec = deps.spec();
    const index = buildPlacementIndex(deps.cluster.view(deps.podsByAgent()));
    await deps.volumes.refresh(waiting.flatMap((e) => deps.registry.context(e).volumes));
    for (const entry of waiting.sort((a, b) => a.name.localeCompare(b.name))) {
      const ctx = deps.registry.context(entry);
      const candidates = offers.filter((o) => !used.has(o.offerId) && !ctx.excludeHosts.includes(o.hostname));
      const request = buildRequest(deps, spec, entry);
      if (!request) {
        // An existing volume whose replicas we cannot locate yet would look new (placeable
        // anywhere): wait for the next round rather than break convergence.
        deps.metrics.offers.inc({ outcome: 'no-fit' });
        continue;
      }
      const result = evaluateOffers(request, candidates, index, { memory: deps.memory, detail: 'summary' });
      const preferred = ctx.preferAgent ? result.evaluations.find((e) => e.pass && e.agentId === ctx.preferAgent) : undefined;
      const chosen = preferred ?? result.chosen;
      if (!chosen) {
        deps.metrics.offers.inc({ outcome: 'no-fit' });
        continue;
      }
      const offer = byId.get(chosen.offerId)!;
      // Only an ACCEPT that went out uses the offer; anything else is declined below.
      if (!(await launch(deps, mesos, spec, entry, offer, offers.find((o) => o.offerId === chosen.offerId)!))) continue;
      used.add(chosen.offerId);
      index.recordPlacement(entry.podType, entry.name, { agentId: offer.agent_id.value, hostname: offer.hostname, domain: deps.cluster.agent(offer.agent_id.value)?.domain ?? {} } as never);
    }
  }
  const rest = mesosOffers.filter((o) => !used.has(o.id.value)).map((o) => o.id.value);
  if (rest.length > 0) {
    const stillWaiting = deps.registry.all().some((e) => waitingForOffer(deps, e));
    deps.metrics.offers.inc({ outcome: 'declined' }, rest.length);
    await mesos.decline(rest, stillWaiting ? REFUSE_SECONDS_BUSY : REFUSE_SECONDS_IDLE);
  }
}

function buildRequest(deps: OfferHandlerDeps, spec: ServiceSpec, entry: PodEntry): PodRequest | undefined {
  const ctx = deps.registry.context(entry);
  const existingVolumes: Record<string, string[]> = {};
  for (const v of ctx.volumes) {
    const hosts = deps.volumes.replicaHosts(v.name);
    if (hosts) existingVolumes[v.name] = hosts.filter((h) => !ctx.excludeHosts.includes(h));
    else if (v.id) return undefined;
  }
  return podRequestFor(spec, entry.podType, entry.index, {
    existingVolumes,
    softWaitExpired: ctx.allowNonHolder,
    overhead: { cpus: DEFAULT_EXECUTOR_RESOURCES.cpus, mem: DEFAULT_EXECUTOR_RESOURCES.mem, disk: DEFAULT_EXECUTOR_RESOURCES.disk },
  });
}

async function launch(
  deps: OfferHandlerDeps,
  mesos: MesosSchedulerClient,
  spec: ServiceSpec,
  entry: PodEntry,
  offer: MesosOffer,
  view: Offer,
): Promise<boolean> {
  const pod = spec.pods[entry.podType]!;
  const ctx = deps.registry.context(entry);
  const taskId = deps.registry.nextTaskId(entry);
  const stillPlaced = () => entry.state === 'placed' && deps.registry.context(entry).task?.taskId === taskId;
  deps.registry.send(entry, { type: 'PLACE', taskId, agentId: offer.agent_id.value, hostname: offer.hostname, offerId: offer.id.value });
  if (!stillPlaced()) {
    deps.logger.warn({ pod: entry.name, state: entry.state }, 'pod refused the placement; offer released');
    return false;
  }
  await deps.registry.flush(entry);
  // A STOP or DECOMMISSION may have arrived while the intent was being persisted.
  if (!stillPlaced()) {
    deps.logger.info({ pod: entry.name, state: entry.state }, 'pod left placed before launch; offer released');
    return false;
  }
  const ports = choosePorts(spec, entry.podType, view);
  const env: Record<string, string> = {
    ...pod.env,
    PXFW_SERVICE: spec.name,
    PXFW_POD: entry.name,
    PXFW_POD_INDEX: String(entry.index),
    PXFW_TASK_ID: taskId,
  };
  pod.ports.forEach((p, i) => (env[`PORT_${p.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = String(ports[i])));
  const operation = launchGroupOperation({
    offer,
    executorId: `${taskId}__executor`,
    frameworkId: mesos.frameworkId!,
    role: offer.allocation_info?.role ?? '*',
    tasks: [
      {
        taskId,
        name: `${spec.name}-${entry.name}`,
        cpus: pod.cpus,
        mem: pod.mem,
        ...(pod.disk > 0 ? { disk: pod.disk } : {}),
        ...(ports.length > 0 ? { ports } : {}),
        command: pod.command,
        env,
        ...(pod.image ? { image: pod.image } : {}),
        volumes: ctx.volumes.map((v) => {
          const vs = pod.volumes.find((s) => v.name.endsWith(`-${s.name}`));
          return { containerPath: vs?.path ?? `/mnt/${v.name}`, name: v.name, driverOptions: (vs ? { size: String(vs.size), repl: String(vs.repl) } : {}) as Record<string, string> };
        }),
        labels: { 'pxfw/service': spec.name, 'pxfw/pod': entry.name },
      },
    ],
  });
  try {
    await mesos.accept([offer.id.value], [operation], { refuse_seconds: REFUSE_SECONDS_BUSY });
  } catch (err) {
    // The launch may or may not have reached the master: treat it as dropped (the pod is placed
    // again) and rely on the stray-task killer should it have landed after all.
    deps.logger.warn({ err, pod: entry.name, taskId }, 'ACCEPT failed; the pod will be placed again');
    deps.registry.send(entry, { type: 'TASK_UPDATE', taskId, state: 'TASK_DROPPED', reason: 'REASON_INVALID_OFFERS', message: `ACCEPT failed: ${(err as Error).message}` });
    return false;
  }
  deps.metrics.launches.inc();
  deps.metrics.offers.inc({ outcome: 'accepted' });
  deps.logger.info({ pod: entry.name, taskId, host: offer.hostname }, 'task group launched');
  return true;
}
