import type { SavedFrameworkState } from '../../../machines/framework.types';
import { FRAMEWORK_POD_PREFIX, FRAMEWORK_RECORD_KEY, FrameworkLayout, type FrameworkPodRecord } from '../../state/framework-layout';
import type { ServiceStateStore, Versioned } from '../../state/state-store';
import type { PersistQueue } from '../persist-queue';
import type { StateStore } from './state-store';

/**
 * The supervisor's state in KV (layout 2, src/state/framework-layout.ts): saves go to the head and
 * the per-pod records through the supervisor's persist queue; `flushed('framework')` waits for
 * both. The StateStore it hands the supervisor's effects answers `get('framework')` with the state
 * assembled from one pass over the bucket (layout 1 records too: migrated by the next save).
 */
export class FrameworkState {
  private readonly layout: FrameworkLayout;
  /**
   * The rest of the restore effect's read (its pod records' tasks), served from the same pass. Only
   * within that effect's turn: dropped at the next macrotask, so nothing reads a stale copy later.
   */
  private primed: Map<string, Versioned<unknown>> | undefined;

  constructor(
    private readonly store: ServiceStateStore,
    queue: PersistQueue,
  ) {
    this.layout = new FrameworkLayout(queue);
    queue.group(FRAMEWORK_RECORD_KEY, FRAMEWORK_POD_PREFIX);
  }

  save(saved: SavedFrameworkState): void {
    this.layout.save(saved);
  }

  /** The state was deleted under us (reinstall): the next save writes everything. */
  reset(): void {
    this.layout.reset();
  }

  /** Read the supervisor's state in one pass over the bucket (null: none saved). */
  async read(): Promise<{ saved: SavedFrameworkState | null; entries: Map<string, Versioned<unknown>> }> {
    const entries = await this.store.readAll();
    const pods: [string, FrameworkPodRecord][] = [];
    for (const [key, e] of entries) if (key.startsWith(FRAMEWORK_POD_PREFIX)) pods.push([key, e.value as FrameworkPodRecord]);
    const saved = this.layout.read(entries.get(FRAMEWORK_RECORD_KEY)?.value, pods);
    return { saved, entries };
  }

  /** The StateStore the supervisor's effects get: the store, but `framework` as assembled. */
  effectStore(): StateStore {
    const store = this.store;
    return {
      get: async <T>(key: string): Promise<Versioned<T> | undefined> => {
        if (key === FRAMEWORK_RECORD_KEY) {
          const { saved, entries } = await this.read();
          this.prime(entries);
          const rev = entries.get(FRAMEWORK_RECORD_KEY)?.revision ?? 0;
          return saved ? { value: saved as T, revision: rev } : undefined;
        }
        const cached = this.primed;
        if (cached && key.startsWith('pods.')) return cached.get(key) as Versioned<T> | undefined;
        return store.get<T>(key);
      },
      keys: async (prefix?: string) => {
        const cached = this.primed;
        if (cached && prefix === 'pods.') return [...cached.keys()].filter((k) => k.startsWith(prefix)).sort();
        return store.keys(prefix);
      },
      put: (key, value, expected) => store.put(key, value, expected),
      modify: (key, fn, attempts) => store.modify(key, fn, attempts),
      delete: (key) => store.delete(key),
    };
  }

  private prime(entries: Map<string, Versioned<unknown>>): void {
    this.primed = entries;
    setImmediate(() => {
      if (this.primed === entries) this.primed = undefined;
    });
  }
}
