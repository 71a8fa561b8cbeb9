import type { TaskStatus } from '../mesos';
import { KillTimeoutError } from './errors';
import { isTerminalTaskState, type TaskState } from '../../machines/task-status';

/**
 * For cleanup waits, the master's "no such task" answers (LOST, UNKNOWN) count as ended too;
 * for safety decisions use `surelyEnded`, which trusts only Mesos' guarantees.
 */
export function isTerminalState(state: string): boolean {
  return isTerminalTaskState(state as TaskState) || state === 'TASK_LOST' || state === 'TASK_UNKNOWN';
}

/** The last status seen of every task, so cleanup can wait for "terminal" without pod actors. */
export class TaskTracker {
  private readonly last = new Map<string, TaskStatus>();
  private readonly waiters = new Set<() => void>();

  observe(status: TaskStatus): void {
    this.last.set(status.task_id.value, status);
    for (const w of this.waiters) w();
  }

  status(taskId: string): TaskStatus | undefined {
    return this.last.get(taskId);
  }

  isTerminal(taskId: string): boolean {
    const s = this.last.get(taskId);
    return !!s && isTerminalState(s.state);
  }

  /** Mesos guarantees the task no longer runs (a LOST or UNKNOWN task may still). */
  surelyEnded(taskId: string): boolean {
    const s = this.last.get(taskId);
    return !!s && isTerminalTaskState(s.state as TaskState);
  }

  /** Resolve once every task is terminal (or `done` says it can never report again); reject on timeout. */
  async waitTerminal(taskIds: string[], timeoutMs: number, done: (taskId: string) => boolean = () => false): Promise<void> {
    const finished = () => taskIds.every((id) => this.isTerminal(id) || done(id));
    if (finished()) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!finished()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        const open = taskIds.filter((id) => !this.isTerminal(id) && !done(id));
        reject(new KillTimeoutError(`tasks not terminal after ${timeoutMs} ms: ${open.join(', ')}`, open));
      }, timeoutMs);
      const poll = setInterval(check, 500);
      const cleanup = () => {
        clearTimeout(timer);
        clearInterval(poll);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }
}
