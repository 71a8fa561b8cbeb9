import type { AnyStateMachine } from 'xstate';

/* The slice of XState's StateNode / TransitionDefinition this renderer reads. */
type N = { id: string; key: string; type: string; initial?: { target: N[] }; states: Record<string, N>; transitions: Map<string, T[]>; always?: T[]; parent?: N };
type T = { eventType: string; target?: N[]; guard?: string | { type?: string; params?: unknown } | ((...a: unknown[]) => unknown); source: N; reenter: boolean };

const rootId = (m: { root: N }) => m.root.id;
const targeted = (ts: T[]) => ts.some((t) => (t.target ?? []).length > 0);
function mid(n: N, root: string): string {
  return n.id === root ? 'any' : n.id.slice(root.length + 1).replace(/[.-]/g, '_');
}
function label(t: T): string {
  let e = t.eventType;
  if (e === '') e = 'always';
  else if (e.startsWith('xstate.after.')) e = `after ${e.split('.')[2]}`;
  else if (e.startsWith('xstate.done.actor')) e = 'done';
  else if (e.startsWith('xstate.error.actor')) e = 'error';
  const g = t.guard;
  const params = typeof g === 'object' && g.params && typeof g.params === 'object' ? Object.values(g.params).filter((v) => typeof v === 'string') : [];
  const gname = g === undefined ? '' : typeof g === 'string' ? g : typeof g === 'function' ? 'guard' : [g.type ?? '', ...params].join(' ');
  return gname ? `${e} [${gname}]` : e;
}
/**
 * A mermaid stateDiagram of a machine, generated from its definition: docs/machines.md embeds
 * these verbatim and a test keeps them equal. Targetless transitions are left to the tables.
 */
export function renderMermaid(machine: AnyStateMachine): string {
  const m = machine as unknown as { root: N };
  const root = rootId(m);
  const lines: string[] = ['stateDiagram-v2'];
  const walk = (n: N, indent: string) => {
    for (const child of Object.values(n.states)) {
      const id = mid(child, root);
      lines.push(`${indent}state "${child.key}" as ${id}`);
      if (Object.keys(child.states).length > 0) {
        lines.push(`${indent}state ${id} {`);
        if (child.type === 'parallel') {
          const regions = Object.values(child.states);
          regions.forEach((r, i) => {
            lines.push(`${indent}  state "${r.key}" as ${mid(r, root)}`);
            lines.push(`${indent}  state ${mid(r, root)} {`);
            inner(r, indent + '    ');
            lines.push(`${indent}  }`);
            if (i < regions.length - 1) lines.push(`${indent}  --`);
          });
        } else inner(child, indent + '  ');
        lines.push(`${indent}}`);
      }
    }
  };
  const inner = (n: N, indent: string) => {
    const init = n.initial?.target[0];
    if (init) lines.push(`${indent}[*] --> ${mid(init, root)}`);
    walk(n, indent);
  };
  const init = m.root.initial?.target[0];
  if (init) lines.push(`  [*] --> ${mid(init, root)}`);
  walk(m.root, '  ');
  if (targeted([...m.root.transitions.values()].flat())) lines.push('  state "any state but the final one" as any');
  const edges = (n: N) => {
    const all = [...[...n.transitions.values()].flat(), ...(n.always ?? [])];
    for (const t of all) {
      const src = mid(t.source, root);
      const targets = t.target && t.target.length ? t.target : [];
      const l = label(t);
      if (targets.length === 0) continue;
      for (const tg of targets) lines.push(`  ${src} --> ${mid(tg, root)} : ${l}`);
    }
    for (const c of Object.values(n.states)) edges(c);
    if (n.type === 'final') lines.push(`  ${mid(n, root)} --> [*]`);
  };
  edges(m.root);
  return lines.join('\n');
}
