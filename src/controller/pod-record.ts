import type { Snapshot } from 'xstate';
import type { PodHandle, PodSnapshot } from './pod-cell';

/** What one pod instance keeps in KV: the machine's persisted snapshot and its launch counter. */
export interface PodRecord {
  podType: string;
  index: number;
  attempt: number;
  snapshot: Snapshot<unknown>;
}

export function podKey(podType: string, index: number): string {
  return `pods.${podType}.${index}`;
}

export interface PodEntry {
  name: string;
  podType: string;
  index: number;
  attempt: number;
  actor: PodHandle;
  state: string;
  /** The type of the last event the actor received. */
  lastEvent: () => string;
}

/** A pod as the registry keeps it: plain fields, no closures or side maps per pod. */
export class RegisteredPod implements PodEntry {
  actor!: PodHandle;
  state = '';
  /** False until the registry has set the pod up (snapshots before that are its starting point). */
  ready = false;
  /** The snapshot whose record was last queued for KV, and the launch counter written with it. */
  saved: PodSnapshot | undefined;
  savedAttempt = 0;
  /** The task ids routed to this pod: its current and its last task. */
  taskNow: string | undefined;
  taskLast: string | undefined;

  constructor(
    readonly name: string,
    readonly podType: string,
    readonly index: number,
    public attempt: number,
  ) {}

  lastEvent(): string {
    return this.actor.lastEvent();
  }

  markSaved(snap: PodSnapshot): void {
    this.saved = snap;
    this.savedAttempt = this.attempt;
  }
}

/**
 * Whether two snapshots make the same record, without serializing either: xstate replaces the
 * context object on every assign and never mutates it, so the same context object (or one whose
 * every field is the same value), state, status and children mean the same record.
 */
export function sameRecord(a: PodSnapshot, b: PodSnapshot): boolean {
  if (a === b) return true;
  if (a.status !== b.status || !sameValue(a.value, b.value) || !sameKeys(a.children, b.children)) return false;
  return a.context === b.context || shallowEqual(a.context as unknown as Record<string, unknown>, b.context as unknown as Record<string, unknown>);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

function sameKeys(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i]);
}

/** An assign that set fields to what they were (e.g. the same task state again) keeps each field's value. */
function shallowEqual(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}
