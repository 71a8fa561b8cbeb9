import { DEFAULT_EXECUTOR_RESOURCES, type MesosSchedulerClient, type Offer as MesosOffer } from '../mesos';
import type { BackoffOptions } from '../util/backoff';
import {
  buildPlacementIndex,
  evaluateOffers,
  findPassing,
  immutableOffer,
  offersByHost,
  podRequestFor,
  type Offer,
  type OfferEvaluation,
  type OffersByHost,
  type PlacementIndex,
  type PlacementResult,
  type PlacementMemory,
  type PodRequest,
} from '../placement';
import type { PodInstanceContext } from '../../machines/pod-instance.types';
import type { ServiceSpec } from '../service-spec';
import type { Logger } from '../log/logger';
import type { Metrics } from '../observe/metrics';
import type { ClusterState } from './cluster-view';
import type { PodEntry, PodRegistry } from './pod-registry';
import type { VolumeLocations } from './volume-locations';
import type { TransitionLog } from '../observe/transition-log';
import { spreadPolicy, transitionsOf } from './replica-ops';
import { holderFacts, type ReplicaMoves } from './replica-moves';
import { filterInSlices, mapInSlices, Slicer, sortInSlices, type RescindedOffers } from './offer-handler-slices';
import { acceptLaunches, prepareLaunch, REFUSE_SECONDS_BUSY, REFUSE_SECONDS_IDLE, type PreparedLaunch } from './offer-handler-launch';
import { leftoverOf } from './offer-handler-leftover';
import { activeExclusions } from './offer-handler-exclusions';
import type { LaunchedIndex } from './launched-index';

export { ROUND_SLICE_MS, RescindedOffers, Slicer } from './offer-handler-slices';
export { LAUNCH_RECONCILE_BACKOFF, REFUSE_SECONDS_BUSY, REFUSE_SECONDS_IDLE } from './offer-handler-launch';
export { activeExclusions } from './offer-handler-exclusions';

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
  /** Retry timing of the RECONCILE after an ACCEPT with an unknown outcome (LAUNCH_RECONCILE_BACKOFF). */
  reconcileBackoff?: BackoffOptions;
  /** Where spread decisions are published as events (default: the pod registry's transition log). */
  transitions?: Pick<TransitionLog, 'emit'>;
  /** The last state Mesos reported of a task (the runtime's TaskTracker), to tell a returning old task. */
  taskState?: (taskId: string) => string | undefined;
  /**
   * The id of the configuration a launch runs (config-update-plan.ts `configId`): put in the
   * task's `pxfw/config-id` label and recorded by the pod. Absent: no label, no id recorded.
   */
  targetConfigId?: () => string;
  /** The service's replica moves (keep spread policy), owned by the composition root. */
  replicaMoves: ReplicaMoves;
  /** Offers the master rescinded (RESCIND events); absent: none are tracked. */
  rescinded?: RescindedOffers;
  /** How long a round runs before it lets the event loop turn (default ROUND_SLICE_MS; 0: after every pod). */
  sliceMs?: number;
  /** Most pods one round launches (MAX_LAUNCHES_PER_ROUND); the rest wait for the next round. */
  maxLaunchesPerRound?: number;
  /**
   * The round's unused offers, before they are declined: returns those to decline, keeping the
   * others for the next pods (OfferHold.keep). Absent: every unused offer is declined.
   */
  hold?: (unused: MesosOffer[]) => MesosOffer[];
  /** The index of launched pods kept across rounds (LaunchedIndex); absent: built anew each round from `podsByAgent`. */
  launched?: Pick<LaunchedIndex, 'current' | 'record'>;
}

/**
 * Most pods one round places. A round's ACCEPTs go out when its placing ends: a round that tried
 * to place 9,400 pods at once (a parallel deploy whose volumes were all ready) judged for 83 s of
 * CPU and launched nothing meanwhile. Capped, the launches flow every round; the offers it does
 * not use are declined for REFUSE_SECONDS_BUSY and come back for the next pods.
 */
export const MAX_LAUNCHES_PER_ROUND = 1_000;

function waitingForOffer(deps: OfferHandlerDeps, e: PodEntry): boolean {
  return e.state.startsWith('volume-provisioned') && deps.registry.context(e).task === null;
}

/** The order pods are placed in: by name (String#localeCompare's order, one collator for the round's sort). */
const byName = new Intl.Collator().compare;

/** One offer round: one index, the offers not used yet, what was launched on. */
interface Round {
  mesos: MesosSchedulerClient;
  spec: ServiceSpec;
  /** The round's offers as placement reads them, in offer order (for exclusions: who offers). */
  offers: Offer[];
  views: Map<string, Offer>;
  byId: Map<string, MesosOffer>;
  /** One index for the round: each placement is recorded in it, never rebuilt per pod. */
  index: PlacementIndex;
  /** The round's offers not used (nor rescinded) yet, in offer order (a launched offer leaves it). */
  available: Offer[];
  /** Where each offer of `available` is in it (rebuilt when rescinded offers leave it). */
  positions: Map<string, number>;
  /** The round's offers by host: a pod that may only go to its replica holders looks at theirs. */
  byHost: Map<string, Offer[]>;
  used: Set<string>;
  /** The pods placed on each offer this round: one ACCEPT per offer with all their operations. */
  batches: Map<string, { offer: MesosOffer; launches: { prepared: PreparedLaunch; breaks: string[] | undefined }[] }>;
  /** Offers of ACCEPTs whose answer was lost: declined at the end (a no-op if the ACCEPT used them). */
  unsure: string[];
  /** The RescindedOffers version last applied to `available`. */
  rescinds: number;
  /** Pods placed this round (each a LAUNCH_GROUP in one of `batches`). */
  launched: number;
}

/**
 * One offer round: keep an offer only while a pod needs it. Pods waiting for placement are
 * matched in name order against the round's offers; a pod placed on an offer leaves the rest of
 * it (resources, ports, and in the index the pod's count) to the next pods, so an agent that must
 * take several pods takes them in one round, with one ACCEPT carrying a LAUNCH_GROUP per pod
 * (sent once the round has placed every pod). The rest are declined with a filter. Intent (the
 * PLACE and its task id) is persisted before the ACCEPT.
 *
 * A big round runs in slices (Slicer, ROUND_SLICE_MS): between pods the event loop turns once a
 * slice has run long enough, so status updates, ACKs and the lease go on during a 10,000-pod
 * round. The round keeps its own state across slices (one index, each offer used at most once);
 * rounds never overlap (OfferRounds queues them). What others change meanwhile is read again
 * before each pod: leadership or launching gone ends the placing, a pod no longer waiting is
 * skipped, a rescinded offer leaves the round (neither launched on nor declined).
 */
export async function handleOffers(deps: OfferHandlerDeps, mesosOffers: MesosOffer[]): Promise<RoundReport> {
  const slicer = new Slicer(deps.sliceMs);
  let podsWaiting = false;
  const report = (): RoundReport => ({ launched: used.size, slices: slicer.slices, longestSliceMs: slicer.longestMs, waiting: podsWaiting });
  const used = new Set<string>();
  // The round never changes an offer (a used one leaves `available`): immutable, so `debug
  // offers` keeps each kept offer itself, not a copy per pod.
  const offers = await mapInSlices(mesosOffers, (o) => immutableOffer(deps.cluster.learnOffer(o)), slicer);
  const mesos = deps.mesos();
  if (!mesos) return report();
  const unsure: string[] = [];
  try {
    await placeWaiting(deps, mesos, offers, mesosOffers, { used, unsure }, slicer);
  } finally {
    // Also after a failure: an offer neither used nor declined stays allocated to us until the
    // connection closes (masters run without --offer_timeout by default).
    try {
      const rest = mesosOffers.filter((o) => !used.has(o.id.value) && !deps.rescinded?.has(o.id.value));
      podsWaiting = await declineRest(deps, mesos, rest, unsure, slicer);
    } finally {
      deps.rescinded?.forget(mesosOffers.map((o) => o.id.value));
    }
  }
  return report();
}

/** Place the waiting pods, in name order, on the round's offers; the ACCEPTs go out at the end. */
async function placeWaiting(deps: OfferHandlerDeps, mesos: MesosSchedulerClient, offers: Offer[], mesosOffers: MesosOffer[], out: Pick<Round, 'used' | 'unsure'>, slicer: Slicer): Promise<void> {
  // The registry keeps pods by state: a round reads the few waiting pods, not all 10,000 (in slices; the placing loop checks each again anyway).
  const waiting = deps.launching() ? await filterInSlices(deps.registry.inState('volume-provisioned'), (e) => waitingForOffer(deps, e), slicer) : [];
  if (waiting.length === 0) return;
  await slicer.next();
  const round = startRound(deps, mesos, offers, mesosOffers, out);
  try {
    await refreshInSlices(deps, waiting.flatMap((e) => deps.registry.context(e).volumes), slicer);
    for (const entry of await sortInSlices(waiting, (a, b) => byName(a.name, b.name), slicer)) {
      // Between slices and awaits anything may have changed: read it again before each pod.
      if (!deps.launching() || deps.mesos() !== mesos) break;
      if (round.launched >= (deps.maxLaunchesPerRound ?? MAX_LAUNCHES_PER_ROUND)) break;
      if (deps.registry.get(entry.name) === entry && waitingForOffer(deps, entry)) await placePod(deps, round, entry);
      await slicer.next();
    }
  } finally {
    await acceptBatches(deps, round, slicer);
  }
}

/** What a round did: offers launched on, and how it shared the event loop. */
export interface RoundReport {
  launched: number;
  /** Slices the round ran in (the event loop turned between them). */
  slices: number;
  /** The longest slice, in ms: the longest the round kept the event loop from turning. */
  longestSliceMs: number;
  /** Pods still wait for offers after the round (known only when offers were left or held). */
  waiting: boolean;
}

/** Where the waiting pods' volumes are now, a slice at a time (10,000 pods: 10,000 volumes). */
async function refreshInSlices(deps: OfferHandlerDeps, volumes: { name: string; id: string | null }[], slicer: Slicer): Promise<void> {
  // Inspected one after another: a few ms per 16 when the answers are at hand (a fake, a cache).
  const SLICE = 16;
  for (let i = 0; i < volumes.length; i += SLICE) {
    await deps.volumes.refresh(volumes.slice(i, i + SLICE));
    await slicer.next();
  }
}

function startRound(deps: OfferHandlerDeps, mesos: MesosSchedulerClient, offers: Offer[], mesosOffers: MesosOffer[], out: Pick<Round, 'used' | 'unsure'>): Round {
  const round: Round = {
    mesos,
    spec: deps.spec(),
    offers,
    views: new Map(offers.map((o) => [o.offerId, o])),
    byId: new Map(mesosOffers.map((o) => [o.id.value, o])),
    index: deps.launched ? deps.launched.current() : buildPlacementIndex(deps.cluster.view(deps.podsByAgent())),
    available: offers.slice(),
    positions: positionsOf(offers),
    byHost: new Map([...offersByHost(offers)].map(([host, list]) => [host, [...list]])),
    batches: new Map(),
    ...out,
    rescinds: -1,
    launched: 0,
  };
  dropRescinded(deps, round);
  return round;
}

/** Offers rescinded since the round last looked leave `available` (O(offers), only after a RESCIND). */
function dropRescinded(deps: OfferHandlerDeps, round: Round): void {
  const rescinded = deps.rescinded;
  if (!rescinded || rescinded.version === round.rescinds) return;
  round.rescinds = rescinded.version;
  if (rescinded.size === 0) return;
  round.available = round.available.filter((o) => !rescinded.has(o.offerId));
  round.positions = positionsOf(round.available);
}

function positionsOf(offers: readonly Offer[]): Map<string, number> {
  return new Map(offers.map((o, i) => [o.offerId, i]));
}

/** Judge the round's offers for one waiting pod and launch it on the best, or note why it waits. */
async function placePod(deps: OfferHandlerDeps, round: Round, entry: PodEntry): Promise<void> {
  dropRescinded(deps, round);
  const ctx = deps.registry.context(entry);
  const excluded = activeExclusions(deps, ctx, round.offers);
  if (excluded.length < ctx.excludeHosts.length) {
    deps.logger.info({ pod: entry.name, hosts: ctx.excludeHosts.filter((h) => !excluded.includes(h)) }, 'a fenced host is back and healthy: placeable again');
  }
  // A replica added for the pod (keep policy) that has synced makes its host a holder now.
  await deps.replicaMoves.progress(entry.name).catch((err: unknown) => deps.logger.warn({ err, pod: entry.name }, 'could not follow a replica move'));
  dropRescinded(deps, round);
  const candidates = excluded.length === 0 ? round.available : round.available.filter((o) => !excluded.includes(o.hostname));
  const request = buildRequest(deps, round.spec, entry, excluded);
  if (!request) {
    // An existing volume whose replicas we cannot locate yet would look new (placeable
    // anywhere): wait for the next round rather than break convergence.
    deps.metrics.offers.inc({ outcome: 'no-fit' });
    return;
  }
  // The request is built here from the parsed spec: no zod check per pod (trusted).
  const result = evaluateOffers(request, candidates, round.index, { memory: deps.memory, detail: 'summary', trusted: true, offersByHost: round.byHost });
  const chosen = preferredEvaluation(deps, ctx, result) ?? result.chosen;
  if (!chosen) {
    deps.metrics.offers.inc({ outcome: 'no-fit' });
    await keepSpread(deps, entry, request, round.index, excluded);
    return;
  }
  const offer = round.byId.get(chosen.offerId)!;
  const view = round.views.get(chosen.offerId)!;
  // The PLACE is persisted now; the ACCEPT goes out with the offer's other pods (acceptBatches).
  const prepared = await prepareLaunch(deps, round.mesos, round.spec, entry, offer, view);
  if (prepared === 'released') return;
  const breaks = chosen.offerId === result.chosen?.offerId ? result.chosen.breaks : undefined;
  const batch = round.batches.get(chosen.offerId) ?? { offer, launches: [] };
  round.batches.set(chosen.offerId, batch);
  batch.launches.push({ prepared, breaks });
  round.launched += 1;
  round.used.add(chosen.offerId);
  useOffer(round, view, leftoverOf(view, prepared.operation));
  // Counted at every field of its agent (the offer's attributes too), for the round's next pods.
  if (deps.launched) deps.launched.record(round.index, entry.podType, entry.name, view);
  else round.index.recordPlacement(entry.podType, entry.name, view);
}

/** What is left of an offer after a pod took its part replaces it wherever the round reads it. */
function useOffer(round: Round, used: Offer, left: Offer): void {
  round.views.set(used.offerId, left);
  const at = round.positions.get(used.offerId);
  if (at !== undefined && round.available[at] === used) round.available[at] = left;
  const onHost = round.byHost.get(used.hostname);
  const k = onHost ? onHost.indexOf(used) : -1;
  if (onHost && k >= 0) onHost[k] = left;
}

/**
 * One ACCEPT per offer the round placed pods on, with every pod's LAUNCH_GROUP. Only an ACCEPT
 * that went out uses the offer; an offer whose ACCEPT was refused is declined with the rest.
 */
async function acceptBatches(deps: OfferHandlerDeps, round: Round, slicer: Slicer): Promise<void> {
  for (const [offerId, { offer, launches }] of round.batches) {
    const going = launches.filter((l) => l.prepared.stillPlaced());
    const outcome = await acceptLaunches(deps, round.mesos, offer, launches.map((l) => l.prepared));
    if (outcome === 'released') {
      round.used.delete(offerId);
      continue;
    }
    for (const l of going) noteSpread(deps, l.prepared.entry.name, l.breaks, offer.hostname);
    // Declining an offer the lost ACCEPT did use is a no-op at the master; one it did not use
    // is released (and a late ACCEPT on it then fails with TASK_DROPPED, a definite answer).
    if (outcome === 'unknown') round.unsure.push(offerId);
    await slicer.next();
  }
  round.batches.clear();
}

/**
 * Decline what the round did not launch on (some kept by the hold, if any): back soon while pods
 * still wait, much later otherwise. An offer whose ACCEPT answer was lost is never kept. Returns
 * whether pods still wait.
 */
async function declineRest(deps: OfferHandlerDeps, mesos: MesosSchedulerClient, rest: MesosOffer[], unsure: string[], slicer: Slicer): Promise<boolean> {
  if (rest.length === 0 && unsure.length === 0 && !deps.hold) return false;
  const stillWaiting = (await filterInSlices(deps.registry.inState('volume-provisioned'), (e) => waitingForOffer(deps, e), slicer, 1)).length > 0;
  const declined = [...(deps.hold ? deps.hold(rest) : rest).map((o) => o.id.value), ...unsure];
  if (declined.length === 0) return stillWaiting;
  deps.metrics.offers.inc({ outcome: 'declined' }, declined.length);
  await mesos.decline(declined, stillWaiting ? REFUSE_SECONDS_BUSY : REFUSE_SECONDS_IDLE);
  return stillWaiting;
}

/**
 * No offer fits a pod whose data exists. Under the keep policy, when every up replica holder
 * breaks a constraint, a replica goes to a host the constraints allow (ReplicaMoves); the pod is
 * placed there once it has synced. Errors are logged and retried on the next round.
 */
async function keepSpread(deps: OfferHandlerDeps, entry: PodEntry, request: PodRequest, index: PlacementIndex, excluded: string[]): Promise<void> {
  if (!request.volumes.some((v) => v.exists)) return;
  const ctx = deps.registry.context(entry);
  try {
    const facts = holderFacts(request, index);
    await deps.replicaMoves.consider(entry.name, request, index, facts, ctx.volumes, excluded);
  } catch (err) {
    deps.logger.warn({ err, pod: entry.name }, 'could not add a replica to keep the spread; retrying next round');
  }
}

/** After a launch: a placement that breaks constraints (break policy) is said in debug offers, plan status and an event. */
function noteSpread(deps: OfferHandlerDeps, pod: string, breaks: string[] | undefined, host: string): void {
  const moves = deps.replicaMoves;
  const move = moves.pending().find((m) => m.pod === pod);
  moves.done(pod);
  if (!breaks || breaks.length === 0) {
    const kept = move && move.target === host;
    deps.memory.noteSpread(pod, kept ? { kind: 'kept', constraints: move.constraints, message: `placed on ${host} once its new replica had synced, keeping ${move.constraints.join(', ')} (spread policy keep)` } : undefined);
    return;
  }
  const message = `placed on ${host}, a replica holder, breaking ${breaks.join(', ')}: no replica holder keeps it (spread policy break)`;
  if (deps.memory.noteSpread(pod, { kind: 'broken', constraints: breaks, message })) {
    deps.logger.warn({ pod, host, breaks }, 'placement breaks constraints by spread policy');
    transitionsOf(deps.transitions)?.emit({ actor: `spread/${pod}`, from: 'constraints-kept', to: 'constraints-broken', event: 'SPREAD_BROKEN', reason: message });
  }
}

function buildRequest(deps: OfferHandlerDeps, spec: ServiceSpec, entry: PodEntry, excluded: string[]): PodRequest | undefined {
  const ctx = deps.registry.context(entry);
  const existingVolumes = new Map<string, string[]>();
  for (const v of ctx.volumes) {
    const hosts = deps.volumes.replicaHosts(v.name);
    if (hosts) existingVolumes.set(v.name, excluded.length === 0 ? hosts : hosts.filter((h) => !excluded.includes(h)));
    else if (v.id) return undefined;
  }
  return podRequestFor(spec, entry.podType, entry.index, { existingVolumes, softWaitExpired: ctx.allowNonHolder, overhead: EXECUTOR_OVERHEAD, spread: spreadPolicy(spec, entry.podType) });
}

/** What the default executor of each task group takes from the offer on top of the pod. */
const EXECUTOR_OVERHEAD = { cpus: DEFAULT_EXECUTOR_RESOURCES.cpus, mem: DEFAULT_EXECUTOR_RESOURCES.mem, disk: DEFAULT_EXECUTOR_RESOURCES.disk } as const;

/**
 * Relaunch in place: the agent the task ran on, or, once that agent is gone from the master (a
 * rebooted host registers with a new agent id and its old tasks come back TASK_LOST), the same
 * host under its new agent id. Only an offer that passes every stage qualifies.
 */
function preferredEvaluation(deps: OfferHandlerDeps, ctx: PodInstanceContext, result: PlacementResult): OfferEvaluation | undefined {
  const agent = ctx.preferAgent;
  if (!agent) return undefined;
  const task = ctx.task ?? ctx.lastTask;
  const host = task?.agentId === agent ? task.hostname : deps.cluster.agent(agent)?.hostname;
  // Read off the packed verdicts: no evaluation object is built for the offers passed over.
  return findPassing(result, (o) => o.agentId === agent) ?? (host === undefined ? undefined : findPassing(result, (o) => o.hostname === host));
}
