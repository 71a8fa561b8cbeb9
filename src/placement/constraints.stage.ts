import { formatConstraint, type ConstraintOperator, type PlacementConstraint } from '../service-spec/constraints';
import { canonicalField, fieldValue, type AgentLike } from './fields';
import type { PlacementIndex } from './placement-index';
import type { Stage, StageContext } from './stage';
import type { Offer, StageOutcome } from './types';

export const CONSTRAINTS_STAGE = 'constraints';

/**
 * A constraint ready for the hot path: canonical field, parsed number, compiled regex, and the
 * per-pod constants read from the index once (`groupLimit`, `clusterStarted`).
 */
export interface CompiledConstraint {
  text: string;
  field: string;
  operator: ConstraintOperator;
  value?: string;
  number?: number;
  regex?: RegExp;
  /** GROUP_BY: the most pods a group may already hold to take one more. */
  groupLimit?: number;
  /** CLUSTER without a value: some pod of the type already chose a value. */
  clusterStarted?: boolean;
  /** Live counts of the pod's type by value of this field. */
  counts?: ReadonlyMap<string, number>;
}

const regexCache = new Map<string, RegExp>();
const REGEX_CACHE_LIMIT = 1000;

/** Marathon matches LIKE/UNLIKE against the whole value, so the pattern is anchored. */
function anchored(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    if (regexCache.size >= REGEX_CACHE_LIMIT) regexCache.clear();
    re = new RegExp(`^(?:${pattern})$`);
    regexCache.set(pattern, re);
  }
  return re;
}

/**
 * Compile once per pod. With `podType` and `index`, GROUP_BY and CLUSTER read their group state
 * now, so judging each offer is a single count lookup. Even spread (GROUP_BY): a group may take
 * the pod only if no group has fewer; with a group count N and fewer than N values known, unseen
 * groups count as empty (Marathon's reading).
 */
export function compileConstraints(
  constraints: readonly PlacementConstraint[],
  podType?: string,
  index?: PlacementIndex,
): CompiledConstraint[] {
  return constraints.map((c) => {
    const compiled: CompiledConstraint = { text: formatConstraint(c), field: canonicalField(c.field), operator: c.operator };
    if (c.value !== undefined) compiled.value = c.value;
    if ((c.operator === 'GROUP_BY' || c.operator === 'MAX_PER') && c.value !== undefined) compiled.number = Number(c.value);
    if ((c.operator === 'LIKE' || c.operator === 'UNLIKE') && c.value !== undefined) compiled.regex = anchored(c.value);
    if (podType !== undefined && index) {
      compiled.counts = index.valueCounts(podType, compiled.field);
      if (c.operator === 'GROUP_BY') {
        const short = compiled.number !== undefined && index.distinctValues(compiled.field) < compiled.number;
        compiled.groupLimit = short ? 0 : index.minGroupCount(podType, compiled.field);
      }
      if (c.operator === 'CLUSTER') compiled.clusterStarted = index.fieldTotal(podType, compiled.field) > 0;
    }
    return compiled;
  });
}

/**
 * Under the `break` spread policy, when no up holder of all the pod's data keeps every
 * constraint, the constraints yield on those holders: the pod follows its data and the broken
 * constraints are reported. Under `keep` (the default) nothing yields.
 */
function yieldsOnHolder(offer: AgentLike, ctx: StageContext): boolean {
  return ctx.holders.breakOnHolders && ctx.holders.hosts.includes(offer.hostname);
}

/** Fast check (no allocation): every constraint holds on the offer's agent (or yields by policy). */
function constraintsHold(offer: Offer, ctx: StageContext): boolean {
  return strictlyHold(offer, ctx) || yieldsOnHolder(offer, ctx);
}

/** Every constraint holds on the agent, whatever the policy. */
export function strictlyHold(agent: AgentLike, ctx: Pick<StageContext, 'constraints' | 'request' | 'index'>): boolean {
  for (const c of ctx.constraints) {
    if (!constraintHolds(c, agent, ctx.request.podType, ctx.index)) return false;
  }
  return true;
}

/** The constraints that fail on the agent (texts), whatever the policy. */
export function brokenConstraints(agent: AgentLike, ctx: Pick<StageContext, 'constraints' | 'request' | 'index'>): string[] {
  return ctx.constraints.filter((c) => !constraintHolds(c, agent, ctx.request.podType, ctx.index)).map((c) => c.text);
}

/** One constraint against one offer (mesosphere/marathon docs/docs/constraints.md). */
export function constraintHolds(c: CompiledConstraint, offer: AgentLike, podType: string, index: PlacementIndex): boolean {
  const v = fieldValue(offer, c.field);
  // Marathon: an agent without the attribute satisfies only UNLIKE.
  if (v === undefined) return c.operator === 'UNLIKE';
  switch (c.operator) {
    case 'UNIQUE':
      return countOf(c, v, podType, index) === 0;
    case 'MAX_PER':
      return countOf(c, v, podType, index) < (c.number ?? 1);
    case 'GROUP_BY':
      return countOf(c, v, podType, index) <= groupLimit(c, podType, index);
    case 'CLUSTER':
      if (c.value !== undefined) return v === c.value;
      return !clusterStarted(c, podType, index) || countOf(c, v, podType, index) > 0;
    case 'LIKE':
      return c.regex!.test(v);
    case 'UNLIKE':
      return !c.regex!.test(v);
    case 'IS':
      return v === c.value;
    case 'IS_NOT':
      return v !== c.value;
  }
}

function countOf(c: CompiledConstraint, v: string, podType: string, index: PlacementIndex): number {
  return c.counts ? (c.counts.get(v) ?? 0) : index.count(podType, c.field, v);
}

function groupLimit(c: CompiledConstraint, podType: string, index: PlacementIndex): number {
  if (c.groupLimit !== undefined) return c.groupLimit;
  return c.number !== undefined && index.distinctValues(c.field) < c.number ? 0 : index.minGroupCount(podType, c.field);
}

function clusterStarted(c: CompiledConstraint, podType: string, index: PlacementIndex): boolean {
  return c.clusterStarted ?? index.fieldTotal(podType, c.field) > 0;
}

/** Every constraint with its reason; fails if any fails (and does not yield by policy). */
function explainConstraints(offer: Offer, ctx: StageContext): StageOutcome {
  if (ctx.constraints.length === 0) return { stage: CONSTRAINTS_STAGE, pass: true, reason: 'no constraints' };
  const failed: string[] = [];
  const held: string[] = [];
  for (const c of ctx.constraints) {
    const verdict = checkConstraint(c, offer, ctx.request.podType, ctx.index);
    if (!verdict.pass && yieldsOnHolder(offer, ctx)) {
      held.push(`${c.text} BROKEN by spread policy break: no replica holder keeps it, ${offer.hostname} holds the pod's data (${verdict.why})`);
      continue;
    }
    if (!verdict.pass && ctx.holders.hosts.includes(offer.hostname) && ctx.holders.keeping.length === 0 && (ctx.request.spread ?? 'keep') === 'keep') {
      failed.push(`${c.text} ${verdict.why} (replica holder; spread policy keep: a new replica goes where the constraints hold)`);
      continue;
    }
    (verdict.pass ? held : failed).push(`${c.text} ${verdict.why}`);
  }
  if (failed.length > 0) return { stage: CONSTRAINTS_STAGE, pass: false, reason: failed.join('; ') };
  return { stage: CONSTRAINTS_STAGE, pass: true, reason: held.join('; ') };
}

/**
 * Every Marathon constraint of the pod holds on the offer's agent, counting the pods of the same
 * type already there (the pod being placed excluded). Each constraint's reason says why.
 */
export const constraintsStage: Stage = { name: CONSTRAINTS_STAGE, fits: constraintsHold, explain: explainConstraints };

export interface Verdict {
  pass: boolean;
  why: string;
}

/** One constraint with the words for `debug offers`; `pass` is exactly `constraintHolds`. */
export function checkConstraint(c: CompiledConstraint, offer: AgentLike, podType: string, index: PlacementIndex): Verdict {
  const pass = constraintHolds(c, offer, podType, index);
  return { pass, why: `${pass ? 'holds' : 'fails'}: ${explain(c, offer, podType, index, pass)}` };
}

function explain(c: CompiledConstraint, offer: AgentLike, podType: string, index: PlacementIndex, pass: boolean): string {
  const v = fieldValue(offer, c.field);
  if (v === undefined) return `agent has no ${c.field}`;
  const at = `${c.field}=${v}`;
  const n = index.count(podType, c.field, v);
  switch (c.operator) {
    case 'UNIQUE':
      return pass ? `no ${podType} pod on ${at}` : `${n} ${podType} pod(s) already on ${at}`;
    case 'MAX_PER':
      return pass ? `${n} of at most ${c.number} ${podType} pods on ${at}` : `${at} already has ${n} ${podType} pod(s), at most ${c.number}`;
    case 'GROUP_BY': {
      const limit = groupLimit(c, podType, index);
      return pass ? `${at} has ${n} ${podType} pod(s), the fewest of any ${c.field}` : `${at} has ${n} ${podType} pod(s) while some ${c.field} has ${limit}`;
    }
    case 'CLUSTER':
      if (c.value !== undefined) return pass ? at : `${at}, wanted ${c.value}`;
      if (!clusterStarted(c, podType, index)) return `first ${podType} pod chooses ${at}`;
      return pass ? `${podType} pods are on ${at}` : `${podType} pods are clustered on another ${c.field}`;
    case 'LIKE':
      return pass ? `${at} matches` : `${at} does not match ${c.value}`;
    case 'UNLIKE':
      return pass ? `${at} does not match` : `${at} matches ${c.value}`;
    case 'IS':
      return pass ? at : `${at}, wanted ${c.value}`;
    case 'IS_NOT':
      return pass ? at : `${at} is excluded`;
  }
}
