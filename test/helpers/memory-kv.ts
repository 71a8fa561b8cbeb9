import type { ServiceStateStore } from '../../src/state/state-store';

/**
 * A state store in a Map, for specs and benches about something other than NATS: keys, get,
 * put (revisions count up; values kept as given, or cloned as KV would), delete, and a count of
 * puts per key.
 */
export class MemoryKv {
  readonly data = new Map<string, { value: unknown; revision: number }>();
  readonly puts = new Map<string, number>();
  private rev = 0;

  constructor(private readonly opts: { clone?: boolean } = {}) {}

  async keys(prefix = ''): Promise<string[]> {
    return [...this.data.keys()].filter((k) => k.startsWith(prefix));
  }
  async get(key: string) {
    return this.data.get(key);
  }
  async put(key: string, value: unknown): Promise<number> {
    this.puts.set(key, (this.puts.get(key) ?? 0) + 1);
    this.data.set(key, { value: this.opts.clone === false ? value : structuredClone(value), revision: ++this.rev });
    return this.rev;
  }
  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }
  totalPuts(): number {
    let n = 0;
    for (const c of this.puts.values()) n += c;
    return n;
  }
  asStore(): ServiceStateStore {
    return this as unknown as ServiceStateStore;
  }
}

/** A store whose values are kept as given (no copy): rounds of thousands of pods stay cheap. */
export function memoryStore(): ServiceStateStore {
  return new MemoryKv({ clone: false }).asStore();
}

/**
 * Keys with compare-and-set, as the plans' store (PlanStore) is used: a put whose expected revision
 * is not the key's current one fails with code STATE_CONFLICT, as ServiceStateStore's does.
 */
export class CasKv {
  readonly data = new Map<string, { value: unknown; revision: number }>();
  async get<T>(key: string) {
    return this.data.get(key) as { value: T; revision: number } | undefined;
  }
  async put<T>(key: string, value: T, expected: number): Promise<number> {
    const cur = this.data.get(key)?.revision ?? 0;
    if (cur !== expected) throw Object.assign(new Error('conflict'), { code: 'STATE_CONFLICT' });
    this.data.set(key, { value: structuredClone(value), revision: cur + 1 });
    return cur + 1;
  }
}
