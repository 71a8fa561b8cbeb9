import { parseJson } from './lossless-json';
import { WorkBudget } from './work-budget';

/**
 * JSON parsed a slice at a time, for the big records of the Mesos event streams: one OFFERS event
 * at 2,000 agents is ~1.7 MB, which JSON.parse turns into some 50,000 objects in one task (15 ms and
 * more, plus the scavenges it triggers, on a loaded machine). Here a scanner finds the text's
 * structure in slices; every value under LEAF_MAX_CHARS (an offer, a task) is parsed on its own
 * by `parseJson` (native, or lossless where it holds a long digit run), and only the few big
 * containers around them (the event, its offer list) are assembled by hand. The result is the
 * value `parseJson` would return for the whole text; invalid JSON throws a SyntaxError.
 */

/** Below this, a record is parsed in one go: the slicing is not worth it (an UPDATE is ~1 KB). */
export const SLICED_PARSE_MIN_CHARS = 64 * 1024;
/** A value this long or shorter is parsed in one JSON.parse call (a 2,000-agent offer is ~850 chars). */
export const LEAF_MAX_CHARS = 16 * 1024;
/** Characters scanned, or parsed, between two looks at the budget. */
const SCAN_CHUNK_CHARS = 8 * 1024;

/** The default cap on characters per slice: ~1 ms of native parsing, a few of scanning. */
export const PARSE_SLICE_CHARS = 128 * 1024;

/** Where slicing starts and what counts as a leaf (specs shrink both to slice small texts). */
export interface SliceLimits {
  minChars: number;
  leafMaxChars: number;
}
const DEFAULT_LIMITS: SliceLimits = { minChars: SLICED_PARSE_MIN_CHARS, leafMaxChars: LEAF_MAX_CHARS };

export async function parseJsonInSlices(
  text: string,
  budget = new WorkBudget({ maxUnits: PARSE_SLICE_CHARS }),
  limits: SliceLimits = DEFAULT_LIMITS,
): Promise<unknown> {
  if (text.length < limits.minChars) return parseJson(text);
  const scan = new StructureScanner(text, limits.leafMaxChars);
  while (!scan.finished) {
    const from = scan.pos;
    scan.run(from + SCAN_CHUNK_CHARS);
    await budget.step(scan.pos - from);
  }
  return assemble(text, scan, budget);
}

/** A child of a big container: a leaf span of the text, or a big container itself (ref >= 0). */
const TUPLE = 5; // ref, start, end, keyStart, keyEnd
interface Composite {
  isObject: boolean;
  children: number[];
}

// What the scanner expects next.
const VALUE = 0;
const VALUE_OR_END = 1;
const KEY_OR_END = 2;
const KEY = 3;
const COLON = 4;
const COMMA_OR_END = 5;
const DONE = 6;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
/** Where a number or literal ends. */
const isDelimiter = (c: number): boolean => isSpace(c) || c === 0x2c || c === 0x5d || c === 0x7d;

/**
 * Finds the spans of the text's values, resumably (`run` up to a position). Strict about the
 * structure it keeps (the big containers); what is inside a leaf span JSON.parse checks.
 */
class StructureScanner {
  pos = 0;
  private state = VALUE;
  /** Per open container, by depth: is it an object, where it starts, where its children start in `spans`. */
  private readonly isObject: boolean[] = [];
  private readonly starts: number[] = [];
  private readonly bases: number[] = [];
  private readonly keyStarts: number[] = [];
  private readonly keyEnds: number[] = [];
  private depth = 0;
  private keyStart = -1;
  private keyEnd = -1;
  /** Children of the open containers, TUPLE numbers each (dropped when a container closes small). */
  private readonly spans: number[] = [];
  readonly composites: Composite[] = [];
  /** The whole text's value: a composite (>= 0) or the leaf span [rootStart, rootEnd). */
  rootRef = -1;
  rootStart = 0;
  rootEnd = 0;

  constructor(
    private readonly text: string,
    private readonly leafMaxChars: number,
  ) {}

  get finished(): boolean {
    return this.state === DONE && this.pos >= this.text.length;
  }

  run(limit: number): void {
    const text = this.text;
    const end = Math.min(limit, text.length);
    while (this.pos < end) {
      const c = text.charCodeAt(this.pos);
      if (isSpace(c)) {
        this.pos++;
        continue;
      }
      this.token(c);
    }
    if (this.pos >= text.length && this.state !== DONE) throw new SyntaxError('Unexpected end of JSON input');
  }

  private token(c: number): void {
    const at = this.pos;
    switch (this.state) {
      case VALUE:
      case VALUE_OR_END:
        if (c === 0x5d && this.state === VALUE_OR_END) return this.close(false);
        return this.value(c);
      case KEY_OR_END:
      case KEY:
        if (c === 0x7d && this.state === KEY_OR_END) return this.close(true);
        if (c !== QUOTE) return this.unexpected(at);
        this.keyStart = at;
        this.keyEnd = this.pos = this.stringEnd(at);
        this.state = COLON;
        return;
      case COLON:
        if (c !== 0x3a) return this.unexpected(at);
        this.pos++;
        this.state = VALUE;
        return;
      case COMMA_OR_END: {
        const inObject = this.isObject[this.depth - 1]!;
        if (c === 0x2c) {
          this.pos++;
          this.state = inObject ? KEY : VALUE;
          return;
        }
        if (c === (inObject ? 0x7d : 0x5d)) return this.close(inObject);
        return this.unexpected(at);
      }
      default:
        return this.unexpected(at);
    }
  }

  private value(c: number): void {
    const at = this.pos;
    if (c === 0x7b || c === 0x5b) {
      const end = this.smallContainerEnd(at);
      if (end > 0) {
        this.pos = end;
        return this.child(-1, at, end);
      }
      const d = this.depth++;
      this.isObject[d] = c === 0x7b;
      this.starts[d] = at;
      this.bases[d] = this.spans.length;
      // The member key this container is the value of: inner keys overwrite keyStart before it closes.
      this.keyStarts[d] = this.keyStart;
      this.keyEnds[d] = this.keyEnd;
      this.pos++;
      this.state = c === 0x7b ? KEY_OR_END : VALUE_OR_END;
      return;
    }
    if (c === QUOTE) {
      this.pos = this.stringEnd(at);
    } else {
      let p = at + 1;
      while (p < this.text.length && !isDelimiter(this.text.charCodeAt(p))) p++;
      this.pos = p;
    }
    this.child(-1, at, this.pos);
  }

  private close(isObject: boolean): void {
    const d = --this.depth;
    const start = this.starts[d]!;
    const end = ++this.pos;
    const base = this.bases[d]!;
    let ref = -1;
    if (end - start > this.leafMaxChars) {
      ref = this.composites.length;
      this.composites.push({ isObject, children: this.spans.slice(base) });
    }
    this.spans.length = base;
    this.child(ref, start, end, this.keyStarts[d]!, this.keyEnds[d]!);
  }

  private child(ref: number, start: number, end: number, keyStart = this.keyStart, keyEnd = this.keyEnd): void {
    if (this.depth === 0) {
      this.rootRef = ref;
      this.rootStart = start;
      this.rootEnd = end;
      this.state = DONE;
      return;
    }
    this.spans.push(ref, start, end, keyStart, keyEnd);
    this.state = COMMA_OR_END;
  }

  /**
   * Index just past the container that opens at `at` if it closes within leafMaxChars, else -1.
   * Brackets only are counted, strings skipped: most of the text is small containers (offers,
   * their resources), and this pass is several times quicker than the structural one. Whether
   * the brackets match and what lies between them, JSON.parse of the leaf checks.
   */
  private smallContainerEnd(at: number): number {
    const text = this.text;
    const limit = Math.min(text.length, at + this.leafMaxChars);
    let depth = 0;
    for (let p = at; p < limit; p++) {
      const c = text.charCodeAt(p);
      if (c === QUOTE) p = this.stringEnd(p) - 1;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if ((c === 0x7d || c === 0x5d) && --depth === 0) return p + 1;
    }
    return -1;
  }

  /** Index just past the string that opens at `at` (a quote not escaped by an odd run of backslashes). */
  private stringEnd(at: number): number {
    let q = at;
    for (;;) {
      q = this.text.indexOf('"', q + 1);
      if (q < 0) throw new SyntaxError(`Unterminated string in JSON at position ${at}`);
      let slashes = 0;
      while (this.text.charCodeAt(q - 1 - slashes) === BACKSLASH) slashes++;
      if (slashes % 2 === 0) return q + 1;
    }
  }

  private unexpected(at: number): never {
    throw new SyntaxError(`Unexpected token '${this.text[at]}' in JSON at position ${at}`);
  }
}

/** Build the big containers bottom-up (children close first), parsing their leaves in slices. */
async function assemble(text: string, scan: StructureScanner, budget: WorkBudget): Promise<unknown> {
  if (scan.rootRef < 0) return parseJson(text.slice(scan.rootStart, scan.rootEnd));
  const built: unknown[] = [];
  for (const composite of scan.composites) {
    const out: unknown[] | Record<string, unknown> = composite.isObject ? {} : [];
    const kids = composite.children;
    let done = 0;
    for (let i = 0; i < kids.length; i += TUPLE) {
      const [ref, start, end, ks, ke] = [kids[i]!, kids[i + 1]!, kids[i + 2]!, kids[i + 3]!, kids[i + 4]!];
      const value = ref >= 0 ? built[ref] : parseJson(text.slice(start, end));
      if (composite.isObject) setMember(out as Record<string, unknown>, JSON.parse(text.slice(ks, ke)) as string, value);
      else (out as unknown[]).push(value);
      // A big container was counted when it was built; here it is only put in place.
      done += ref >= 0 ? 1 : end - start;
      if (done >= SCAN_CHUNK_CHARS) {
        await budget.step(done);
        done = 0;
      }
    }
    if (done > 0) budget.spend(done);
    built.push(out);
  }
  return built[scan.rootRef];
}

/** As JSON.parse sets a member: an own property, `__proto__` included (not the prototype). */
function setMember(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}
