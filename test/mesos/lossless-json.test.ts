import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJson, stringifyJson } from '../../src/util/lossless-json';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

describe('lossless JSON for Mesos int64 values', () => {
  it('round-trips every int64 exactly, as a bare JSON number', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), (n) => {
        const text = `{"unreachable_time":{"nanoseconds":${n}}}`;
        const parsed = parseJson(text) as { unreachable_time: { nanoseconds: number | bigint } };
        expect(BigInt(parsed.unreachable_time.nanoseconds)).toBe(n);
        expect(stringifyJson(parsed)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps safe integers and doubles as plain numbers', () => {
    const parsed = parseJson('{"port":31000,"timestamp":1700000000.123456,"cpus":0.1}') as Record<string, unknown>;
    expect(parsed).toEqual({ port: 31000, timestamp: 1700000000.123456, cpus: 0.1 });
  });

  it('parses a nanosecond timestamp beyond 2^53 as a bigint without rounding', () => {
    const parsed = parseJson('{"nanoseconds":1700000000123456789}') as { nanoseconds: unknown };
    expect(parsed.nanoseconds).toBe(1700000000123456789n);
  });
});
