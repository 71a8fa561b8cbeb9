import { FRAMEWORK_TAGS } from '../../machines/framework.types';

/**
 * The supervisor's state as one line: `active(plans=complete,offers=suppressed,…)` for the
 * parallel active state, dotted paths elsewhere.
 */
export function frameworkStatePath(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, child] = Object.entries(value as Record<string, unknown>)[0] ?? ['', ''];
  if (key === 'active' && child && typeof child === 'object') {
    const regions = Object.entries(child as Record<string, unknown>).map(([r, v]) => `${r}=${frameworkStatePath(v)}`);
    return `active(${regions.join(',')})`;
  }
  const rest = frameworkStatePath(child);
  return rest === '' ? key : `${key}.${rest}`;
}

/**
 * The supervisor's states the controller acts on, asked of its snapshot by tag (never by the
 * state name): the framework machine tags them (FRAMEWORK_TAGS).
 */
export type FrameworkStateCheck = keyof typeof FRAMEWORK_TAGS;

/** Is the supervisor (given its snapshot) in one of the tagged states? */
export function frameworkIn(snap: { hasTag(tag: string): boolean }, which: FrameworkStateCheck): boolean {
  return snap.hasTag(FRAMEWORK_TAGS[which]);
}
