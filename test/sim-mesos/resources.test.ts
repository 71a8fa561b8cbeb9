import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addRes, containsRes, emptyRes, normalizeRanges, resFromWire, subtractRes, type Res } from '../../src/sim/mesos/resources';
import { fastStringify } from '../../src/sim/mesos/fast-json';
import { parseJson } from '../../src/util/lossless-json';

const scalarValue = fc.integer({ min: 0, max: 100_000 }).map((n) => n / 1000);
const range = fc.tuple(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 0, max: 50 })).map(([b, len]) => ({ begin: b, end: b + len }));
const res: fc.Arbitrary<Res> = fc.record({
  scalars: fc.record({ cpus: scalarValue, mem: scalarValue }),
  ranges: fc.record({ ports: fc.array(range, { maxLength: 4 }).map(normalizeRanges) }),
});

describe('simulated resources', () => {
  it('subtracting what was added gives back the original (fixed-point, no drift; ranges disjoint as allocations are)', () => {
    fc.assert(
      fc.property(res, res, (a, raw) => {
        const b: Res = { scalars: raw.scalars, ranges: subtractRes({ scalars: {}, ranges: raw.ranges }, { scalars: {}, ranges: a.ranges }).ranges };
        const back = subtractRes(addRes(a, b), b);
        expect(containsRes(back, a) && containsRes(a, back)).toBe(true);
      }),
    );
  });

  it('a sum contains each part, and a part is never more than the sum', () => {
    fc.assert(
      fc.property(res, res, (a, b) => {
        const sum = addRes(a, b);
        expect(containsRes(sum, a)).toBe(true);
        expect(containsRes(sum, b)).toBe(true);
      }),
    );
  });

  it('normalizes ranges into sorted, disjoint, non-adjacent ranges', () => {
    fc.assert(
      fc.property(fc.array(range, { maxLength: 8 }), (rs) => {
        const n = normalizeRanges(rs);
        for (let i = 1; i < n.length; i++) expect(n[i]!.begin).toBeGreaterThan(n[i - 1]!.end + 1);
        const covered = (x: number): boolean => rs.some((r) => r.begin <= x && x <= r.end);
        for (const r of n) expect(covered(r.begin) && covered(r.end)).toBe(true);
      }),
    );
  });

  it('keeps 0.1 + 0.2 cpus at exactly 0.3', () => {
    const a = resFromWire([{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.1 } }]) as Res;
    const b = resFromWire([{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.2 } }]) as Res;
    expect(addRes(a, b).scalars.cpus).toBe(0.3);
    expect(subtractRes(emptyRes(), a)).toEqual(emptyRes());
  });

  it('rejects SET resources and inverted ranges with a message naming the resource', () => {
    expect(resFromWire([{ name: 'gpus_set', type: 'SET' }])).toMatch(/gpus_set of type SET is not supported/);
    expect(resFromWire([{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 5, end: 1 }] } }])).toMatch(/ports: begin greater than end/);
  });

  it('writes any JSON value, with or without bigints, as the JSON text a bigint-aware stringifier writes', () => {
    const withBigints = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.bigInt(), tie('array'), tie('object')),
      array: fc.array(tie('value'), { maxLength: 4 }),
      object: fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 }),
    })).value;
    const reference = (v: unknown): string =>
      JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `@@${x}@@` : x)).replace(/"@@(-?\d+)@@"/g, '$1');
    fc.assert(
      fc.property(withBigints, (v) => {
        expect(fastStringify(v)).toBe(reference(v));
      }),
    );
  });

  it('writes bigint nanoseconds as bare JSON numbers that parse back losslessly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), fc.string(), (ns, text) => {
        const back = parseJson(fastStringify({ t: { nanoseconds: ns }, text })) as { t: { nanoseconds: bigint | number }; text: string };
        expect(BigInt(back.t.nanoseconds)).toBe(ns);
        expect(back.text).toBe(text);
      }),
    );
  });
});
