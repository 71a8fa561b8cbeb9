import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RecordIODecoder,
  RecordIOError,
  RecordIOTruncatedError,
  encodeRecord,
  recordStrings,
} from '../../src/mesos/recordio';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Split `bytes` at the given cut points (any positions, duplicates allowed). */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.byteLength + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.byteLength]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

/** Characters of every UTF-8 width (1 to 4 bytes), so cuts land inside multi-byte sequences. */
const anyWidthChar = fc
  .oneof(
    fc.integer({ min: 0x00, max: 0x7f }),
    fc.integer({ min: 0x80, max: 0x7ff }),
    fc.integer({ min: 0x800, max: 0xd7ff }),
    fc.integer({ min: 0xe000, max: 0xffff }),
    fc.integer({ min: 0x10000, max: 0x10ffff }),
  )
  .map((c) => String.fromCodePoint(c));

async function* source(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

async function decodeAll(chunks: Uint8Array[]): Promise<string[]> {
  const out: string[] = [];
  for await (const rec of recordStrings(source(chunks))) out.push(rec);
  return out;
}

describe('RecordIO decoding', () => {
  it('decodes any sequence of records, however the bytes are chunked, back to the same strings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ unit: anyWidthChar, maxLength: 40 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        async (records, cuts) => {
          const bytes = concat(records.map((r) => encodeRecord(r)));
          expect(await decodeAll(chunk(bytes, cuts))).toEqual(records);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decodes multi-byte UTF-8 split inside a character, byte by byte', async () => {
    const records = ['{"msg":"héllo wörld ✓ 日本 🚀"}', '', '𝄞'];
    const bytes = concat(records.map((r) => encodeRecord(r)));
    const oneByOne = Array.from(bytes, (b) => Uint8Array.of(b));
    expect(await decodeAll(oneByOne)).toEqual(records);
  });

  it('keeps a U+FEFF that starts a record (it is data, not a byte-order mark)', async () => {
    // Found by the property above (seed 1262385056): TextDecoder drops a leading BOM by default.
    const records = ['\ufeff', '\ufeff{"a":1}'];
    expect(await decodeAll([concat(records.map((r) => encodeRecord(r)))])).toEqual(records);
  });

  it('never crashes on garbage: it yields records or throws only RecordIOError / RecordIOTruncatedError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          // Mostly well-formed prefixes make the decoder go deeper than pure noise does.
          fc.string({ unit: fc.constantFrom('1', '2', '9', '0', '\n', 'a', '{', '\u00e9'), maxLength: 40 }).map((s) =>
            new TextEncoder().encode(s),
          ),
        ),
        fc.array(fc.nat(), { maxLength: 10 }),
        async (bytes, cuts) => {
          try {
            const records = await decodeAll(chunk(bytes, cuts));
            expect(Array.isArray(records)).toBe(true);
          } catch (err) {
            expect(err instanceof RecordIOError || err instanceof RecordIOTruncatedError).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects a non-digit length with RecordIOError and keeps failing afterwards', () => {
    const dec = new RecordIODecoder();
    expect(() => dec.push(new TextEncoder().encode('12x\nabc'))).toThrow(RecordIOError);
    expect(() => dec.push(new TextEncoder().encode('3\nabc'))).toThrow(RecordIOError);
  });

  it('rejects an empty length and a length above the limit', () => {
    expect(() => new RecordIODecoder().push(new TextEncoder().encode('\n'))).toThrow(/empty record length/);
    expect(() => new RecordIODecoder(10).push(new TextEncoder().encode('11\n'))).toThrow(/exceeds the limit/);
    expect(() => new RecordIODecoder().push(new TextEncoder().encode('1234567890123\n'))).toThrow(/too long/);
  });

  it('reports a stream cut inside a record as RecordIOTruncatedError (retryable)', async () => {
    const err = await decodeAll([new TextEncoder().encode('10\nabc')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecordIOTruncatedError);
    expect(err).toMatchObject({ retryable: true, code: 'RECORDIO_TRUNCATED' });
    await expect(decodeAll([new TextEncoder().encode('12')])).rejects.toBeInstanceOf(RecordIOTruncatedError);
  });

  it('rejects a record that is not valid UTF-8 with RecordIOError', async () => {
    await expect(decodeAll([Uint8Array.of(0x32, 0x0a, 0xc3, 0x28)])).rejects.toBeInstanceOf(RecordIOError);
  });
});
