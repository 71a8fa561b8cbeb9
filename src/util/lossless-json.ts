import { parse, stringify, isSafeNumber, type LosslessNumber } from 'lossless-json';

/**
 * Mesos sends int64 values (timestamps in ns, ids) as JSON numbers that can exceed 2^53.
 * Parse them losslessly: safe integers and ordinary floats become numbers, anything that
 * would lose precision becomes a bigint. Stringify writes bigints back as bare JSON numbers.
 */
function reviveNumber(value: string): number | bigint {
  if (isSafeNumber(value)) return Number(value);
  if (/^-?\d+$/.test(value)) return BigInt(value);
  // A float whose decimal form has more digits than a double keeps (e.g. 1.7e9 seconds with
  // microsecond fraction); a double is what Mesos itself uses for these.
  return Number(value);
}

export function parseJson(text: string): unknown {
  return parse(text, undefined, reviveNumber);
}

export function stringifyJson(value: unknown): string {
  const out = stringify(value, (_key, v: unknown) => v, undefined, [
    { test: (v: unknown) => typeof v === 'bigint', stringify: (v: unknown) => String(v) },
  ]);
  if (out === undefined) throw new TypeError('value is not JSON-serialisable');
  return out;
}

export type { LosslessNumber };
