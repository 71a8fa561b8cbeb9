import { POD_TAGS } from '../../machines/pod-instance.logic';

/** The pod facts a workflow step needs (a read-only view of the pod registry). */
export interface WorkflowPodView {
  name: string;
  podType: string;
  state: string;
  taskId: string | null;
  hostname: string | null;
  /** POD_TAGS.ready: running and its readiness check passed (or it has none). */
  ready: boolean;
  /** Needs an operator (POD_TAGS.blocked): a step waiting for it fails. */
  blocked: boolean;
  /** Stopped on purpose (POD_TAGS.stopped: a restore stopped it); START brings it back. */
  stopped: boolean;
  /** The configuration its current task was launched with (null: not recorded). */
  configId: string | null;
  volumes: { name: string; id: string | null }[];
}

/** The pods port of the workflows: what the registry holds now, and a signal when that changes. */
export interface WorkflowPods {
  pods(): WorkflowPodView[];
  /** Called on every pod state change; returns an unsubscribe. */
  onPodChange(listener: () => void): () => void;
}

/** Ready: its task runs and its readiness check passed, or it has none (POD_TAGS.ready). */
export function podIsReady(snapshot: { hasTag(tag: string): boolean }): boolean {
  return snapshot.hasTag(POD_TAGS.ready);
}

/** The configuration id a pod context records, once the pod machine records one. */
export function podConfigId(ctx: object): string | null {
  return 'configId' in ctx && typeof ctx.configId === 'string' ? ctx.configId : null;
}

/**
 * Resolves on the next pod change, after `ms`, or when `signal` aborts, whichever comes first:
 * the steps re-read the pods then (level-triggered; the interval bounds a missed change).
 */
export function nextPodChange(pods: WorkflowPods, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const unsubscribe = pods.onPodChange(done);
    signal.addEventListener('abort', done, { once: true });
  });
}
