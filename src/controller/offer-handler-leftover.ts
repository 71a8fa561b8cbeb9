import type { OfferOperation, Resource } from '../mesos';
import { immutableOffer, type Offer, type PortRange } from '../placement';

/**
 * What is left of an offer (as placement reads it) once `operation` takes its resources: the
 * scalars less what its executor and tasks take, the port ranges less the ports they use. The
 * next pod of the round is judged, and its task group built, on that rest, so the operations of
 * one ACCEPT never overlap.
 */
export function leftoverOf(view: Offer, operation: OfferOperation): Offer {
  const taken = { cpus: 0, mem: 0, disk: 0 };
  const ports: PortRange[] = [];
  for (const r of resourcesOf(operation)) {
    if (r.name === 'ports') for (const range of r.ranges?.range ?? []) ports.push({ begin: Number(range.begin), end: Number(range.end) });
    else if (r.name === 'cpus' || r.name === 'mem' || r.name === 'disk') taken[r.name] += r.scalar?.value ?? 0;
  }
  // Field by field, in the order the cluster view builds offers (one shape; spreading a frozen offer is slow).
  return immutableOffer({
    offerId: view.offerId,
    agentId: view.agentId,
    hostname: view.hostname,
    cpus: less(view.cpus, taken.cpus),
    mem: less(view.mem, taken.mem),
    disk: less(view.disk, taken.disk),
    ports: withoutPorts(view.ports, ports),
    attributes: view.attributes,
    domain: view.domain,
  });
}

/** Every resource an operation takes: its executor's and its tasks' (LAUNCH_GROUP, LAUNCH). */
function resourcesOf(operation: OfferOperation): Resource[] {
  if (operation.type === 'LAUNCH_GROUP') {
    const { executor, task_group } = operation.launch_group;
    return [...(executor.resources ?? []), ...(task_group.tasks ?? []).flatMap((t) => t.resources ?? [])];
  }
  return [];
}

/** a - b for offer scalars, rounded to Mesos' fixed point (3 decimals) so float noise does not pile up. */
function less(a: number, b: number): number {
  return Math.max(0, Math.round((a - b) * 1000) / 1000);
}

/** The ranges less the used ones (each used range inside one offered range, as the builder takes them). */
export function withoutPorts(ranges: readonly PortRange[], used: readonly PortRange[]): PortRange[] {
  let out: PortRange[] = ranges.map((r) => ({ begin: r.begin, end: r.end }));
  for (const u of used) {
    const next: PortRange[] = [];
    for (const r of out) {
      if (u.end < r.begin || u.begin > r.end) {
        next.push(r);
        continue;
      }
      if (r.begin < u.begin) next.push({ begin: r.begin, end: u.begin - 1 });
      if (u.end < r.end) next.push({ begin: u.end + 1, end: r.end });
    }
    out = next;
  }
  return out;
}
