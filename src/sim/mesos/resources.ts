/**
 * Resource arithmetic for the simulated master: named scalars (cpus, mem, disk, gpus…) and
 * named ranges (ports). Scalars use Mesos' fixed-point precision of three decimals, so sums
 * and differences never drift (0.1 + 0.2 stays 0.3).
 */

export interface Range {
  begin: number;
  end: number;
}

export interface Res {
  scalars: Record<string, number>;
  ranges: Record<string, Range[]>;
}

export function emptyRes(): Res {
  return { scalars: {}, ranges: {} };
}

function fixed(v: number): number {
  return Math.round(v * 1000) / 1000;
}

export function cloneRes(r: Res): Res {
  const ranges: Record<string, Range[]> = {};
  for (const [k, v] of Object.entries(r.ranges)) ranges[k] = v.map((x) => ({ ...x }));
  return { scalars: { ...r.scalars }, ranges };
}

/** Sort and merge overlapping or adjacent ranges. */
export function normalizeRanges(input: readonly Range[]): Range[] {
  const sorted = input.filter((r) => r.end >= r.begin).sort((a, b) => a.begin - b.begin);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.begin <= last.end + 1) last.end = Math.max(last.end, r.end);
    else out.push({ begin: r.begin, end: r.end });
  }
  return out;
}

function subtractRanges(a: readonly Range[], b: readonly Range[]): Range[] {
  let current = normalizeRanges(a);
  for (const cut of normalizeRanges(b)) {
    const next: Range[] = [];
    for (const r of current) {
      if (cut.end < r.begin || cut.begin > r.end) {
        next.push(r);
        continue;
      }
      if (cut.begin > r.begin) next.push({ begin: r.begin, end: cut.begin - 1 });
      if (cut.end < r.end) next.push({ begin: cut.end + 1, end: r.end });
    }
    current = next;
  }
  return current;
}

function rangesContain(a: readonly Range[], b: readonly Range[]): boolean {
  const have = normalizeRanges(a);
  return normalizeRanges(b).every((need) => have.some((r) => r.begin <= need.begin && need.end <= r.end));
}

function rangeCount(rs: readonly Range[]): number {
  return rs.reduce((n, r) => n + (r.end - r.begin + 1), 0);
}

export function addRes(a: Res, b: Res): Res {
  const out = cloneRes(a);
  for (const [k, v] of Object.entries(b.scalars)) out.scalars[k] = fixed((out.scalars[k] ?? 0) + v);
  for (const [k, v] of Object.entries(b.ranges)) out.ranges[k] = normalizeRanges([...(out.ranges[k] ?? []), ...v]);
  return out;
}

/** a − b, clamped at zero (callers only subtract what they added). */
export function subtractRes(a: Res, b: Res): Res {
  const out = cloneRes(a);
  for (const [k, v] of Object.entries(b.scalars)) {
    const left = fixed((out.scalars[k] ?? 0) - v);
    if (left > 0) out.scalars[k] = left;
    else delete out.scalars[k];
  }
  for (const [k, v] of Object.entries(b.ranges)) {
    const left = subtractRanges(out.ranges[k] ?? [], v);
    if (left.length > 0) out.ranges[k] = left;
    else delete out.ranges[k];
  }
  return out;
}

export function containsRes(have: Res, need: Res): boolean {
  for (const [k, v] of Object.entries(need.scalars)) {
    if (fixed(have.scalars[k] ?? 0) < fixed(v)) return false;
  }
  for (const [k, v] of Object.entries(need.ranges)) {
    if (!rangesContain(have.ranges[k] ?? [], v)) return false;
  }
  return true;
}

export function isEmptyRes(r: Res): boolean {
  return (
    Object.values(r.scalars).every((v) => v <= 0) && Object.values(r.ranges).every((v) => rangeCount(v) === 0)
  );
}

/** Mesos offers nothing smaller than 0.01 cpus or 32 MB of memory (MIN_CPUS / MIN_MEM). */
export function isAllocatable(r: Res): boolean {
  return (r.scalars.cpus ?? 0) >= 0.01 || (r.scalars.mem ?? 0) >= 32;
}

/** Mesos-like text form, e.g. `cpus:1; mem:128; ports:[31000-31001]`, used in validation messages. */
export function formatRes(r: Res): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(r.scalars)) parts.push(`${k}:${v}`);
  for (const [k, v] of Object.entries(r.ranges)) {
    parts.push(`${k}:[${v.map((x) => `${x.begin}-${x.end}`).join(', ')}]`);
  }
  return parts.length > 0 ? parts.join('; ') : '{}';
}

/** Wire form (mesos.proto Resource) of resources, optionally allocated to a role (MULTI_ROLE offers). */
export function resToWire(r: Res, allocationRole?: string): Record<string, unknown>[] {
  const alloc = allocationRole === undefined ? {} : { allocation_info: { role: allocationRole } };
  const out: Record<string, unknown>[] = [];
  for (const [name, value] of Object.entries(r.scalars)) {
    if (value > 0) out.push({ name, type: 'SCALAR', scalar: { value }, role: '*', ...alloc });
  }
  for (const [name, ranges] of Object.entries(r.ranges)) {
    if (ranges.length > 0) out.push({ name, type: 'RANGES', ranges: { range: ranges.map((x) => ({ ...x })) }, role: '*', ...alloc });
  }
  return out;
}

export interface WireResource {
  name: string;
  type: string;
  scalar?: { value: number } | undefined;
  ranges?: { range: Range[] } | undefined;
}

/** Parse wire resources; returns an error string (Mesos-style) for unsupported or malformed ones. */
export function resFromWire(list: readonly WireResource[]): Res | string {
  const out = emptyRes();
  for (const r of list) {
    if (r.type === 'SCALAR') {
      const value = r.scalar?.value;
      if (value === undefined || !Number.isFinite(value) || value < 0) {
        return `Invalid resources: Invalid scalar resource ${r.name}: value must be a non-negative number`;
      }
      out.scalars[r.name] = fixed((out.scalars[r.name] ?? 0) + value);
    } else if (r.type === 'RANGES') {
      const ranges = r.ranges?.range ?? [];
      if (ranges.some((x) => x.begin > x.end)) {
        return `Invalid resources: Invalid ranges resource ${r.name}: begin greater than end`;
      }
      out.ranges[r.name] = normalizeRanges([...(out.ranges[r.name] ?? []), ...ranges]);
    } else {
      return `Invalid resources: resource ${r.name} of type ${r.type} is not supported by the simulator`;
    }
  }
  return out;
}
