import type { TaskStatus } from '../mesos';

const TERMINAL = new Set([
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_LOST',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
  'TASK_UNKNOWN',
]);

export function isTerminalState(state: string): boolean {
  return TERMINAL.has(state);
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
        reject(Object.assign(new Error(`tasks not terminal after ${timeoutMs} ms: ${open.join(', ')}`), { code: 'KILL_TIMEOUT', retryable: true }));
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
