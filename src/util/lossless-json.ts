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

/**
 * Any run of 16 or more digits: an integer that may exceed 2^53 (9007199254740992 has 16 digits),
 * or a float written with more digits than a double keeps. Without one, every number in the text
 * is a safe integer or an ordinary float, which is exactly what the native parser yields, so the
 * lossless parser (about 20x slower: an OFFERS event at 2,000 agents is 2-3 MB) is not needed.
 * A digit run inside a string only sends the text down the lossless path: correct, just slower.
 */
const LONG_DIGIT_RUN = /\d{16}/;

export function parseJson(text: string): unknown {
  if (!LONG_DIGIT_RUN.test(text)) return JSON.parse(text);
  return parse(text, undefined, reviveNumber);
}

/** The lossless parser alone (the reference the fast path is tested against). */
export function parseJsonLossless(text: string): unknown {
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
