import type { CreateVolumeInput } from '../../portworx';

/**
 * The pxd `driver_options` of a DOCKER_VOLUME read as OpenStorage's Docker plugin reads them
 * (api/spec/spec_handler.go UpdateSpecFromOpts over DefaultSpec; sizes by pkg/units Parse). The
 * simulated isolator creates a missing volume from them, as `dvdcli mount` makes the driver do.
 */

const KiB = 1024;
const MiB = KiB * 1024;
const GiB = MiB * 1024;
const TiB = GiB * 1024;
const PiB = TiB * 1024;
const UNIT_BYTES: Record<string, number> = {
  B: 1, b: 1,
  K: KiB, k: KiB, KB: KiB, kb: KiB, KiB,
  M: MiB, m: MiB, MB: MiB, mb: MiB, MiB, Mi: MiB,
  G: GiB, g: GiB, GB: GiB, gb: GiB, GiB, Gi: GiB,
  T: TiB, t: TiB, TB: TiB, tb: TiB, TiB, Ti: TiB,
  P: PiB, p: PiB, PB: PiB, pb: PiB, PiB, Pi: PiB,
};

/**
 * pkg/units Parse: digits, any fraction ignored (only the integer part counts: "0.5" is 0), an
 * optional binary unit; no unit means GiB. Undefined where Parse returns an error.
 */
export function parsePxdSize(value: string): bigint | undefined {
  const m = /^([0-9]+)((?:.[0-9]+)*)\s*(KiB|MiB|GiB|TiB|PiB|KB|kb|MB|mb|GB|gb|TB|tb|PB|pb|Mi|Gi|Ti|Pi|[BbKkMmGgTtPp]|)$/.exec(value.trim());
  if (!m) return undefined;
  return BigInt(m[1]!) * BigInt(UNIT_BYTES[m[3]!] ?? GiB);
}

/** strconv.ParseBool. */
function parseBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

const COS: Record<string, 'HIGH' | 'MEDIUM' | 'LOW'> = { high: 'HIGH', '3': 'HIGH', medium: 'MEDIUM', '2': 'MEDIUM', low: 'LOW', '1': 'LOW', '': 'LOW' };

export interface PxdRequest {
  /** Bytes, as the SDK compares it with an existing volume (0 when no size was given). */
  size: bigint;
  shared: boolean;
  /** What the driver would create when the volume is missing. */
  create: CreateVolumeInput['spec'];
}

/** The request the driver makes of `options`, or the error text the plugin answers. */
export function pxdRequest(options: Record<string, string>): PxdRequest | { error: string } {
  const size = options.size === undefined ? 0n : parsePxdSize(options.size);
  if (size === undefined) return { error: `Unit parse error: ${options.size}` };
  const shared = options.shared === undefined ? false : parseBool(options.shared);
  if (shared === undefined) return { error: `strconv.ParseBool: parsing "${options.shared}": invalid syntax` };
  if (options.repl !== undefined && !/^[+-]?\d+$/.test(options.repl)) return { error: `incorrect ha level (${options.repl}) provided` };
  const repl = options.repl === undefined ? 1 : Number(options.repl);
  const priority = options.io_priority ?? options.priority_io;
  const cos = priority === undefined ? undefined : COS[priority.toLowerCase()];
  if (priority !== undefined && cos === undefined) return { error: 'Cos must be one of "high" | "medium" | "low"' };
  const fs = (options.fs ?? 'ext4').toUpperCase();
  const create: CreateVolumeInput['spec'] = {
    size,
    ha_level: repl,
    format: `FS_TYPE_${fs}` as never,
    ...(cos ? { cos } : {}),
    ...(options.io_profile ? { io_profile: `IO_PROFILE_${options.io_profile.toUpperCase()}` as never } : {}),
    ...(shared ? { shared: true } : {}),
    ...(options.secure === 'true' || options.secret_key ? { encrypted: true } : {}),
  };
  return { size, shared, create };
}
