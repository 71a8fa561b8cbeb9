import { parseJson } from '../util/lossless-json';

/** A line of a newline-separated JSON stream that is not JSON. */
export class JsonLineSyntaxError extends Error {
  constructor(
    readonly line: string,
    options?: { cause?: unknown },
  ) {
    super(`stream line is not JSON: ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`, options);
    this.name = 'JsonLineSyntaxError';
  }
}

/**
 * Incremental decoder for newline-separated JSON (how grpc-gateway writes a server stream).
 * Network chunks split anywhere — inside a line and inside a multi-byte UTF-8 character — so
 * bytes are decoded in streaming mode and only complete lines are parsed. Blank lines and a
 * trailing CR are ignored.
 */
export class JsonLineDecoder {
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });
  private pending = '';

  /** Feed one chunk; returns the values of every line it completed. */
  push(chunk: Uint8Array | string): unknown[] {
    this.pending += typeof chunk === 'string' ? chunk : this.utf8.decode(chunk, { stream: true });
    const out: unknown[] = [];
    let nl = this.pending.indexOf('\n');
    while (nl >= 0) {
      this.take(this.pending.slice(0, nl), out);
      this.pending = this.pending.slice(nl + 1);
      nl = this.pending.indexOf('\n');
    }
    return out;
  }

  /** The stream ended: parse a last line that had no newline. */
  end(): unknown[] {
    this.pending += this.utf8.decode();
    const rest = this.pending;
    this.pending = '';
    const out: unknown[] = [];
    this.take(rest, out);
    return out;
  }

  private take(raw: string, out: unknown[]): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    try {
      out.push(parseJson(line));
    } catch (err) {
      throw new JsonLineSyntaxError(line, { cause: err });
    }
  }
}
