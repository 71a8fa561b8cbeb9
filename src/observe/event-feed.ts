import type { AuditRecord } from '../api/audit';
import type { SdkAlert } from '../alerts/alert';
import type { TransitionRecord } from '../record/recorder';
import type { CompletedRecovery } from './recoveries';

export type ConsoleEventKind = 'alert' | 'replacement' | 'recovery' | 'command' | 'pod' | 'scheduler';

/** One line of the console's event list. */
export interface ConsoleEvent {
  ts: string;
  kind: ConsoleEventKind;
  text: string;
  tone: 'ok' | 'warn' | 'bad' | 'info' | 'muted';
  /** Who gave a command: the user it names, else the NATS user, else the client id. */
  who?: string | null;
}

const top = (path: string) => path.split(/[.(]/)[0] ?? path;

/** A pod transition worth an operator's attention, in words (null: routine, e.g. placed → running). */
function podEvent(pod: string, t: TransitionRecord): Omit<ConsoleEvent, 'ts'> | null {
  const enters = (prefix: string) => t.to.startsWith(prefix) && !t.from.startsWith(prefix);
  const why = t.reason ? `: ${t.reason}` : '';
  if (enters('running.suspect')) return { kind: 'pod', text: t.reason ? `${pod}: ${t.reason}` : `${pod} on probation`, tone: 'warn' };
  if (enters('failed.awaiting-slot')) return { kind: 'replacement', text: `${pod} waits for a replacement slot`, tone: 'warn' };
  if (enters('re-attaching')) return { kind: 'replacement', text: `${pod} is being replaced on another host (fencing its volumes first)`, tone: 'warn' };
  if (enters('failed.transient') || enters('failed.releasing')) return { kind: 'pod', text: `${pod} failed and is relaunched${why}`, tone: 'warn' };
  if (t.to.endsWith('blocked') && !t.from.endsWith('blocked')) return { kind: 'pod', text: `${pod} needs the operator${why}`, tone: 'bad' };
  return null;
}

/** A transition as an event, or null when it is routine. */
export function eventOfTransition(t: TransitionRecord): ConsoleEvent | null {
  if (t.actor === 'replacement') {
    const paused = t.to === 'paused';
    return { ts: t.ts, kind: 'replacement', text: t.reason ?? `automatic replacement ${paused ? 'paused' : 'resumed'}`, tone: paused ? 'bad' : 'ok' };
  }
  if (t.actor.startsWith('spread/')) return { ts: t.ts, kind: 'pod', text: `${t.actor.slice(7)}: ${t.reason ?? 'spread constraint broken'}`, tone: 'warn' };
  if (t.actor === 'framework') {
    if (top(t.from) === top(t.to)) return null;
    const to = top(t.to).replace(/-/g, ' ');
    return { ts: t.ts, kind: 'scheduler', text: `scheduler ${to}${t.reason && t.reason !== to ? ` (${t.reason})` : ''}`, tone: 'info' };
  }
  if (t.actor.startsWith('pod/')) {
    const e = podEvent(t.actor.slice(4), t);
    return e ? { ts: t.ts, ...e } : null;
  }
  return null;
}

export function eventOfAudit(r: AuditRecord): ConsoleEvent {
  const who = r.user ?? r.natsUser ?? r.clientId ?? null;
  const outcome = r.result === 'ok' ? 'ok' : `failed${r.code ? ` (${r.code})` : ''}`;
  return { ts: r.ts, kind: 'command', text: `${r.verb} by ${who ?? 'an unnamed client'}: ${outcome}`, tone: r.result === 'ok' ? 'info' : 'bad', who };
}

export function eventOfAlert(a: SdkAlert, now = new Date()): ConsoleEvent {
  const what = (a.resource ?? 'RESOURCE_TYPE_NONE').replace(/^RESOURCE_TYPE_/, '').toLowerCase();
  const ts = a.timestamp ?? now.toISOString();
  const text = `Portworx ${what} ${a.resource_id ?? ''}: ${a.message ?? 'alert'}${a.cleared ? ' (cleared)' : ''}`.replace(/\s+/g, ' ');
  const tone = a.cleared ? 'ok' : a.severity === 'SEVERITY_TYPE_ALARM' ? 'bad' : 'warn';
  return { ts, kind: 'alert', text, tone };
}

export function eventOfRecovery(r: CompletedRecovery): ConsoleEvent {
  const how = r.type === 'replace' ? 'replaced on another host' : r.type === 'relaunch' ? 'relaunched' : 'its host came back';
  return { ts: new Date(r.endedAt).toISOString(), kind: 'recovery', text: `${r.pod} recovered (${how}) in ${r.seconds.toFixed(1)} s`, tone: 'ok' };
}

/** The latest events, newest last, and whoever listens for new ones. */
export class EventFeed {
  private readonly recent: ConsoleEvent[] = [];
  private readonly listeners = new Set<(e: ConsoleEvent) => void>();

  constructor(private readonly keep = 200) {}

  push(e: ConsoleEvent | null): void {
    if (!e) return;
    this.recent.push(e);
    if (this.recent.length > this.keep) this.recent.shift();
    for (const l of this.listeners) l(e);
  }

  latest(n = 100): ConsoleEvent[] {
    return this.recent.slice(-n);
  }

  subscribe(listener: (e: ConsoleEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
