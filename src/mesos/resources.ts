import { MesosInsufficientResourcesError } from './errors';
import type { AgentInfo, AllocationInfo, Attribute, DomainInfo, Int64, Offer, Resource } from './types';

/**
 * Reading offers and agents, and carving launch resources out of an offer. Launch resources
 * are copies of offered ones (same role, reservation and allocation_info), because the master
 * matches what a task asks for against exactly what it offered.
 */

/** Mesos keeps scalars in fixed point with three decimals. */
export function roundScalar(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function toNumber(value: Int64): number {
  return typeof value === 'bigint' ? Number(value) : value;
}

/** Plain unreserved-or-reserved resources a task may use (no revocable, shared or special disks). */
function consumable(r: Resource, role?: string): boolean {
  if (r.revocable || r.shared || r.disk?.persistence || r.disk?.source) return false;
  if (role && r.allocation_info?.role && r.allocation_info.role !== role) return false;
  return true;
}

/** Total of a scalar resource (cpus, mem, disk, gpus) an offer holds for `role` (any role if omitted). */
export function offerScalar(offer: Pick<Offer, 'resources'>, name: string, role?: string): number {
  let total = 0;
  for (const r of offer.resources ?? []) {
    if (r.name === name && r.type === 'SCALAR' && consumable(r, role)) total += r.scalar?.value ?? 0;
  }
  return roundScalar(total);
}

/** The ranges of a RANGES resource (default "ports") in an offer, as plain numbers. */
export function offerRanges(
  offer: Pick<Offer, 'resources'>,
  name = 'ports',
  role?: string,
): { begin: number; end: number }[] {
  const out: { begin: number; end: number }[] = [];
  for (const r of offer.resources ?? []) {
    if (r.name !== name || r.type !== 'RANGES' || !consumable(r, role)) continue;
    for (const range of r.ranges?.range ?? []) out.push({ begin: toNumber(range.begin), end: toNumber(range.end) });
  }
  return out.sort((a, b) => a.begin - b.begin);
}

/** True when every one of `ports` lies inside the offer's port ranges. */
export function offerHasPorts(offer: Pick<Offer, 'resources'>, ports: readonly number[], role?: string): boolean {
  const ranges = offerRanges(offer, 'ports', role);
  return ports.every((p) => ranges.some((r) => p >= r.begin && p <= r.end));
}

/** An attribute's value as text (TEXT as is, SCALAR as a number, SET/RANGES joined). */
export function attributeValue(attributes: readonly Attribute[] | undefined, name: string): string | undefined {
  const attr = attributes?.find((a) => a.name === name);
  if (!attr) return undefined;
  switch (attr.type) {
    case 'TEXT':
      return attr.text?.value;
    case 'SCALAR':
      return attr.scalar ? String(attr.scalar.value) : undefined;
    case 'SET':
      return attr.set?.item?.join(',');
    case 'RANGES':
      return attr.ranges?.range?.map((r) => `[${String(r.begin)}-${String(r.end)}]`).join(',');
  }
}

/** The `rack` attribute of an agent or offer (the convention DC/OS and pxfw's simulator use). */
export function rackOf(info: { attributes?: Attribute[] }): string | undefined {
  return attributeValue(info.attributes, 'rack');
}

/** Region and zone from a fault domain, if the agent has one. */
export function faultDomainOf(info: { domain?: DomainInfo }): { region: string; zone: string } | undefined {
  const fd = info.domain?.fault_domain;
  return fd ? { region: fd.region.name, zone: fd.zone.name } : undefined;
}

export interface Topology {
  hostname: string;
  rack?: string;
  zone?: string;
  region?: string;
}

/** Where an agent (or the agent behind an offer) sits: host, rack, zone, region. */
export function topologyOf(info: Pick<AgentInfo, 'hostname' | 'attributes' | 'domain'>): Topology {
  const fd = faultDomainOf(info);
  const rack = rackOf(info);
  return {
    hostname: info.hostname,
    ...(rack !== undefined ? { rack } : {}),
    ...(fd ? { zone: fd.zone, region: fd.region } : {}),
  };
}

type Template = Omit<Resource, 'scalar' | 'ranges' | 'set'>;

function template(r: Resource, allocation: AllocationInfo): Template {
  const { scalar: _s, ranges: _r, set: _set, ...rest } = r;
  // MULTI_ROLE masters reject launch resources without allocation_info.
  return rest.allocation_info ? rest : { ...rest, allocation_info: allocation };
}

/** The offer's resources, consumed piece by piece as tasks and the executor take them. */
export class ResourcePool {
  private readonly scalars: { tpl: Template; left: number }[] = [];
  private readonly ranges: { tpl: Template; free: { begin: number; end: number }[] }[] = [];

  constructor(
    private readonly offer: Offer,
    role: string,
  ) {
    const allocation = offer.allocation_info ?? { role };
    for (const r of offer.resources ?? []) {
      if (!consumable(r, role)) continue;
      if (r.type === 'SCALAR' && r.scalar) this.scalars.push({ tpl: template(r, allocation), left: r.scalar.value });
      if (r.type === 'RANGES' && r.ranges) {
        const free = (r.ranges.range ?? []).map((x) => ({ begin: toNumber(x.begin), end: toNumber(x.end) }));
        this.ranges.push({ tpl: template(r, allocation), free });
      }
    }
  }

  /** Take `amount` of scalar `name`, possibly from several offered pieces. */
  takeScalar(name: string, amount: number, forWhat: string): Resource[] {
    let need = roundScalar(amount);
    const out: Resource[] = [];
    for (const piece of this.scalars) {
      if (need <= 0) break;
      if (piece.tpl.name !== name || piece.left <= 0) continue;
      const take = roundScalar(Math.min(piece.left, need));
      piece.left = roundScalar(piece.left - take);
      need = roundScalar(need - take);
      out.push({ ...piece.tpl, scalar: { value: take } });
    }
    if (need > 0) {
      throw new MesosInsufficientResourcesError(
        `offer ${this.offer.id.value} on ${this.offer.hostname} lacks ${need} ${name} for ${forWhat}`,
      );
    }
    return out;
  }

  /** Take the given port numbers out of the offered port ranges. */
  takePorts(ports: readonly number[], forWhat: string): Resource[] {
    const byPiece = new Map<(typeof this.ranges)[number], number[]>();
    for (const port of ports) {
      const piece = this.ranges.find((p) => p.tpl.name === 'ports' && p.free.some((r) => port >= r.begin && port <= r.end));
      if (!piece) {
        throw new MesosInsufficientResourcesError(
          `offer ${this.offer.id.value} on ${this.offer.hostname} does not offer port ${port} for ${forWhat}`,
        );
      }
      piece.free = piece.free.flatMap((r) =>
        port < r.begin || port > r.end
          ? [r]
          : [
              { begin: r.begin, end: port - 1 },
              { begin: port + 1, end: r.end },
            ].filter((x) => x.begin <= x.end),
      );
      byPiece.set(piece, [...(byPiece.get(piece) ?? []), port]);
    }
    return [...byPiece].map(([piece, taken]) => ({
      ...piece.tpl,
      ranges: { range: taken.sort((a, b) => a - b).map((p) => ({ begin: p, end: p })) },
    }));
  }
}
