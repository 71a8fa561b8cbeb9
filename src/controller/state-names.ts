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
