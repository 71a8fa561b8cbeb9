import { createHash } from 'node:crypto';
import { parse } from 'yaml';

/*
 * A configuration's id: a hash of the spec it describes, not of its text. The YAML is parsed and
 * serialised with its keys in a stable order, so an edit of comments, whitespace, quoting or key
 * order keeps the id (no new target, no restart, no pod "not yet on the target"), while any change
 * of a value makes a new one. `configs.<id>` still stores the YAML as the operator gave it.
 *
 * Ids written before this were a hash of the raw YAML (`legacyConfigId`): a target, a history entry,
 * an update plan or a pod's launch label may still hold one, so every comparison goes through
 * `isIdOf`, which accepts both for the same YAML.
 */

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

/** JSON with object keys sorted at every level (arrays keep their order: it means something). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The id before canonical ids: sha256 of the raw YAML text (12 hex). */
export function legacyConfigId(yaml: string): string {
  return hash(yaml);
}

/**
 * Ids of the YAMLs seen last: every pod launch stamps the target's id, and parsing the spec's YAML
 * for it was a fifth of the scheduler's garbage in a 10,000-pod deploy. A handful of texts are in
 * play at a time (the target, a previous one, an update's).
 */
const recent = new Map<string, string>();
const RECENT_MAX = 16;

/** sha256 (12 hex) of the canonical parsed spec; YAML that does not parse keeps its raw hash. */
export function configId(yaml: string): string {
  let id = recent.get(yaml);
  if (id === undefined) {
    id = computeConfigId(yaml);
    if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value!);
    recent.set(yaml, id);
  }
  return id;
}

function computeConfigId(yaml: string): string {
  let doc: unknown;
  try {
    doc = parse(yaml);
  } catch {
    return legacyConfigId(yaml);
  }
  return hash(canonicalJson(doc));
}

/** `id` names this YAML's configuration: its id, or the raw-YAML id it had before. */
export function isIdOf(id: string | null | undefined, yaml: string): boolean {
  return !!id && (id === configId(yaml) || id === legacyConfigId(yaml));
}
