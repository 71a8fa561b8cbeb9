import { PxfwError } from '../errors';

/**
 * RecordIO framing as used by the Mesos v1 streaming APIs: `<decimal byte length>\n<bytes>`.
 * The decoder works on bytes, so a chunk boundary may fall anywhere, including inside the
 * length prefix or a multi-byte UTF-8 character; text is decoded only from complete records.
 */

export class RecordIOError extends PxfwError {
  readonly code = 'RECORDIO_MALFORMED';
  readonly retryable = false;
}

export class RecordIOTruncatedError extends PxfwError {
  readonly code = 'RECORDIO_TRUNCATED';
  // The stream broke mid-record; reconnecting yields a fresh, well-formed stream.
  readonly retryable = true;
}

/** Longest length prefix accepted: 19 digits is beyond any real Mesos record. */
const MAX_LENGTH_DIGITS = 12;
/** Largest record accepted (Mesos masters send far smaller events). */
export const DEFAULT_MAX_RECORD_BYTES = 256 * 1024 * 1024;
const NEWLINE = 0x0a;

const encoder = new TextEncoder();

export function encodeRecord(record: string | Uint8Array): Uint8Array {
  const body = typeof record === 'string' ? encoder.encode(record) : record;
  const prefix = encoder.encode(`${body.byteLength}\n`);
  const out = new Uint8Array(prefix.byteLength + body.byteLength);
  out.set(prefix, 0);
  out.set(body, prefix.byteLength);
  return out;
}

export class RecordIODecoder {
  private buffered: Uint8Array[] = [];
  private bufferedBytes = 0;
  private lengthDigits = '';
  private expected: number | undefined;
  private failed: RecordIOError | undefined;

  constructor(private readonly maxRecordBytes = DEFAULT_MAX_RECORD_BYTES) {}

  /** Feed bytes; returns every record completed by them. Throws RecordIOError on bad framing. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failed) throw this.failed;
    const records: Uint8Array[] = [];
    let pos = 0;
    while (pos < chunk.byteLength) {
      if (this.expected === undefined) {
        pos = this.readLength(chunk, pos);
        if (this.expected === 0) {
          records.push(new Uint8Array(0));
          this.expected = undefined;
        }
        continue;
      }
      const need = this.expected - this.bufferedBytes;
      const take = Math.min(need, chunk.byteLength - pos);
      this.buffered.push(chunk.subarray(pos, pos + take));
      this.bufferedBytes += take;
      pos += take;
      if (this.bufferedBytes === this.expected) {
        records.push(concat(this.buffered, this.bufferedBytes));
        this.buffered = [];
        this.bufferedBytes = 0;
        this.expected = undefined;
      }
    }
    return records;
  }

  /** Call at end of stream: a partial record means the stream was cut. */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.expected !== undefined || this.lengthDigits !== '') {
      throw new RecordIOTruncatedError(
        `stream ended inside a record (${this.bufferedBytes} of ${this.expected ?? '?'} bytes)`,
      );
    }
  }

  private readLength(chunk: Uint8Array, start: number): number {
    let pos = start;
    while (pos < chunk.byteLength) {
      const byte = chunk[pos++]!;
      if (byte === NEWLINE) {
        if (this.lengthDigits === '') this.fail('empty record length');
        const length = Number(this.lengthDigits);
        if (length > this.maxRecordBytes) {
          this.fail(`record length ${length} exceeds the limit of ${this.maxRecordBytes} bytes`);
        }
        this.lengthDigits = '';
        this.expected = length;
        return pos;
      }
      if (byte < 0x30 || byte > 0x39) {
        this.fail(`unexpected byte 0x${byte.toString(16).padStart(2, '0')} in record length`);
      }
      if (this.lengthDigits.length >= MAX_LENGTH_DIGITS) this.fail('record length prefix too long');
      this.lengthDigits += String.fromCharCode(byte);
    }
    return pos;
  }

  private fail(message: string): never {
    this.failed = new RecordIOError(message);
    throw this.failed;
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!.slice();
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

// ignoreBOM keeps a U+FEFF that starts a record: it is data, not a byte-order mark.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decode records from an async byte stream (e.g. an HTTP response body) as UTF-8 strings. */
export async function* recordStrings(
  source: AsyncIterable<Uint8Array | string>,
  maxRecordBytes?: number,
): AsyncGenerator<string> {
  const rio = new RecordIODecoder(maxRecordBytes);
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    for (const rec of rio.push(bytes)) {
      try {
        yield decoder.decode(rec);
      } catch (cause) {
        throw new RecordIOError('record is not valid UTF-8', { cause });
      }
    }
  }
  rio.end();
}
