import type { Stage, StageContext } from './stage';
import type { Offer, PortRange, StageOutcome } from './types';

export const RESOURCES_STAGE = 'resources';

// Offers carry scalars as decimals; tolerate float noise (0.1 + 0.2) in comparisons.
const EPSILON = 1e-9;

/**
 * Fast check (no allocation: it runs for every agent for every volume planned, 20 million times
 * in a 10,000-pod deploy on 2,000 agents): the offer has the pod's cpus, mem, disk and ports.
 */
function resourcesFit(offer: Offer, ctx: StageContext): boolean {
  const r = ctx.request;
  return (
    offer.cpus + EPSILON >= r.cpus &&
    offer.mem + EPSILON >= r.mem &&
    offer.disk + EPSILON >= r.disk &&
    portCount(offer.ports) >= r.ports &&
    allOffered(offer.ports, r.fixedPorts)
  );
}

/** Every fixed port lies in some range (`missingPorts` is empty), without building the list. */
function allOffered(ranges: readonly PortRange[], fixed: readonly number[] | undefined): boolean {
  if (!fixed) return true;
  for (let i = 0; i < fixed.length; i++) if (!inRanges(ranges, fixed[i]!)) return false;
  return true;
}

function inRanges(ranges: readonly PortRange[], port: number): boolean {
  for (let i = 0; i < ranges.length; i++) if (port >= ranges[i]!.begin && port <= ranges[i]!.end) return true;
  return false;
}

/** Fixed ports of the pod that no range of the offer contains (in use on that agent). */
export function missingPorts(ranges: readonly PortRange[], fixed: readonly number[] | undefined): number[] {
  if (!fixed || fixed.length === 0) return [];
  return fixed.filter((p) => !inRanges(ranges, p));
}

/** The offer has the pod's cpus, mem, disk and number of ports, with what is short. */
function explainResources(offer: Offer, ctx: StageContext): StageOutcome {
  const r = ctx.request;
  const ports = portCount(offer.ports);
  const short: string[] = [];
  if (offer.cpus + EPSILON < r.cpus) short.push(`cpus: needs ${r.cpus}, offer has ${offer.cpus}`);
  if (offer.mem + EPSILON < r.mem) short.push(`mem: needs ${r.mem} MiB, offer has ${offer.mem}`);
  if (offer.disk + EPSILON < r.disk) short.push(`disk: needs ${r.disk} MiB, offer has ${offer.disk}`);
  if (ports < r.ports) short.push(`ports: needs ${r.ports}, offer has ${ports}`);
  const missing = missingPorts(offer.ports, r.fixedPorts);
  if (missing.length > 0) short.push(`ports: ${missing.join(', ')} not offered (in use on ${offer.hostname}?)`);
  if (short.length > 0) return { stage: RESOURCES_STAGE, pass: false, reason: `not enough ${short.join('; ')}` };
  return {
    stage: RESOURCES_STAGE,
    pass: true,
    reason: `fits: cpus ${r.cpus}/${offer.cpus}, mem ${r.mem}/${offer.mem} MiB, disk ${r.disk}/${offer.disk} MiB, ports ${r.ports}/${ports}`,
  };
}

export function portCount(ranges: readonly PortRange[]): number {
  let n = 0;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    if (r.end >= r.begin) n += r.end - r.begin + 1;
  }
  return n;
}

/** The offer has the pod's cpus, mem, disk, number of ports and its fixed ports. */
export const resourcesStage: Stage = { name: RESOURCES_STAGE, fits: resourcesFit, explain: explainResources };
