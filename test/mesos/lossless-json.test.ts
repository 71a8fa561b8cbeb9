import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJson, parseJsonLossless, stringifyJson } from '../../src/util/lossless-json';

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

  it('reads any JSON text exactly as the lossless parser does (the native fast path changes nothing)', () => {
    // Mesos-like values: ints of every size (int64 and beyond), doubles, digit strings, nesting.
    const number = fc.oneof(
      fc.integer(),
      fc.bigInt({ min: INT64_MIN, max: INT64_MAX }).map((n) => ({ raw: String(n) })),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(9007199254740991, 9007199254740993n, 1e21, 0.1),
    );
    const leaf = fc.oneof(number, fc.string(), fc.stringMatching(/^\d{10,20}$/), fc.boolean(), fc.constant(null));
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value')), fc.dictionary(fc.string(), tie('value'))),
    })).value;
    const text = (v: unknown): string =>
      typeof v === 'bigint' ? String(v)
        : v !== null && typeof v === 'object' && 'raw' in v && Object.keys(v).length === 1 ? String((v as { raw: string }).raw)
        : Array.isArray(v) ? `[${v.map(text).join(',')}]`
        : v !== null && typeof v === 'object' ? `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${text(x)}`).join(',')}}`
        : JSON.stringify(v);
    fc.assert(
      fc.property(json, (v) => {
        const t = text(v);
        expect(parseJson(t)).toEqual(parseJsonLossless(t));
      }),
      { numRuns: 400 },
    );
  });

  it('takes the lossless path for an int64 beyond 2^53 even among thousands of small numbers', () => {
    const offers = Array.from({ length: 2_000 }, (_, i) => `{"id":{"value":"o${i}"},"cpus":${i / 10},"port":${31000 + i}}`);
    const parsed = parseJson(`{"offers":[${offers.join(',')}],"unavailability":{"start":{"nanoseconds":1700000000123456789}}}`) as {
      offers: unknown[]; unavailability: { start: { nanoseconds: unknown } };
    };
    expect(parsed.offers).toHaveLength(2_000);
    expect(parsed.unavailability.start.nanoseconds).toBe(1700000000123456789n);
  });
});
