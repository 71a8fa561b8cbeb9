import { isTerminalState } from './task-tracker';

/**
 * Kills tasks no pod owns (a launch forgotten in a crash, the old task of a fenced pod that
 * turns up again). One KILL per stray per change of its agent's reachability, and at most one
 * per `minIntervalMs` otherwise: a stray on an unreachable agent is answered by another
 * TASK_UNREACHABLE, and killing again on every answer made a storm of 3,378 KILLs in 9 s.
 * When the agent comes back (reachability changes), the stray is killed at once.
 */
export interface StrayKillerDeps {
  kill(taskId: string, agentId: string): Promise<void>;
  reachable(agentId: string): boolean;
  minIntervalMs: number;
  now?: () => number;
}

export class StrayKiller {
  private readonly sent = new Map<string, { at: number; reachable: boolean }>();

  constructor(private readonly deps: StrayKillerDeps) {}

  /** KILL the stray unless that would repeat a KILL sent under the same conditions. True if sent. */
  async kill(taskId: string, agentId: string): Promise<boolean> {
    const now = (this.deps.now ?? Date.now)();
    const reachable = this.deps.reachable(agentId);
    const prev = this.sent.get(taskId);
    if (prev && prev.reachable === reachable && now - prev.at < this.deps.minIntervalMs) return false;
    this.sent.set(taskId, { at: now, reachable });
    await this.deps.kill(taskId, agentId);
    return true;
  }

  /** The task is over: forget it. */
  ended(taskId: string): void {
    this.sent.delete(taskId);
  }

  get tracked(): number {
    return this.sent.size;
  }
}

/**
 * A pod's previous task that Mesos last reported alive (it came back while the pod was being
 * fenced, say) is a stray too: no later update may ever come to trigger the router, so the
 * runtime checks on every pod state change. Returns whether a KILL went out.
 */
export function killLeftover(
  strays: StrayKiller,
  lastState: (taskId: string) => string | undefined,
  pod: { task: { taskId: string } | null; lastTask: { taskId: string; agentId: string } | null },
): Promise<boolean> {
  const last = pod.lastTask;
  if (!last || last.taskId === pod.task?.taskId) return Promise.resolve(false);
  const state = lastState(last.taskId);
  if (state === undefined || isTerminalState(state)) return Promise.resolve(false);
  return strays.kill(last.taskId, last.agentId);
}
