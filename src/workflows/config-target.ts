import { z } from 'zod';
import type { PlanStore } from './workflow-runner';
import { configId, isIdOf } from './config-id';

/**
 * Configurations by id and the target: `configs.<id>` holds a validated spec's YAML, and
 * `config.target` names the one the service converges to, with the ids it replaced (most recent
 * last) for `config rollback`. The target is written before any pod restarts; a scheduler that
 * starts reads it and adopts that spec, whatever file it was started with (but a third one).
 */
export const CONFIG_TARGET_KEY = 'config.target';
export const configKey = (id: string) => `configs.${id}`;
/** Rollbacks possible; the spec a scheduler was deployed with stays adoptable as long as it is listed. */
const HISTORY = 50;

const targetSchema = z.object({ id: z.string(), history: z.array(z.string()), updatedAt: z.string() });
export type ConfigTargetRecord = z.infer<typeof targetSchema>;
const configSchema = z.object({ id: z.string(), yaml: z.string(), storedAt: z.string() });
export type StoredConfig = z.infer<typeof configSchema>;

export interface ConfigTargetPort {
  store: PlanStore;
  now?: () => Date;
}

export class ConfigTargets {
  private target: ConfigTargetRecord | undefined;
  private revision = 0;

  constructor(private readonly deps: ConfigTargetPort) {}

  /** The target id as last read or written (undefined: no `config update` was ever made). */
  get targetId(): string | undefined {
    return this.target?.id;
  }

  /** The id the target replaced: what `config rollback` goes back to. */
  get previousId(): string | undefined {
    return this.target?.history.at(-1);
  }

  async read(): Promise<ConfigTargetRecord | undefined> {
    const got = await this.deps.store.get<unknown>(CONFIG_TARGET_KEY);
    this.revision = got?.revision ?? 0;
    this.target = got ? targetSchema.parse(got.value) : undefined;
    return this.target;
  }

  async config(id: string): Promise<StoredConfig | undefined> {
    const got = await this.deps.store.get<unknown>(configKey(id));
    return got ? configSchema.parse(got.value) : undefined;
  }

  /** Store a spec under its id (once: the same YAML has the same id). */
  async storeConfig(yaml: string): Promise<string> {
    const id = configId(yaml);
    if (await this.config(id)) return id;
    const record: StoredConfig = { id, yaml, storedAt: this.now().toISOString() };
    try {
      await this.deps.store.put(configKey(id), record, 0);
    } catch (err) {
      // Stored meanwhile by another writer: same id, same YAML.
      if (!(await this.config(id))) throw err;
    }
    return id;
  }

  /**
   * Make `id` the target. `from` is the id it replaces (pushed to the history); a rollback passes
   * `rollback` so the id it leaves is not pushed and the one it returns to is popped.
   */
  async setTarget(id: string, from: string, rollback = false): Promise<ConfigTargetRecord> {
    await this.read();
    const history = [...(this.target?.history ?? [])];
    if (rollback) {
      if (history.at(-1) === id) history.pop();
    } else if (from !== id && history.at(-1) !== from) history.push(from);
    const next: ConfigTargetRecord = { id, history: history.slice(-HISTORY), updatedAt: this.now().toISOString() };
    this.revision = await this.deps.store.put(CONFIG_TARGET_KEY, next, this.revision);
    this.target = next;
    return next;
  }

  /**
   * A target written when ids hashed the raw YAML, for the configuration `yaml` (the one adopted):
   * rewrite it under canonical ids (each configuration also stored under its canonical id, the
   * YAML as it was given), so every later comparison sees one id per configuration. Returns the
   * legacy id it replaced (undefined: nothing to migrate).
   */
  async migrateLegacy(yaml: string): Promise<string | undefined> {
    const target = await this.read();
    const id = configId(yaml);
    if (!target || target.id === id || !isIdOf(target.id, yaml)) return undefined;
    await this.storeConfig(yaml);
    const history: string[] = [];
    for (const h of target.history) {
      const stored = await this.config(h);
      history.push(stored && !isIdOf(h, stored.yaml) ? h : stored ? await this.storeConfig(stored.yaml) : h);
    }
    const next: ConfigTargetRecord = { id, history, updatedAt: target.updatedAt };
    this.revision = await this.deps.store.put(CONFIG_TARGET_KEY, next, this.revision);
    this.target = next;
    return target.id;
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}
