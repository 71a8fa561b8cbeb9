import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonLineDecoder, JsonLineSyntaxError } from '../../src/portworx';
import { parseJson } from '../../src/util/lossless-json';

/** Split bytes at the given cut points (sorted, deduplicated, within range). */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

function decodeAll(chunks: Uint8Array[]): unknown[] {
  const d = new JsonLineDecoder();
  const out: unknown[] = [];
  for (const c of chunks) out.push(...d.push(c));
  out.push(...d.end());
  return out;
}

const jsonValue = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

describe('JsonLineDecoder', () => {
  it('yields the same values for any chunking of the stream, including inside UTF-8 characters', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ result: fc.record({ alerts: fc.array(fc.record({ id: fc.string(), message: fc.string({ unit: 'grapheme' }) })) }) }),
          { maxLength: 8 },
        ),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.boolean(),
        (values, cuts, trailingNewline) => {
          const text = values.map((v) => JSON.stringify(v)).join('\n') + (trailingNewline ? '\n' : '');
          const bytes = new TextEncoder().encode(text);
          expect(decodeAll(chunk(bytes, cuts))).toEqual(values);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('yields the same values for any chunking of arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.array(jsonValue, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), (values, cuts) => {
        const lines = values.map((v) => JSON.stringify(v));
        const bytes = new TextEncoder().encode(lines.map((l) => l + '\n').join(''));
        // The oracle parses each whole line the same lossless way (unsafe integers become bigints).
        expect(decodeAll(chunk(bytes, cuts))).toEqual(lines.map((l) => parseJson(l)));
      }),
      { numRuns: 200 },
    );
  });

  it('ignores blank lines and CRLF line ends', () => {
    expect(decodeAll([new TextEncoder().encode('{"a":1}\r\n\r\n\n{"b":2}\r\n')])).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('fails on a line that is not JSON, quoting it', () => {
    const d = new JsonLineDecoder();
    expect(() => d.push('{"ok":true}\nnot json\n')).toThrow(JsonLineSyntaxError);
    expect(() => new JsonLineDecoder().push('oops\n')).toThrow(/oops/);
  });

  it('keeps int64 values beyond 2^53 exact', () => {
    const [v] = decodeAll([new TextEncoder().encode('{"n":12345678901234567890}\n')]);
    expect(v).toEqual({ n: 12345678901234567890n });
  });
});
