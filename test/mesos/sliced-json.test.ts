import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonInSlices, PARSE_SLICE_CHARS } from '../../src/util/sliced-json';
import { WorkBudget } from '../../src/util/work-budget';
import { parseJson, parseJsonLossless } from '../../src/util/lossless-json';
import { offersEventText } from './helpers/offers-event';

/** A budget that counts only units: the clock stands still, so no spec depends on the machine's speed. */
const counting = (maxUnits: number): WorkBudget => new WorkBudget({ maxUnits, sliceMs: Infinity, now: () => 0 });
/** Slices every text and makes every container bigger than `leaf` chars a hand-assembled one. */
const tiny = (leafMaxChars: number) => ({ minChars: 0, leafMaxChars });

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const number = fc.oneof(
  fc.integer(),
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }).map((n) => ({ raw: String(n) })),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(9007199254740993n, 1e21, 0.1, -0),
);
const leaf = fc.oneof(number, fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('\\"', '"\\\\', '__proto__'), fc.boolean(), fc.constant(null));
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value')), fc.dictionary(fc.string(), tie('value'))),
})).value;
/** JSON text of a generated value, with optional whitespace between tokens. */
const textOf = (v: unknown, ws: string): string =>
  typeof v === 'bigint' ? String(v)
    : v !== null && typeof v === 'object' && 'raw' in v && Object.keys(v).length === 1 ? String((v as { raw: string }).raw)
    : Array.isArray(v) ? `[${ws}${v.map((x) => textOf(x, ws)).join(`${ws},${ws}`)}${ws}]`
    : v !== null && typeof v === 'object' ? `{${ws}${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}${ws}:${ws}${textOf(x, ws)}`).join(`${ws},`)}${ws}}`
    : JSON.stringify(v);

async function outcome(run: () => unknown): Promise<{ ok: true; value: unknown } | { ok: false }> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    expect(err).toBeInstanceOf(SyntaxError);
    return { ok: false };
  }
}

describe('JSON parsed in slices (the big records of the Mesos event streams)', () => {
  it('reads any JSON text exactly as parseJson does, int64 values beyond 2^53 as bigints', async () => {
    await fc.assert(
      fc.asyncProperty(jsonValue, fc.constantFrom('', ' ', '\n\t'), fc.nat({ max: 40 }), async (v, ws, leafMax) => {
        const text = `${ws}${textOf(v, ws)}${ws}`;
        expect(await parseJsonInSlices(text, counting(16), tiny(leafMax))).toEqual(parseJsonLossless(text));
      }),
      { numRuns: 600 },
    );
  });

  it('rejects exactly the texts JSON.parse rejects (a SyntaxError), however they are cut', async () => {
    const junk = fc.constantFrom('', ',', '}', ']', '{', '[', '"', ':', 'x', ' 1', '\\');
    const mutated = fc.tuple(jsonValue, fc.nat(), junk, fc.boolean()).map(([v, at, extra, insert]) => {
      const t = textOf(v, '');
      const i = at % (t.length + 1);
      return insert ? t.slice(0, i) + extra + t.slice(i) : t.slice(0, i) + t.slice(i + 1);
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, fc.string()), fc.nat({ max: 30 }), async (text, leafMax) => {
        const native = await outcome(() => JSON.parse(text));
        const sliced = await outcome(() => parseJsonInSlices(text, counting(8), tiny(leafMax)));
        expect(sliced.ok).toBe(native.ok);
      }),
      { numRuns: 1_500 },
    );
  });

  it('keeps a __proto__ member an own property, as JSON.parse does', async () => {
    const text = '{"__proto__":{"polluted":true},"big":[1,2,3,4,5,6,7,8,9,10]}';
    const parsed = (await parseJsonInSlices(text, counting(4), tiny(0))) as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(['__proto__', 'big']);
    expect(parsed).toEqual(JSON.parse(text));
  });

  it('cuts a 2,000-offer OFFERS event into slices of at most the budget (plus one offer), never one long task', async () => {
    const text = offersEventText(2_000);
    expect(text.length).toBeGreaterThan(1_000_000);
    const budget = counting(PARSE_SLICE_CHARS);
    const parsed = await parseJsonInSlices(text, budget);
    expect(parsed).toEqual(JSON.parse(text));
    // Scanned once and parsed once: about 2 x 1.7 MB of units, 128 K per slice.
    expect(budget.slices).toBeGreaterThanOrEqual(Math.floor((2 * text.length) / PARSE_SLICE_CHARS));
    expect(budget.largestSliceUnits).toBeLessThanOrEqual(PARSE_SLICE_CHARS + 16 * 1024);
  });

  it('keeps an int64 beyond 2^53 exact in a big event, and the offers around it plain numbers', async () => {
    const text = offersEventText(2_000, { unavailability: '{"start":{"nanoseconds":1796676372945123456}}', at: 1_234 });
    const parsed = (await parseJsonInSlices(text)) as { offers: { offers: { unavailability?: { start: { nanoseconds: unknown } }; resources: { scalar?: { value: unknown } }[] }[] } };
    const offers = parsed.offers.offers;
    expect(offers[1_234]!.unavailability!.start.nanoseconds).toBe(1796676372945123456n);
    expect(offers[1_233]!.resources[0]!.scalar!.value).toBe(16);
    expect(offers[1_234]!.resources[0]!.scalar!.value).toBe(16);
    expect(parsed).toEqual(parseJson(text));
  });
});
