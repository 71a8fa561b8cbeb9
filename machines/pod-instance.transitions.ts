/* Transition tables the pod machine's states share (plain objects: they import nothing). */

export const PERMANENT = '#pod.failed.permanent';
export const SUSPECT = '#pod.running.suspect';
export const RELEASING = '#pod.failed.releasing';

/**
 * Signals that concern a live task, shared by placed / running / relaunching (the full table is
 * docs/failure-classification.md): the agent removed (the task is dead: release, relaunch),
 * evidence that the host is down (probation), the operator's replace.
 */
export const hostSignals = {
  AGENT_GONE: { guard: 'onTaskAgent', target: RELEASING, actions: 'failLost' },
  HOST_DOWN: { guard: 'onTaskHost', target: SUSPECT, actions: 'suspect' },
  REPLACE: {
    target: PERMANENT,
    actions: { type: 'failPermanent', params: { trigger: 'operator-replace', reason: 'operator requested replace' } },
  },
} as const;

/** Task updates that end or suspect a task that is not (or no longer) launching. */
export const runningUpdates = [
  { guard: { type: 'updateIs', params: { outcome: 'progress', launching: false } }, actions: 'recordTaskState' },
  { guard: { type: 'updateIs', params: { outcome: 'transient', launching: false } }, target: '#pod.failed.transient', actions: ['recordTaskState', 'failTransient'] },
  { guard: { type: 'updateIs', params: { outcome: 'suspect', launching: false } }, target: SUSPECT, actions: ['recordTaskState', 'suspect'] },
  { guard: { type: 'updateIs', params: { outcome: 'lost', launching: false } }, target: RELEASING, actions: ['recordTaskState', 'failLost'] },
  { guard: { type: 'updateIs', params: { outcome: 'permanent', launching: false } }, target: PERMANENT, actions: ['recordTaskState', 'failPermanentFromUpdate'] },
] as const;

/** While a permanently failed pod waits (for a slot or the operator): the same task back heals it. */
export const waitingUpdates = [
  { guard: 'taskBack', target: '#pod.running.up', actions: ['recordTaskState', 'clearFailure'] },
  { guard: { type: 'updateIs', params: { outcome: 'lost', launching: false } }, target: 'releasing', actions: ['recordTaskState', 'failLost'] },
  { guard: 'updateIsTerminal', actions: 'recordTaskState' },
] as const;

