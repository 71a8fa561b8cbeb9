import { counted, countPlan, type CountedPlan } from './plan-counts';
import type { StepRef } from './plan';
import type { FrameworkContext, FrameworkCounters, PodReport, PodStates } from './framework.types';

/*
 * The supervisor's derived state, kept up to date per event instead of rescanned (issue 12): the
 * plans' counters (plan-counts.ts) and the count of pods waiting for an offer, beside the pods'
 * last reports in chunks (a report copies 64 slots and the chunk list, not a map of every pod).
 * frameworkCounters() is the rescan: for a context built or restored, and the tests' reference.
 */

const CHUNK = 64;

export function podReport(podStates: PodStates, ref: StepRef): PodReport | undefined {
  return podStates[ref.podType]?.[ref.index >> 6]?.[ref.index & (CHUNK - 1)] ?? undefined;
}

/** podStates with this pod's report (null: none) in a copy of its chunk; unchanged: the same object. */
export function withPodReport(podStates: PodStates, ref: StepRef, report: PodReport | null): PodStates {
  const prev = podReport(podStates, ref) ?? null;
  if (prev === report || (prev !== null && report !== null && prev.state === report.state && prev.progress === report.progress)) return podStates;
  const at = ref.index >> 6;
  const chunks = (podStates[ref.podType] ?? []).slice();
  while (chunks.length <= at) chunks.push(null);
  const chunk = (chunks[at] ?? new Array<PodReport | null>(CHUNK).fill(null)).slice();
  chunk[ref.index & (CHUNK - 1)] = report;
  chunks[at] = chunk;
  return { ...podStates, [ref.podType]: chunks };
}

export function* podReports(podStates: PodStates): Generator<[StepRef, PodReport]> {
  for (const [podType, chunks] of Object.entries(podStates)) {
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c];
      if (!chunk) continue;
      for (let i = 0; i < chunk.length; i++) {
        const r = chunk[i];
        if (r) yield [{ podType, index: c * CHUNK + i }, r];
      }
    }
  }
}

export function wantsOffers(report: PodReport | null | undefined): boolean {
  return report?.state.split('.')[0] === 'volume-provisioned';
}

/** A context from before the chunks kept `podStates` as one map by pod name: the same reports, chunked. */
function chunked(podStates: PodStates | Record<string, PodReport>): PodStates {
  const entries = Object.entries(podStates);
  if (entries.every(([, v]) => Array.isArray(v))) return podStates as PodStates;
  let out: PodStates = {};
  for (const [name, report] of entries) {
    const cut = name.lastIndexOf('-');
    const index = Number(name.slice(cut + 1));
    if (cut > 0 && Number.isInteger(index)) out = withPodReport(out, { podType: name.slice(0, cut), index }, report as PodReport);
  }
  return out;
}

/** The rescan: counters from the plans and reports as they are. */
export function frameworkCounters(context: Pick<FrameworkContext, 'deploy' | 'decommission' | 'podStates'>): FrameworkCounters {
  let offersWanted = 0;
  for (const [, r] of podReports(chunked(context.podStates))) if (wantsOffers(r)) offersWanted++;
  return { deploy: countPlan(context.deploy), decommission: countPlan(context.decommission), offersWanted };
}

/** The maintained counters (a context restored from a snapshot taken before them: counted now). */
export function countersOf(context: FrameworkContext): FrameworkCounters {
  return context.counters ?? frameworkCounters(context);
}

/** The reports, chunked (a snapshot from before the counters kept them as one map). */
export function podStatesOf(context: FrameworkContext): PodStates {
  return context.counters ? context.podStates : chunked(context.podStates);
}

export function deployPlan(context: FrameworkContext): CountedPlan {
  return counted(context.deploy, countersOf(context).deploy);
}

export function decommissionPlan(context: FrameworkContext): CountedPlan {
  return counted(context.decommission, countersOf(context).decommission);
}

/**
 * The context update for new plans and counts: plans not given keep theirs. Writing the counters
 * for the first time (a context from before them) also writes the chunked reports they count.
 */
export function withPlans(
  context: FrameworkContext,
  plans: { deploy?: CountedPlan; decommission?: CountedPlan; offersWanted?: number },
): Partial<FrameworkContext> {
  const c = countersOf(context);
  const counters: FrameworkCounters = {
    deploy: plans.deploy?.counts ?? c.deploy,
    decommission: plans.decommission?.counts ?? c.decommission,
    offersWanted: plans.offersWanted ?? c.offersWanted,
  };
  return {
    ...(plans.deploy ? { deploy: plans.deploy.plan } : {}),
    ...(plans.decommission ? { decommission: plans.decommission.plan } : {}),
    ...(context.counters ? {} : { podStates: podStatesOf(context) }),
    counters,
  };
}
