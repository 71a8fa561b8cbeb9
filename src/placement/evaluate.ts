import { childLogger } from '../log/logger';
import { podInstanceName } from '../service-spec/names';
import { brokenConstraints, compileConstraints, constraintsStage, strictlyHold, type CompiledConstraint } from './constraints.stage';
import { rackOf } from './fields';
import { freezeExplainer } from './frozen-explainer';
import type { PlacementMemory } from './memory';
import { PlacementIndex, buildPlacementIndex } from './placement-index';
import { resourcesStage } from './resources.stage';
import type { HolderPlan, Stage, StageContext } from './stage';
import { storageHealthStage } from './storage-health.stage';
import type { ClusterView, Offer, OfferEvaluation, PlacementChoice, PlacementResult, PodRequest } from './types';
import { validateClusterView, validatePodRequest } from './validate';
import { localityPasses, localityScore, prepareLocality, volumeLocalityStage, type LocalityPlan } from './volume-locality.stage';
import { packEvaluations, packedResult, type PackedEvaluations } from './packed-result';

const log = childLogger({ module: 'placement' });

/** The stages in evaluation order; a full evaluation runs all of them so every reason is shown. */
export const STAGES: readonly Stage[] = [resourcesStage, constraintsStage, storageHealthStage, volumeLocalityStage];

/**
 * The pass/fail stages the hot path checks after locality has scored the offer, cheapest first
 * (constraints last: they count pods per field value).
 */
const FILTERS: readonly Stage[] = [resourcesStage, storageHealthStage, constraintsStage];

export interface EvaluateOptions {
  /**
   * full (default): every offer carries all stage outcomes with reasons.
   * summary: every offer carries pass and score, only the chosen offer its outcomes; the stages
   * run allocation-free, which is what lets a 2,000-offer round keep up. A memory still gets full
   * reasons for the offers it keeps.
   */
  detail?: 'full' | 'summary';
  /** Keep this evaluation for `debug offers` (its reasons are built only when read). */
  memory?: PlacementMemory;
  /**
   * The request was built here from a parsed spec (podRequestFor), not taken from outside: skip
   * its zod check. Boundaries (tests, adapters) leave it unset and get the check.
   */
  trusted?: boolean;
  /**
   * The round's offers by hostname (`offersByHost(roundOffers)`), holding every offer in `offers`:
   * lets a summary evaluation look only at replica holders when nothing else can pass.
   */
  offersByHost?: OffersByHost;
}

/** Per-pod preparation shared by every offer of the round (reads the index; does not change it). */
export function prepareStageContext(request: PodRequest, index: PlacementIndex): StageContext {
  const constraints = compileConstraints(request.constraints, request.podType, index);
  const locality = prepareLocality(request, index);
  return {
    request,
    instance: podInstanceName(request.podType, request.index),
    index,
    constraints,
    locality,
    holders: planHolders(request, index, constraints, locality),
    spread: {
      rack: index.valueCounts(request.podType, 'rack'),
      zone: index.valueCounts(request.podType, '@zone'),
      host: index.valueCounts(request.podType, 'hostname'),
    },
  };
}

/**
 * The up hosts holding a replica of every existing volume of the pod, and which of them keep every
 * constraint. Under the `break` policy with none keeping them, the constraints yield there.
 */
export function planHolders(request: PodRequest, index: PlacementIndex, constraints: CompiledConstraint[], locality: LocalityPlan): HolderPlan {
  const existing = locality.existing;
  if (existing.length === 0) return { hosts: [], keeping: [], breakOnHolders: false };
  const hosts = [...existing[0]!.holders]
    .filter((h) => existing.every((v) => v.holders.has(h)) && index.storageHealth(h) === 'up' && index.agentByHostname(h) !== undefined)
    .sort();
  const keeping = hosts.filter((h) => strictlyHold(index.agentByHostname(h)!, { constraints, request, index }));
  return { hosts, keeping, breakOnHolders: request.spread === 'break' && keeping.length === 0 && hosts.length > 0 };
}

/** Run every stage on one offer, with reasons. */
export function evaluateOffer(offer: Offer, ctx: StageContext): OfferEvaluation {
  const outcomes = STAGES.map((stage) => stage.explain(offer, ctx));
  const locality = outcomes[STAGES.indexOf(volumeLocalityStage)] as { score?: number };
  const pass = outcomes.every((o) => o.pass);
  const breaks = pass && ctx.holders.breakOnHolders ? brokenConstraints(offer, ctx) : [];
  return {
    offerId: offer.offerId,
    agentId: offer.agentId,
    hostname: offer.hostname,
    pass,
    score: locality.score ?? 0,
    outcomes,
    ...(breaks.length > 0 ? { breaks } : {}),
  };
}

/**
 * Judge every offer for one pod and pick the best passing one: highest locality score, then the
 * least crowded rack/zone/host for this pod type, then the smallest agentId (determinism).
 * O(offers × stages) with O(1) lookups; pass a PlacementIndex to reuse one round's counts across
 * pods. Evaluations come back in offer order. The pod's own recorded placement is not counted
 * against it (a relaunch in place).
 */
export function evaluateOffers(
  request: PodRequest,
  offers: readonly Offer[],
  view: ClusterView | PlacementIndex,
  options: EvaluateOptions = {},
): PlacementResult {
  if (!options.trusted) validatePodRequest(request);
  const index = view instanceof PlacementIndex ? view : buildPlacementIndex(validateClusterView(view));
  if (offers.length === 0) {
    // Nothing to judge (a big round's offers all taken): no per-pod preparation either.
    const none: PlacementResult = { evaluations: [] };
    options.memory?.remember(request, none, index);
    return none;
  }
  return withoutOwnPlacement(index, podInstanceName(request.podType, request.index), () => {
    const ctx = prepareStageContext(request, index);
    const full = (options.detail ?? 'full') === 'full';
    const result = full ? rankFull(offers, ctx) : rankFast(offers, ctx, options.offersByHost);
    options.memory?.remember(request, result, index, freezeExplainer(offers, ctx, evaluateOffer));
    if (log.isLevelEnabled('debug')) {
      log.debug({ pod: ctx.instance, offers: offers.length, chosen: result.chosen?.hostname, score: result.chosen?.score }, result.chosen ? 'offer chosen' : 'no offer fits');
    }
    return result;
  });
}

/**
 * The offer `evaluateOffers` would choose, and its score, with no verdict kept for any other:
 * volume planning judges every agent for every new volume (2,000 x 10,000 in a big deploy), and
 * the pass list and packed verdicts it never reads were most of its garbage.
 */
export function bestOffer(request: PodRequest, offers: readonly Offer[], index: PlacementIndex): { offer: Offer; score: number } | undefined {
  if (offers.length === 0) return undefined;
  return withoutOwnPlacement(index, podInstanceName(request.podType, request.index), () => {
    const ctx = prepareStageContext(request, index);
    const r: Ranking = { record: false, passing: [], scores: [], best: undefined };
    for (let i = 0; i < offers.length; i++) judge(i, offers, ctx, r);
    return r.best === undefined ? undefined : { offer: offers[r.best.i]!, score: r.best.score };
  });
}

/** Run `fn` with the pod's own recorded placement taken out (a relaunch in place is not counted against it). */
function withoutOwnPlacement<T>(index: PlacementIndex, instance: string, fn: () => T): T {
  const own = index.locationOf(instance);
  const ownAgent = own ? index.agentByHostname(own.hostname) : undefined;
  if (own) index.removePlacement(instance);
  try {
    return fn();
  } finally {
    if (own && ownAgent) index.recordPlacement(own.podType, instance, ownAgent);
  }
}

interface Best {
  i: number;
  score: number;
  rack: number;
  zone: number;
  host: number;
}

function rankFull(offers: readonly Offer[], ctx: StageContext): PlacementResult {
  const evaluations = offers.map((offer) => evaluateOffer(offer, ctx));
  let best: Best | undefined;
  evaluations.forEach((ev, i) => {
    if (ev.pass) best = pickBetter(best, i, ev.score, offers[i]!, offers, ctx);
  });
  return finish(evaluations, best === undefined ? undefined : evaluations[best.i]);
}

/**
 * The hot path: the locality verdict first (a holder lookup per volume), the filters only on the
 * offers it lets through, a score only for offers that pass, and no object per offer (packed).
 * When only a host holding every existing volume can pass and the caller gave the round's offers
 * by host, only those hosts' offers are looked at: O(holders), not O(offers), per pod.
 */
function rankFast(offers: readonly Offer[], ctx: StageContext, byHost?: OffersByHost): PlacementResult {
  const r: Ranking = { record: true, passing: [], scores: [], best: undefined };
  const holders = byHost ? onlyHoldersPass(ctx) : undefined;
  if (holders && byHost) {
    for (const i of positionsOn(holders, offers, byHost)) judge(i, offers, ctx, r);
    if (r.passing.length > 1) [r.passing, r.scores] = ascending(r.passing, r.scores);
  } else {
    for (let i = 0; i < offers.length; i++) judge(i, offers, ctx, r);
  }
  const { passing, scores, best } = r;
  const chosenIndex = best === undefined ? -1 : best.i;
  if (chosenIndex < 0) return packedResult(packEvaluations({ offers, passing, passingScores: scores, chosenIndex }, ctx), undefined);
  // The chosen offer's reasons are worded only when read, from what held now (frozen).
  const explainChosen = freezeExplainer(offers, ctx, evaluateOffer)([chosenIndex]);
  const packed = packEvaluations({ offers, passing, passingScores: scores, chosenIndex, explainChosen }, ctx);
  const offer = offers[chosenIndex]!;
  const breaks = ctx.holders.breakOnHolders ? brokenConstraints(offer, ctx) : [];
  const choice = { offerId: offer.offerId, agentId: offer.agentId, hostname: offer.hostname, score: best!.score, ...(breaks.length > 0 ? { breaks } : {}) } as PlacementChoice;
  Object.defineProperty(choice, CHOICE_VERDICTS, { value: packed, enumerable: false });
  Object.defineProperty(choice, 'reasons', { enumerable: true, get: chosenReasons });
  return packedResult(packed, choice);
}

/** The passing offers so far (positions and scores, if `record`) and the best of them. */
interface Ranking {
  record: boolean;
  passing: number[];
  scores: number[];
  best: Best | undefined;
}

/** Judge the offer at `i`: the locality verdict first, the filters only if it passes, a score only for a pass. */
function judge(i: number, offers: readonly Offer[], ctx: StageContext, r: Ranking): void {
  const offer = offers[i]!;
  if (!localityPasses(offer, ctx) || !passesFilters(offer, ctx)) return;
  const s = localityScore(offer, ctx);
  if (r.record) {
    r.passing.push(i);
    r.scores.push(s);
  }
  r.best = pickBetter(r.best, i, s, offer, offers, ctx);
}

/** The packed verdicts a hot-path choice words its reasons from (not enumerable: not part of the choice). */
const CHOICE_VERDICTS = Symbol('verdicts of the choice');

/** `reasons` of a hot-path choice, worded on read: one getter for every choice (no closure per pod). */
function chosenReasons(this: PlacementChoice): string[] {
  return reasonsOf((this as unknown as Record<typeof CHOICE_VERDICTS, PackedEvaluations>)[CHOICE_VERDICTS].chosen!);
}

/** Positions and their scores, ordered by position. */
function ascending(positions: number[], scores: number[]): [number[], number[]] {
  const order = positions.map((_, k) => k).sort((a, b) => positions[a]! - positions[b]!);
  return [order.map((k) => positions[k]!), order.map((k) => scores[k]!)];
}

/** The round's offers by hostname: every offer the caller may pass to evaluateOffers in that round. */
export type OffersByHost = ReadonlyMap<string, readonly Offer[]>;

/** Index a round's offers by hostname (once per round, for EvaluateOptions.offersByHost). */
export function offersByHost(offers: readonly Offer[]): OffersByHost {
  const map = new Map<string, Offer[]>();
  for (const o of offers) {
    const list = map.get(o.hostname);
    if (list) list.push(o);
    else map.set(o.hostname, [o]);
  }
  return map;
}

/**
 * The hosts holding a replica of every existing volume, when no other host can pass the locality
 * stage: hard convergence, or soft while max_wait runs and every volume has a holder that could
 * still offer (localityPasses fails every host missing such a volume). Undefined otherwise.
 */
function onlyHoldersPass(ctx: StageContext): string[] | undefined {
  const existing = ctx.locality.existing;
  if (existing.length === 0) return undefined;
  const { mode, softWaitExpired } = ctx.request.convergence;
  if (mode !== 'hard' && (softWaitExpired || !existing.every((v) => v.holderAvailable))) return undefined;
  return [...existing[0]!.holders].filter((h) => existing.every((v) => v.holders.has(h)));
}

/** Positions in `offers` of the offers on `hosts` (an offer of the round not in `offers` is skipped). */
function positionsOn(hosts: readonly string[], offers: readonly Offer[], byHost: OffersByHost): number[] {
  const out: number[] = [];
  for (const h of hosts) {
    for (const o of byHost.get(h) ?? []) {
      const i = offers.indexOf(o);
      if (i >= 0) out.push(i);
    }
  }
  return out;
}

function passesFilters(offer: Offer, ctx: StageContext): boolean {
  for (const stage of FILTERS) if (!stage.fits(offer, ctx)) return false;
  return true;
}

function reasonsOf(evaluation: OfferEvaluation): string[] {
  return evaluation.outcomes.map((o) => `${o.stage}: ${o.reason}`);
}

function finish(evaluations: OfferEvaluation[], chosen: OfferEvaluation | undefined): PlacementResult {
  if (!chosen) return { evaluations };
  return {
    chosen: {
      offerId: chosen.offerId,
      agentId: chosen.agentId,
      hostname: chosen.hostname,
      score: chosen.score,
      reasons: reasonsOf(chosen),
      ...(chosen.breaks ? { breaks: chosen.breaks } : {}),
    },
    evaluations,
  };
}

/**
 * Higher score; then fewer pods of this type in the rack, zone, host; then smaller agentId,
 * offerId. The ranking's one Best is updated in place when the offer beats it (no object per
 * passing offer), and the spread counts are read only when the score ties or wins.
 */
function pickBetter(best: Best | undefined, i: number, score: number, offer: Offer, offers: readonly Offer[], ctx: StageContext): Best {
  if (best && score < best.score) return best;
  const { spread } = ctx;
  const rackName = rackOf(offer);
  const rack = rackName === undefined ? 0 : (spread.rack.get(rackName) ?? 0);
  const zone = offer.domain.zone === undefined ? 0 : (spread.zone.get(offer.domain.zone) ?? 0);
  const host = spread.host.get(offer.hostname) ?? 0;
  if (!best) return { i, score, rack, zone, host };
  if (score === best.score && !beats(offer, rack, zone, host, best, offers)) return best;
  best.i = i;
  best.score = score;
  best.rack = rack;
  best.zone = zone;
  best.host = host;
  return best;
}

/** At an equal score: does the offer (with these spread counts) beat the best so far? */
function beats(offer: Offer, rack: number, zone: number, host: number, best: Best, offers: readonly Offer[]): boolean {
  if (rack !== best.rack) return rack < best.rack;
  if (zone !== best.zone) return zone < best.zone;
  if (host !== best.host) return host < best.host;
  const b = offers[best.i]!;
  if (offer.agentId !== b.agentId) return offer.agentId < b.agentId;
  return offer.offerId < b.offerId;
}
