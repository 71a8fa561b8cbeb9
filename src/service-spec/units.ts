/** Size and duration parsing for spec fields; both return undefined on input they cannot read. */

const SIZE_FACTORS_GIB: Record<string, number> = {
  '': 1,
  k: 1 / (1024 * 1024),
  ki: 1 / (1024 * 1024),
  kib: 1 / (1024 * 1024),
  m: 1 / 1024,
  mi: 1 / 1024,
  mib: 1 / 1024,
  g: 1,
  gi: 1,
  gib: 1,
  t: 1024,
  ti: 1024,
  tib: 1024,
};

/**
 * A volume size in GiB: a bare number means GiB; strings may carry a unit (`512Mi`, `10Gi`, `1T`).
 * Units are binary: Portworx sizes volumes in bytes of powers of two, so `G` is read as GiB.
 */
export function parseSizeGiB(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) ? input : undefined;
  if (typeof input !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(input);
  if (!m) return undefined;
  const factor = SIZE_FACTORS_GIB[(m[2] ?? '').toLowerCase()];
  if (factor === undefined) return undefined;
  return Number(m[1]) * factor;
}

const DURATION_FACTORS_S: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600 };

/** A duration in seconds: a bare number means seconds; strings may say `90s`, `20m`, `1h`. */
export function parseDurationSeconds(input: unknown): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) ? input : undefined;
  if (typeof input !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$/.exec(input);
  if (!m) return undefined;
  const factor = DURATION_FACTORS_S[m[2] ?? ''];
  return factor === undefined ? undefined : Number(m[1]) * factor;
}
