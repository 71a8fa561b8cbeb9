import type { ConfigTargets } from '../workflows/config-target';
import { OperationError } from './errors';

/**
 * `config list`, `config show ID` and `config target` (dcos-commons' config commands) over the
 * stored configurations: `configs.<id>` and `config.target` (src/workflows/config-target.ts).
 */

/** No configuration is stored under that id. */
export class UnknownConfigError extends OperationError {
  readonly code = 'UNKNOWN_CONFIG';
  readonly retryable = false;
  readonly status = 404;
}

export interface ConfigEntryView {
  id: string;
  storedAt: string | null;
  /** The configuration every pod converges to. */
  target: boolean;
}

export interface ConfigListView {
  /** Null: no configuration was ever made the target (the scheduler runs the spec it started with). */
  target: string | null;
  /** Oldest first, the target last: what `config rollback` walks back through. */
  configs: ConfigEntryView[];
}

export interface StoredConfigView {
  id: string;
  yaml: string;
  storedAt: string | null;
  target: boolean;
}

/** The configurations the target remembers (its rollback history) and the target itself. */
export async function configList(targets: ConfigTargets, runningId: string): Promise<ConfigListView> {
  const record = await targets.read();
  const ids = [...new Set([...(record?.history ?? []), record?.id ?? runningId])];
  const target = record?.id ?? runningId;
  const configs: ConfigEntryView[] = [];
  for (const id of ids) {
    const stored = await targets.config(id);
    configs.push({ id, storedAt: stored?.storedAt ?? null, target: id === target });
  }
  return { target: record?.id ?? null, configs };
}

/** One stored configuration by id (a unique prefix of at least 4 hex digits is enough, as with git). */
export async function configById(targets: ConfigTargets, id: string, running: { id: string; yaml: string }): Promise<StoredConfigView> {
  const list = await configList(targets, running.id);
  const matches = list.configs.filter((c) => c.id === id || (id.length >= 4 && c.id.startsWith(id)));
  if (matches.length > 1) throw new UnknownConfigError(`'${id}' names ${matches.length} configurations (${matches.map((c) => c.id).join(', ')}): give more of the id`);
  const full = matches[0]?.id ?? id;
  const stored = await targets.config(full);
  if (stored) return { id: full, yaml: stored.yaml, storedAt: stored.storedAt, target: full === (list.target ?? running.id) };
  // The spec the scheduler started with is the target until a config update stores one.
  if (full === running.id) return { id: full, yaml: running.yaml, storedAt: null, target: list.target === null || list.target === full };
  const known = list.configs.map((c) => c.id).join(', ');
  throw new UnknownConfigError(`no configuration '${id}' (configurations: ${known || 'none stored'}; pxfw <service> config list)`);
}
