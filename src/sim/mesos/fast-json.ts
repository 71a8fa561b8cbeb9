import { randomUUID } from 'node:crypto';

/**
 * JSON text of the simulator's own wire objects, with bigint values (int64 nanoseconds beyond
 * 2^53) written as bare JSON numbers. Uses the native JSON.stringify: the lossless-json
 * stringifier is an order of magnitude slower, which matters for 10,000-task responses.
 */
const MARK = `__bigint_${randomUUID().replace(/-/g, '')}__`;
const MARKED = new RegExp(`"${MARK}(-?\\d+)"`, 'g');

export function fastStringify(value: unknown): string {
  let sawBigint = false;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'bigint') return v;
    sawBigint = true;
    return `${MARK}${v.toString()}`;
  });
  if (text === undefined) throw new TypeError('value is not JSON-serialisable');
  return sawBigint ? text.replace(MARKED, '$1') : text;
}
