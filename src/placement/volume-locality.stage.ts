import { rackOf } from './fields';
import type { PlacementIndex } from './placement-index';
import type { Stage, StageContext } from './stage';
import type { Offer, PodRequest, StageOutcome } from './types';

export const VOLUME_LOCALITY_STAGE = 'volume-locality';

/** Stork's ranking of a node for a volume: holder > same rack > same zone > same region > other. */
export const LOCALITY_SCORES = { holder: 100, rack: 60, zone: 40, region: 20, other: 0 } as const;

/** One existing volume's replica layout, prepared once per pod. */
export interface VolumeLocality {
  name: string;
  holders: ReadonlySet<string>;
  holderList: string;
  /** Failure domains of holders whose Portworx node is up; racks by zone ('' when unknown). */
  racks: ReadonlyMap<string, ReadonlySet<string>>;
  zones: ReadonlySet<string>;
  regions: ReadonlySet<string>;
  /** Some holder is up and is a known agent, so an offer from it can still come. */
  holderAvailable: boolean;
}

export interface LocalityPlan {
  existing: VolumeLocality[];
  newVolumes: number;
}

export interface LocalityOutcome extends StageOutcome {
  score: number;
}

export function prepareLocality(request: PodRequest, index: PlacementIndex): LocalityPlan {
  const existing: VolumeLocality[] = [];
  let newVolumes = 0;
  for (const vol of request.volumes) {
    if (!vol.exists) {
      newVolumes++;
      continue;
    }
    const racks = new Map<string, Set<string>>();
    const zones = new Set<string>();
    const regions = new Set<string>();
    let holderAvailable = false;
    for (const host of vol.replicaHosts) {
      if (index.storageHealth(host) !== 'up') continue;
      const domain = index.domainOf(host);
      if (!domain) continue; // a storage-only node: no agent, so no pod can run there
      holderAvailable = true;
      if (domain.rack !== undefined) {
        const zone = domain.zone ?? '';
        const set = racks.get(zone) ?? new Set<string>();
        set.add(domain.rack);
        racks.set(zone, set);
      }
      if (domain.zone !== undefined) zones.add(domain.zone);
      if (domain.region !== undefined) regions.add(domain.region);
    }
    existing.push({
      name: vol.name,
      holders: new Set(vol.replicaHosts),
      holderList: vol.replicaHosts.length > 0 ? vol.replicaHosts.join(', ') : 'none',
      racks,
      zones,
      regions,
      holderAvailable,
    });
  }
  return { existing, newVolumes };
}

/** Rack names repeat across zones, so a rack only matches within the same zone. */
function volumeScore(vol: VolumeLocality, offer: Offer, rack: string | undefined): number {
  if (vol.holders.has(offer.hostname)) return LOCALITY_SCORES.holder;
  const { zone, region } = offer.domain;
  if (rack !== undefined && vol.racks.get(zone ?? '')?.has(rack)) return LOCALITY_SCORES.rack;
  if (zone !== undefined && vol.zones.has(zone)) return LOCALITY_SCORES.zone;
  if (region !== undefined && vol.regions.has(region)) return LOCALITY_SCORES.region;
  return LOCALITY_SCORES.other;
}

/** Fast path result, reused by the caller to avoid an allocation per offer. */
export interface LocalityJudgement {
  pass: boolean;
  score: number;
}

/**
 * The verdict alone: one holder lookup per existing volume, no score. Fails a non-holder under
 * hard convergence, and under soft convergence while max_wait has not expired and some holder of
 * a volume the host lacks could still offer. The hot path scores only the offers that pass.
 */
export function localityPasses(offer: Offer, ctx: StageContext): boolean {
  const existing = ctx.locality.existing;
  if (existing.length === 0) return true;
  let missing = 0;
  let missingWithHolder = 0;
  for (let i = 0; i < existing.length; i++) {
    const vol = existing[i]!;
    if (!vol.holders.has(offer.hostname)) {
      missing++;
      if (vol.holderAvailable) missingWithHolder++;
    }
  }
  if (missing === 0) return true;
  const { mode, softWaitExpired } = ctx.request.convergence;
  return mode === 'soft' && (softWaitExpired || missingWithHolder === 0);
}

/** The mean closeness of the offer's host to each existing volume's replicas (a down storage node scores 0). */
export function localityScore(offer: Offer, ctx: StageContext): number {
  const existing = ctx.locality.existing;
  if (existing.length === 0) return LOCALITY_SCORES.holder;
  if (ctx.index.storageHealth(offer.hostname) !== 'up') return 0;
  const rack = rackOf(offer);
  let total = 0;
  for (let i = 0; i < existing.length; i++) total += volumeScore(existing[i]!, offer, rack);
  return total / existing.length;
}

/** Fast check: the score and verdict of the stage without building its reason. */
function judgeLocality(offer: Offer, ctx: StageContext, out: LocalityJudgement): LocalityJudgement {
  out.pass = localityPasses(offer, ctx);
  out.score = localityScore(offer, ctx);
  return out;
}

const TIER_WORDS: Record<number, string> = {
  [LOCALITY_SCORES.rack]: 'same rack as a replica',
  [LOCALITY_SCORES.zone]: 'same zone as a replica',
  [LOCALITY_SCORES.region]: 'same region as a replica',
  [LOCALITY_SCORES.other]: 'no replica nearby',
};

/** The verdict and score with the words: which volumes the host holds, how near the rest are. */
function explainLocality(offer: Offer, ctx: StageContext): LocalityOutcome {
  const plan = ctx.locality;
  const stage = VOLUME_LOCALITY_STAGE;
  const { pass, score } = judgeLocality(offer, ctx, { pass: false, score: 0 });
  if (plan.existing.length === 0) {
    const reason = plan.newVolumes > 0 ? `new volume(s) get their first replica on ${offer.hostname}` : 'pod has no volumes';
    return { stage, pass, reason, score };
  }
  const up = ctx.index.storageHealth(offer.hostname) === 'up';
  const rack = rackOf(offer);
  const missing = plan.existing.filter((v) => !v.holders.has(offer.hostname));
  if (missing.length === 0) {
    return { stage, pass, reason: `replica holder of ${plan.existing.map((v) => v.name).join(', ')}`, score };
  }
  const tiers = new Set(missing.map((v) => TIER_WORDS[up ? volumeScore(v, offer, rack) : 0] ?? 'no replica nearby'));
  const notHolder = `not a replica holder of ${missing.map((v) => `${v.name} (holders: ${v.holderList})`).join(', ')}`;
  const nearest = `${[...tiers].join(', ')}, score ${round(score)}`;
  const { mode, softWaitExpired } = ctx.request.convergence;
  let reason: string;
  if (mode === 'hard') {
    const noneUp = missing.some((v) => !v.holderAvailable) ? '; no holder is up, waiting for one to return' : '';
    reason = `${notHolder}; hard convergence${noneUp}`;
  } else if (softWaitExpired) {
    reason = `${notHolder}; soft convergence wait expired, falling back (${nearest})`;
  } else if (missing.some((v) => v.holderAvailable)) {
    reason = `${notHolder}; soft convergence waits for a holder until max_wait expires`;
  } else {
    reason = `${notHolder}; no holder is up, soft convergence falls back now (${nearest})`;
  }
  return { stage, pass, reason, score };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** A stage that also scores the offer (higher is better); `judge` is its allocation-free hot path. */
export interface ScoringStage extends Stage<LocalityOutcome> {
  /** Pass and score into `out` (reused across offers), without a reason. `judge(...).pass === fits(...)`. */
  judge(offer: Offer, ctx: StageContext, out: LocalityJudgement): LocalityJudgement;
}

/**
 * Score the offer's host by closeness to each existing volume's replicas (mean over volumes; a
 * down storage node scores 0). Fail a non-holder under hard convergence, and under soft
 * convergence while max_wait has not expired and some holder could still offer.
 */
export const volumeLocalityStage: ScoringStage = {
  name: VOLUME_LOCALITY_STAGE,
  fits: localityPasses,
  explain: explainLocality,
  judge: judgeLocality,
};
