import type { RememberedPlacement } from '../placement/memory';
import type { OfferEvaluation } from '../placement/types';

/**
 * Why a pod waits for placement, in one line for `plan status` (the step's message): the failure
 * most offers share, e.g. `no agent offers port 9042 (3 of 3 offers)`. `debug offers POD` has
 * every offer's reasons; this is the summary an operator reads first.
 */

/** Failure texts of one failing offer, with its hostname taken out so agents that fail alike count together. */
function failuresOf(ev: OfferEvaluation): Set<string> {
  const out = new Set<string>();
  for (const o of ev.outcomes) {
    if (o.pass) continue;
    const text = o.reason.split(ev.hostname).join('the agent');
    if (o.stage === 'resources' && text.startsWith('not enough ')) {
      for (const part of text.slice('not enough '.length).split('; ')) {
        const missing = /^ports: ([\d, ]+) not offered/.exec(part);
        if (missing) for (const p of missing[1]!.split(',').map((s) => s.trim())) out.add(`port ${p}`);
        else out.add(`not enough ${part}`);
      }
    } else out.add(`${o.stage}: ${text}`);
  }
  return out;
}

function phrase(failure: string, n: number, of: number): string {
  const port = /^port (\d+)$/.exec(failure);
  if (port) return n === of ? `no agent offers port ${port[1]}` : `port ${port[1]} not offered by ${n} of ${of} agents`;
  return `${failure} (${n} of ${of} offers)`;
}

/** Ports no offer has, as one phrase in the order the pod declares them: `no agent offers ports 9042, 7000, 7199`. */
function missingEverywhere(counts: Map<string, number>, of: number): string | undefined {
  const ports = [...counts.entries()].filter(([f, n]) => n === of && f.startsWith('port ')).map(([f]) => f.slice('port '.length));
  for (const p of ports) counts.delete(`port ${p}`);
  if (ports.length === 0) return undefined;
  return ports.length === 1 ? `no agent offers port ${ports[0]}` : `no agent offers ports ${ports.join(', ')}`;
}

/** One line saying why no offer fits; undefined when the last evaluation chose one (nothing to explain). */
export function placementStallReason(p: RememberedPlacement | undefined, maxReasons = 2): string | undefined {
  if (!p || p.chosen) return undefined;
  const failing = p.evaluations.filter((e) => !e.pass);
  if (p.offersSeen === 0 || failing.length === 0) return `waiting for an offer (${p.offersSeen === 0 ? 'none received yet' : 'none fit'})`;
  const counts = new Map<string, number>();
  for (const ev of failing) for (const f of failuresOf(ev)) counts.set(f, (counts.get(f) ?? 0) + 1);
  const of = p.evaluations.length;
  const ports = missingEverywhere(counts, of);
  const rest = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, maxReasons - (ports ? 1 : 0));
  const reasons = [...(ports ? [ports] : []), ...rest.map(([f, n]) => phrase(f, n, of))];
  return `no offer fits: ${reasons.join('; ')} (pxfw ${p.service} debug offers ${p.pod})`;
}
