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
 * The supervisor's states the controller acts on, asked of its snapshot (never of the state
 * name). One place: when the framework machine tags these states (CONTRACTS Requests), these
 * become `snapshot.hasTag(...)` here and nowhere else.
 */
export const FRAMEWORK_STATES = {
  /** Deploying, recovering, taking offers. */
  active: 'active',
  uninstalling: 'uninstalling',
  uninstalled: 'uninstalled',
  reinstalling: 'reinstalling',
  /** starting and standby: the context is not the leader's (nothing to persist). */
  unsaved: 'unsaved',
  /** Deleting the service's state (neither the framework record nor the tombstone is written). */
  deletingState: 'deleting-state',
} as const;
export type FrameworkStateCheck = keyof typeof FRAMEWORK_STATES;

const MATCHERS: Record<FrameworkStateCheck, (snap: { matches(state: unknown): boolean }) => boolean> = {
  active: (s) => s.matches('active'),
  uninstalling: (s) => s.matches('uninstalling'),
  uninstalled: (s) => s.matches('uninstalled'),
  reinstalling: (s) => s.matches('reinstalling'),
  unsaved: (s) => s.matches('starting') || s.matches('standby'),
  deletingState: (s) => s.matches({ uninstalling: 'deleting-state' }),
};

/** Is the supervisor (given its snapshot) in one of the states above? */
export function frameworkIn(snap: { matches(state: unknown): boolean }, which: FrameworkStateCheck): boolean {
  return MATCHERS[which](snap);
}
